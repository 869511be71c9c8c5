package io.umqtt.robust;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

import io.umqtt.api.MqttConnection;

/**
 * The {@link MqttConnection} service of the robust component (factory PID {@code io.umqtt.robust}),
 * registered under both interfaces: a consumer that only needs to publish and subscribe uses
 * {@link MqttConnection} and cannot tell it from the simple one except by its properties; one that
 * wants the counters asks for this type.
 * <p>
 * Where it differs from the simple connection:
 * <ul>
 * <li>{@code publish} while disconnected puts the message in the offline queue and returns; it
 * is sent when the connection is back. A QoS 1 publish returns once acknowledged or queued. When
 * the queue is full, {@link OverflowPolicy#REJECT_NEWEST} throws {@link OfflineQueueFullException}
 * and {@link OverflowPolicy#DROP_OLDEST} drops the oldest queued message; both are counted in
 * {@link #dropped()} and posted as {@link RobustConstants#TOPIC_MESSAGE_DROPPED} events.</li>
 * <li>{@code subscribe} while disconnected throws an {@link IOException} saying so, but the
 * subscription and its listener are kept: the subscription is made when the connection is back
 * (call {@code unsubscribe} to cancel it). Subscriptions are restored after every reconnect
 * that lost the session, without the consumer doing anything.</li>
 * <li>{@link #state()} is {@code CONNECTING} from activation on and during every connect attempt,
 * {@code LOST} after a lost connection or a failed attempt until the next attempt begins, and
 * {@code CLOSED} only once the component stops (or gave up after the configured maximum
 * attempts). The service stays registered through all of it.</li>
 * </ul>
 * The counters count from the component's activation. All methods may be called from any thread.
 */
@ProviderType
public interface RobustConnection extends MqttConnection {

    /** Successful reconnects after a lost connection (the first connect is not one). */
    long reconnects();

    /** Connect attempts made, successful or not. */
    long connectAttempts();

    /** Messages waiting in the offline queue now. */
    int queued();

    /** Messages put in the offline queue so far. */
    long queuedTotal();

    /** QoS 1 messages sent again after a reconnect because their PUBACK had not arrived. */
    long resent();

    /** Messages the offline queue dropped or refused; each one was also reported. */
    long dropped();

    /** The Session Present flag of the last successful connect. */
    boolean sessionPresent();
}
