package io.emfileguard.core;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * One {@code exclude} entry: {@code host:port}, {@code host}, {@code [ipv6]:port}, or a CIDR block
 * such as {@code 10.0.0.0/8}. Matching never does DNS look-ups: host names are compared as written.
 */
public final class AddressRule {
    private final String text;
    private final String host;      // lower-case host name or literal, null for CIDR rules
    private final byte[] network;   // CIDR network, null for host rules
    private final int prefixBits;
    private final int port;         // -1: any port

    private AddressRule(String text, String host, byte[] network, int prefixBits, int port) {
        this.text = text;
        this.host = host;
        this.network = network;
        this.prefixBits = prefixBits;
        this.port = port;
    }

    /** @throws IllegalArgumentException with a message that says what is wrong */
    public static AddressRule parse(String raw) {
        String text = raw.trim();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty entry");
        }
        int slash = text.indexOf('/');
        if (slash >= 0) {
            String addr = text.substring(0, slash);
            int bits;
            try {
                bits = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' has no numeric prefix length");
            }
            byte[] net = literal(addr);
            if (net == null) {
                throw new IllegalArgumentException("'" + addr + "' is not an IP address");
            }
            if (bits < 0 || bits > net.length * 8) {
                throw new IllegalArgumentException("prefix length " + bits + " out of range in '" + text + "'");
            }
            return new AddressRule(text, null, net, bits, -1);
        }
        String hostPart = text;
        int port = -1;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + text + "' has no closing ']'");
            }
            hostPart = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (rest.startsWith(":")) {
                port = parsePort(rest.substring(1), text);
            } else if (!rest.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "' is not [address]:port");
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon >= 0 && text.indexOf(':') == colon) {
                hostPart = text.substring(0, colon);
                port = parsePort(text.substring(colon + 1), text);
            }
        }
        if (hostPart.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' has no host");
        }
        byte[] ip = literal(hostPart);
        if (ip != null) { // an address literal: compare addresses, whatever their spelling (::1, 0:0:..:1)
            return new AddressRule(text, null, ip, ip.length * 8, port);
        }
        return new AddressRule(text, hostPart.toLowerCase(Locale.ROOT), null, 0, port);
    }

    private static int parsePort(String s, String whole) {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a port (0-65535) in '" + whole + "'");
        }
    }

    /** Bytes of an IPv4 or IPv6 literal, or null if it is not one (no DNS). */
    private static byte[] literal(String s) {
        if (!isIpv4Literal(s) && !isIpv6Literal(s)) {
            return null;
        }
        try {
            return InetAddress.getByName(s).getAddress(); // literals are parsed, never resolved
        } catch (UnknownHostException e) {
            return null; // a literal that does not parse after all: "not a literal", as documented
        }
    }

    private static boolean isIpv4Literal(String s) {
        int dots = 0;
        int digits = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (digits == 0) {
                    return false;
                }
                dots++;
                digits = 0;
            } else if (c >= '0' && c <= '9' && digits < 3) {
                digits++;
            } else {
                return false;
            }
        }
        return dots == 3 && digits > 0;
    }

    private static boolean isIpv6Literal(String s) {
        if (s.indexOf(':') < 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex && c != ':' && c != '.') {
                return false;
            }
        }
        return true;
    }

    public boolean matches(InetSocketAddress target) {
        if (target == null) {
            return false;
        }
        if (port >= 0 && target.getPort() != port) {
            return false;
        }
        if (network != null) {
            InetAddress a = target.getAddress();
            return a != null && inNetwork(a.getAddress());
        }
        String hs = target.getHostString();
        if (hs != null && hs.toLowerCase(Locale.ROOT).equals(host)) {
            return true;
        }
        InetAddress a = target.getAddress();
        return a != null && a.getHostAddress().equalsIgnoreCase(host);
    }

    private boolean inNetwork(byte[] addr) {
        if (addr.length != network.length) {
            return false;
        }
        int full = prefixBits / 8;
        for (int i = 0; i < full; i++) {
            if (addr[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixBits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (addr[full] & mask) == (network[full] & mask);
    }

    @Override
    public String toString() {
        return text;
    }
}
