package io.emfileguard.core.httpclient;

import java.net.SocketException;

/**
 * Returned by {@link HttpClientHooks#beforeExchange} when the gate refused an HTTP exchange (wait timed
 * out with {@code on.timeout=fail}, or the caller was interrupted). The advice then skips the
 * exchange and returns a failed future: {@code sendAsync} reports errors through its future, and
 * {@code send} unwraps it into the {@code IOException} it declares.
 */
public final class RefusedExchange {
    final SocketException reason;

    RefusedExchange(SocketException reason) {
        this.reason = reason;
    }
}
