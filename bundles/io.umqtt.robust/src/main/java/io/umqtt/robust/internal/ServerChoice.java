package io.umqtt.robust.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.MqttClient;

/**
 * Failover: which server each connect attempt of a {@link Reconnector} goes to. The configured
 * servers (the primary one, then the failover servers in the order they were added) are tried in
 * order, then round again; an MQTT 5 DISCONNECT of the server with reason 0x9C (use another server)
 * or 0x9D (server moved) changes the order of the next reconnect ({@link #serverDisconnect}, the
 * reference's rule in {@link ServerReference}).
 * <p>
 * No lock of its own: the server list is a {@link CopyOnWriteArrayList} (servers may be added
 * while a reconnect runs); the redirect fields are volatile, written by the thread that reports a
 * connection's end ({@link Reconnector#connectionEnded}) and read and cleared by
 * {@link #attemptOrder()} on the thread that holds the reconnect role, never under the
 * reconnector's lock. It calls out only to {@link ClientPort#serverReference}.
 */
final class ServerChoice {
    /** MQTT 5 DISCONNECT reason codes that name another server (section 4.11). */
    static final int USE_ANOTHER_SERVER = 0x9C;
    static final int SERVER_MOVED = 0x9D;

    private final MqttClient client;
    private final List<String[]> servers = new CopyOnWriteArrayList<>();
    /** MQTT 5 DISCONNECT 0x9C/0x9D with a Server Reference: the server of the next attempt, then null. */
    private volatile String[] redirect;
    /** MQTT 5 DISCONNECT 0x9D (server moved): tried first on every later reconnect. */
    private volatile String[] moved;
    /** MQTT 5 DISCONNECT 0x9C without a usable reference: the server to try last on the next reconnect. */
    private volatile String[] avoid;

    /** The servers of {@code client}, its own (primary) one first. */
    ServerChoice(MqttClient client) {
        this.client = client;
        servers.add(new String[] {client.server(), Integer.toString(client.port())});
    }

    /** Adds a failover server, tried after those added before. */
    void add(String server, int port) {
        servers.add(new String[] {server, Integer.toString(port)});
    }

    /**
     * The servers of one reconnect, in order: where the last server DISCONNECT sent the client
     * (once), the server it moved to (0x9D), then the configured ones; the one a server told us to
     * leave without a reference (0x9C) last.
     */
    List<String[]> attemptOrder() {
        String[] once = redirect;
        redirect = null;
        String[] last = avoid;
        avoid = null;
        String[] pref = moved;
        if (once == null && last == null && pref == null) {
            return servers;
        }
        List<String[]> order = new ArrayList<>();
        for (String[] s : new String[][] {once, pref}) {
            if (s != null && !contains(order, s)) {
                order.add(s);
            }
        }
        for (String[] s : servers) {
            if (!contains(order, s) && (last == null || !same(s, last))) {
                order.add(s);
            }
        }
        if (last != null && !contains(order, last)) {
            order.add(last);
        }
        return order;
    }

    private static boolean contains(List<String[]> list, String[] s) {
        for (String[] e : list) {
            if (same(e, s)) {
                return true;
            }
        }
        return false;
    }

    private static boolean same(String[] a, String[] b) {
        return a[0].equalsIgnoreCase(b[0]) && a[1].equals(b[1]);
    }

    /**
     * A connection ended with {@code cause}: when it is an MQTT 5 DISCONNECT of the server with
     * reason 0x9C (use another server) or 0x9D (server moved), decides where the next attempt
     * goes (see {@link ServerReference} for the rule) and returns what the log says about it.
     *
     * @param port gives the DISCONNECT's Server Reference
     */
    String serverDisconnect(IOException cause, ClientPort port) {
        if (!(cause instanceof MqttException) || ((MqttException) cause).reason() != Reason.DISCONNECTED_BY_SERVER) {
            return "";
        }
        MqttException e = (MqttException) cause;
        int code = e.returnCode();
        if (code != USE_ANOTHER_SERVER && code != SERVER_MOVED) {
            return "; reconnecting";
        }
        String reference = port.serverReference(e);
        String[] target = ServerReference.parse(reference, client.port());
        if (target == null) {
            if (servers.size() > 1) {
                avoid = new String[] {client.server(), Integer.toString(client.port())};
            }
            return (reference == null ? "; it gave no server reference" : "; its server reference '" + reference
                    + "' is not host, host:port, [IPv6] or [IPv6]:port, ignored") + (servers.size() > 1
                            ? "; trying the configured servers, this one last" : "; reconnecting to it");
        }
        target = ServerReference.configuredOr(target, servers);
        redirect = target;
        if (code == SERVER_MOVED) {
            moved = target;
        }
        return "; next attempt to " + target[0] + ":" + target[1] + " (its server reference '" + reference + "'"
                + (code == SERVER_MOVED ? ", tried first on every later reconnect" : "") + ")";
    }
}
