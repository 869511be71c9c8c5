package io.umqtt.robust.internal;

import io.umqtt.api.MqttProperties;
import io.umqtt.robust.internal.OfflineQueue.Entry;

/**
 * The message expiry of queued MQTT 5 messages (MQTT 5 section 3.3.2.3.3): the client treats its
 * offline queue as MQTT-3.3.2-5/-6 ask of a server. A message that waited at least its message
 * expiry interval is not sent (the caller drops it, counted and logged); one that waited less is
 * sent with what remains: the interval minus the whole seconds it waited. So a message with an
 * interval of 10 s that waited 2.7 s goes out with 8 s, one that waited 10.0 s or more is dropped.
 * An interval of 0 therefore means that a message that had to wait in the queue is dropped.
 * <p>
 * A QoS 2 flow resumed in a kept session (its PUBLISH again with DUP under the packet id the broker
 * may hold) is never dropped: its packet id must finish its flow before it is used again
 * (section 4.3.3); it goes out with what remains, at least 1 s. The time the message was published
 * comes from the wall clock (it is kept on disk across restarts); a clock set back counts as no
 * wait. Stateless; thread-safe.
 */
final class MessageExpiry {
    private MessageExpiry() {
    }

    /**
     * Whole seconds left of {@code e}'s message expiry interval at {@code nowMillis} (0 or less:
     * expired); {@link MqttProperties#NO_EXPIRY} when it has none.
     */
    static long remainingSeconds(Entry e, long nowMillis) {
        long interval = e.properties.messageExpiryInterval();
        if (interval == MqttProperties.NO_EXPIRY) {
            return MqttProperties.NO_EXPIRY;
        }
        long waited = Math.max(0, nowMillis - e.queuedAtMillis) / 1000;
        return interval - waited;
    }

    /** How long {@code e} has waited at {@code nowMillis}, in milliseconds (0 when the clock went back). */
    static long waitedMillis(Entry e, long nowMillis) {
        return Math.max(0, nowMillis - e.queuedAtMillis);
    }

    /**
     * The properties to send {@code e} with at {@code nowMillis}, or null when it expired and is
     * to be dropped.
     *
     * @param resumedQos2 it is a QoS 2 PUBLISH resent with DUP in a kept session: never dropped
     */
    static MqttProperties toSend(Entry e, long nowMillis, boolean resumedQos2) {
        if (!e.expires()) {
            return e.properties;
        }
        long left = remainingSeconds(e, nowMillis);
        if (left <= 0 && !resumedQos2) {
            return null;
        }
        left = Math.max(left, resumedQos2 ? 1 : 0);
        if (left == e.properties.messageExpiryInterval()) {
            return e.properties;
        }
        return e.properties.toBuilder().messageExpiryInterval(left).build();
    }
}
