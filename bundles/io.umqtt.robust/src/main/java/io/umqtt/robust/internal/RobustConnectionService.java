package io.umqtt.robust.internal;

import io.umqtt.api.ConnectionState;
import io.umqtt.robust.RobustConnection;
import io.umqtt.simple.connection.ClientConnection;

/**
 * The service object of a {@link RobustConnectionComponent}: the simple component's
 * {@link ClientConnection} (publish, subscribe, listener dispatch; copied into this bundle at
 * build time) over a {@link ManagedClient}, plus the counters of {@link RobustConnection}.
 * <p>
 * Two things differ from the simple connection: {@link #state()} is the component's view
 * ({@link ManagedClient#serviceState()}), and a subscription the client remembered although the
 * broker could not be asked (disconnected) keeps its listener, since the client makes the
 * subscription when the connection is back. Listeners live in {@link ClientConnection}, apart from
 * the socket, so they survive every reconnect, and every settings change (the component hands the
 * service a new client, {@link ClientConnection#use}). Out of service (invalid configuration) it
 * has no client: state CLOSED, counters 0. Thread-safe like {@link ClientConnection}.
 */
final class RobustConnectionService extends ClientConnection implements RobustConnection {

    RobustConnectionService(String name, ManagedClient client) {
        super(name, client);
    }

    /** Out of service from the start: the configuration is invalid. */
    RobustConnectionService(String name, String failure) {
        super(name, failure);
    }

    /** The client in force, or null while out of service: its counters then read 0. */
    private ManagedClient managed() {
        return (ManagedClient) client();
    }

    @Override
    public ConnectionState state() {
        ManagedClient c = managed();
        return c == null ? ConnectionState.CLOSED : c.serviceState();
    }

    @Override
    protected boolean keepsSubscription(String filter) {
        ManagedClient c = managed();
        return c != null && c.subscriptions().containsKey(filter);
    }

    @Override
    public long reconnects() {
        ManagedClient c = managed();
        return c == null ? 0 : c.reconnects();
    }

    @Override
    public long connectAttempts() {
        ManagedClient c = managed();
        return c == null ? 0 : c.connectAttempts();
    }

    @Override
    public int queued() {
        ManagedClient c = managed();
        return c == null ? 0 : c.queued();
    }

    @Override
    public long queuedTotal() {
        ManagedClient c = managed();
        return c == null ? 0 : c.queuedTotal();
    }

    @Override
    public long resent() {
        ManagedClient c = managed();
        return c == null ? 0 : c.resent();
    }

    @Override
    public long dropped() {
        ManagedClient c = managed();
        return c == null ? 0 : c.dropped();
    }

    @Override
    public boolean sessionPresent() {
        ManagedClient c = managed();
        return c != null && c.sessionPresent();
    }
}
