package io.umqtt.robust.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

import io.umqtt.robust.RobustConstants;
import io.umqtt.robust.RobustListener;
import io.umqtt.simple.connection.ConnectionSettings;

/**
 * Hears the client of one {@link Run} of a {@link RobustConnectionComponent}: records what it
 * reports in the run (attempt, last failure, DISCONNECT reason), asks for the service properties
 * to be refreshed ({@link ServicePublisher#refresh()}) and posts the EventAdmin events
 * ({@link ConnectionEvents}). A run that was replaced or is stopping is heard no more.
 * <p>
 * Threading: the client calls it on its connection thread (connected, lost, attempt failed) and
 * on publishing threads (message dropped), possibly holding the client's own locks; so it takes no
 * lock of its own, and what it calls takes only the publisher's lock, after the client's.
 * {@link #threadEnded} runs on the connection thread when it ends for good.
 */
final class RunListener implements RobustListener {
    private static final System.Logger LOG = System.getLogger(RobustConnectionComponent.class.getName());

    private final Run run;
    /** The run in force, null while out of service. */
    private final Supplier<Run> current;
    private final ServicePublisher publisher;
    private final ConnectionEvents events;

    RunListener(Run run, Supplier<Run> current, ServicePublisher publisher, ConnectionEvents events) {
        this.run = run;
        this.current = current;
        this.publisher = publisher;
        this.events = events;
    }

    @Override
    public void connected(String server, int port, boolean sessionPresent) {
        if (stopping()) {
            return;
        }
        run.attempt = 0;
        run.dropSeen.set(false);
        LOG.log(Level.INFO, () -> "MQTT connection " + run.name() + " connected to " + server + ":" + port
                + " as " + run.client.clientId() + (sessionPresent ? " (session resumed)" : ""));
        publisher.refresh();
        Map<String, Object> p = run.eventProperties();
        p.put(RobustConstants.EVENT_SESSION_PRESENT, sessionPresent);
        events.post(RobustConstants.TOPIC_CONNECTED, p);
    }

    @Override
    public void connectionLost(IOException cause) {
        if (stopping()) {
            return;
        }
        run.lastFailure = describe(cause);
        run.disconnectReason = ConnectionSettings.disconnectReason(cause);
        run.dropSeen.set(false);
        publisher.refresh();
        events.post(RobustConstants.TOPIC_LOST, withCause(run.eventProperties(), cause));
    }

    @Override
    public void reconnectFailed(int failedAttempt, long delayMillis, IOException cause) {
        if (stopping()) {
            return;
        }
        run.attempt = failedAttempt;
        run.lastFailure = describe(cause);
        run.dropSeen.set(false);
        publisher.refresh();
        Map<String, Object> p = withCause(run.eventProperties(), cause);
        p.put(RobustConstants.EVENT_ATTEMPT, failedAttempt);
        p.put(RobustConstants.EVENT_DELAY, delayMillis);
        events.post(RobustConstants.TOPIC_RECONNECT_FAILED, p);
    }

    @Override
    public void messageDropped(byte[] topic, byte[] payload, int qos, String reason) {
        if (run != current.get()) {
            return;
        }
        if (run.dropSeen.compareAndSet(false, true)) {
            publisher.refresh();
        }
        Map<String, Object> p = run.eventProperties();
        p.put(RobustConstants.EVENT_MESSAGE_TOPIC, new String(topic, StandardCharsets.UTF_8));
        p.put(RobustConstants.EVENT_MESSAGE_QOS, qos);
        p.put(RobustConstants.EVENT_MESSAGE_SIZE, payload.length);
        p.put(RobustConstants.EVENT_REASON, reason);
        events.post(RobustConstants.TOPIC_MESSAGE_DROPPED, p);
    }

    @Override
    public void subscriptionFailed(String filter, IOException cause) {
        Map<String, Object> p = withCause(run.eventProperties(), cause);
        p.put(RobustConstants.EVENT_FILTER, filter);
        events.post(RobustConstants.TOPIC_SUBSCRIPTION_FAILED, p);
    }

    /**
     * The run's thread ended for good with {@code cause} (attempts used up, or it failed): the
     * client is retired; while the run is in force, its properties are refreshed and
     * {@link RobustConstants#TOPIC_GAVE_UP} is posted.
     */
    void threadEnded(Throwable cause) {
        run.lastFailure = describe(cause);
        run.client.retire();
        if (run != current.get()) {
            return;
        }
        publisher.refresh();
        Map<String, Object> p = run.eventProperties();
        p.put(RobustConstants.EVENT_CAUSE, run.lastFailure);
        p.put(RobustConstants.EVENT_CAUSE_CLASS, cause.getClass().getName());
        events.post(RobustConstants.TOPIC_GAVE_UP, p);
    }

    /**
     * Whether this run is stopping or replaced: then the connection ends on purpose, and
     * neither the properties of a service being unregistered nor events of a loss are wanted.
     */
    private boolean stopping() {
        return run.client.isStopped() || run != current.get();
    }

    private static Map<String, Object> withCause(Map<String, Object> p, IOException cause) {
        p.put(RobustConstants.EVENT_CAUSE, describe(cause));
        if (cause != null) {
            p.put(RobustConstants.EVENT_CAUSE_CLASS, cause.getClass().getName());
        }
        return p;
    }

    private static String describe(Throwable t) {
        return ConnectionSettings.describe(t); // names an unknown host as such
    }
}
