package io.emfileguard.core.pooled;

import io.emfileguard.core.SocketIntrospection;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The reclaimer must find the socket behind an Apache connection (to make {@code isOpen()} say
 * false once it is closed): these pin the field layout of the real HttpCore 4 and 5 classes.
 */
class PooledConnectionSocketTest {

    @Test
    void findsTheSocketAnHttpCore4ConnectionIsBoundTo() throws Exception {
        org.apache.http.impl.DefaultBHttpClientConnection connection =
                new org.apache.http.impl.DefaultBHttpClientConnection(1024);
        assertFindsTheBoundSocketUntilClosed(connection, connection::bind);
    }

    @Test
    void findsTheTcpSocketUnderAnHttpCore5Connection() throws Exception {
        org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection connection =
                new org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection(
                        org.apache.hc.core5.http.config.Http1Config.DEFAULT);
        assertFindsTheBoundSocketUntilClosed(connection, connection::bind);
    }

    private interface Binder {
        void bind(Socket socket) throws Exception;
    }

    private static void assertFindsTheBoundSocketUntilClosed(AutoCloseable connection, Binder binder) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket socket = connectedTo(server)) {
            assertNull(PooledConnections.socketOf(connection), "not bound yet");
            binder.bind(socket);
            assertSame(socket, PooledConnections.socketOf(connection));
            connection.close();
            assertNull(PooledConnections.socketOf(connection), "closed: no socket");
        }
    }

    @Test
    void findsTheConnectionOfAnHttpCore4PoolEntry() throws Exception {
        org.apache.http.impl.DefaultBHttpClientConnection connection =
                new org.apache.http.impl.DefaultBHttpClientConnection(1024);
        org.apache.http.impl.pool.BasicPoolEntry entry = new org.apache.http.impl.pool.BasicPoolEntry(
                "id", new org.apache.http.HttpHost("localhost"), connection);
        assertSame(connection, PooledConnections.poolEntryConnection(entry));
    }

    @Test
    void findsTheConnectionOfAnHttpCore5PoolEntry() throws Exception {
        org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection connection =
                new org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection(
                        org.apache.hc.core5.http.config.Http1Config.DEFAULT);
        org.apache.hc.core5.pool.PoolEntry<String, org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection> entry =
                new org.apache.hc.core5.pool.PoolEntry<>("route");
        entry.assignConnection(connection);
        assertSame(connection, PooledConnections.poolEntryConnection(entry));
    }

    @Test
    void anythingElseHasNoPooledSocket() throws Exception {
        assertNull(PooledConnections.socketOf(new Object()));
    }

    private static Socket connectedTo(ServerSocket server) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort()), 2000);
        return s;
    }
}
