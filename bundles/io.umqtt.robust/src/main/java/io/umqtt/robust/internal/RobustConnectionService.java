package io.umqtt.robust.internal;

import io.umqtt.api.ConnectionState;
import io.umqtt.robust.RobustConnection;
import io.umqtt.simple.internal.connection.ClientConnection;

/**
 * The service object of a {@link RobustConnectionComponent}: the simple component's
 * {@link ClientConnection} (publish, subscribe, listener dispatch; copied into this bundle at
 * build time) over a {@link ManagedClient}, plus the counters of {@link RobustConnection}.
 * <p>
 * Two things differ from the simple connection: {@link #state()} is the component's view
 * ({@link ManagedClient#serviceState()}), and a subscription the client remembered although the
 * broker could not be asked (disconnected) keeps its listener, since the client makes the
 * subscription when the connection is back. Listeners live in {@link ClientConnection}, apart from
 * the socket, so they survive every reconnect. Thread-safe like {@link ClientConnection}.
 */
final class RobustConnectionService extends ClientConnection implements RobustConnection {
    private final ManagedClient client;

    RobustConnectionService(String name, ManagedClient client) {
        super(name, client);
        this.client = client;
    }

    @Override
    public ConnectionState state() {
        return client.serviceState();
    }

    @Override
    protected boolean keepsSubscription(String filter) {
        return client.subscriptions().containsKey(filter);
    }

    @Override
    public long reconnects() {
        return client.reconnects();
    }

    @Override
    public long connectAttempts() {
        return client.connectAttempts();
    }

    @Override
    public int queued() {
        return client.queued();
    }

    @Override
    public long queuedTotal() {
        return client.queuedTotal();
    }

    @Override
    public long resent() {
        return client.resent();
    }

    @Override
    public long dropped() {
        return client.dropped();
    }

    @Override
    public boolean sessionPresent() {
        return client.sessionPresent();
    }
}
