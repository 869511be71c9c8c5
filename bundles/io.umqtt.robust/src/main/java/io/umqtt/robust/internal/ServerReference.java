package io.umqtt.robust.internal;

import java.util.List;
import java.util.Locale;

/**
 * Where an MQTT 5 server sends a robust client with DISCONNECT reason 0x9C (use another server)
 * or 0x9D (server moved) and a Server Reference (MQTT 5 section 4.11), and the rule the client
 * follows: only the first reference of the string is used (references are separated by spaces);
 * it must be {@code host}, {@code host:port}, {@code [IPv6]} or {@code [IPv6]:port} (no port: the
 * port of the connection the server closed). A configured server (the primary or a failover
 * server) that the reference names is used as configured; any other valid reference is connected
 * to with the client's settings (TLS, credentials). Anything else is ignored with a warning and the
 * client goes on with its configured servers. Stateless; thread-safe.
 */
final class ServerReference {
    private ServerReference() {
    }

    /**
     * The server {@code {host, port}} that {@code reference} names, or null when it is not a valid
     * reference.
     *
     * @param defaultPort the port when the reference has none
     */
    static String[] parse(String reference, int defaultPort) {
        if (reference == null) {
            return null;
        }
        String first = reference.trim();
        int space = indexOfSpace(first);
        if (space >= 0) {
            first = first.substring(0, space);
        }
        if (first.isEmpty()) {
            return null;
        }
        String host;
        String port = null;
        if (first.startsWith("[")) {
            int close = first.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = first.substring(1, close);
            String rest = first.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return null;
                }
                port = rest.substring(1);
            }
            if (!isIpv6(host)) {
                return null;
            }
        } else {
            int colon = first.indexOf(':');
            if (colon >= 0 && first.indexOf(':', colon + 1) >= 0) {
                return null; // an IPv6 address must be in brackets, or its last group reads as a port
            }
            host = colon < 0 ? first : first.substring(0, colon);
            port = colon < 0 ? null : first.substring(colon + 1);
            if (!isHostName(host)) {
                return null;
            }
        }
        int p = defaultPort;
        if (port != null) {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                return null;
            }
            if (p < 1 || p > 65_535) {
                return null;
            }
        }
        return new String[] {host, Integer.toString(p)};
    }

    /** The configured server that {@code target} names (same host, case-insensitive, and port), or {@code target}. */
    static String[] configuredOr(String[] target, List<String[]> servers) {
        for (String[] s : servers) {
            if (s[0].toLowerCase(Locale.ROOT).equals(target[0].toLowerCase(Locale.ROOT)) && s[1].equals(target[1])) {
                return s;
            }
        }
        return target;
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isHostName(String host) {
        if (host.isEmpty() || host.length() > 253) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                    || c == '_')) {
                return false;
            }
        }
        return host.charAt(0) != '.' && host.charAt(0) != '-';
    }

    private static boolean isIpv6(String host) {
        if (host.isEmpty() || host.indexOf(':') < 0) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.')) {
                return false;
            }
        }
        return true;
    }
}
