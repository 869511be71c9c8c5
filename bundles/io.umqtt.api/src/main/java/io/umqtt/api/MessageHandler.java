package io.umqtt.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives the MQTT messages of the topic filters it is registered for: the whiteboard pattern.
 * Register an implementation as an OSGi service with the properties named in
 * {@link HandlerConstants}; the whiteboard bundle ({@code io.umqtt.whiteboard}) then subscribes
 * its filters on the selected {@link MqttConnection} services and calls {@link #handle} for
 * every message that matches:
 *
 * <pre>
 * &#64;Component(property = {
 *         HandlerConstants.TOPIC + "=plant/+/temperature",
 *         HandlerConstants.QOS + ":Integer=1",
 *         HandlerConstants.TARGET + "=(mqtt.connection.name=plant)" })
 * public class TemperatureHandler implements MessageHandler {
 *     public void handle(MqttMessage message) {
 *         ...
 *     }
 * }
 * </pre>
 *
 * <h2>What the whiteboard promises a handler</h2>
 * <ul>
 * <li>Each message the connection receives reaches a handler at most once, even when several of
 * its filters match it; a broker that sends one publication twice to the same client (MQTT
 * 3.1.1 allows one copy per overlapping subscription) produces two messages.</li>
 * <li>Calls come one at a time, in the order the messages arrived, on a thread of the
 * whiteboard's small shared pool, never on the connection's I/O thread. A handler may therefore
 * block briefly, publish (QoS 0, 1 or 2) through {@link MqttMessage#connection()}, and register or
 * unregister handlers, itself included.</li>
 * <li>Each handler has a bounded queue. A handler slower than its messages loses the oldest
 * queued ones when the queue is full; the losses are counted and logged. Other handlers and the
 * connection are not slowed down.</li>
 * <li>An exception thrown by {@code handle} is logged and counted; the message is not redelivered
 * and nothing else is affected. Exception (since 1.4): a handler registered with
 * {@link HandlerConstants#ACK_AFTER_PROCESSING} on a connection that acknowledges after
 * processing; there a QoS 1 message is acknowledged only once {@code handle} returned normally, and
 * an exception closes the connection without the ack, so that the broker redelivers it.</li>
 * <li>The byte arrays of the message belong to this handler: every handler gets its own.</li>
 * </ul>
 * An invalid registration (a malformed filter, QoS 3, an unparsable target) is logged and
 * ignored; it never throws into the registering bundle.
 */
@ConsumerType
@FunctionalInterface
public interface MessageHandler {

    /**
     * Handles one received message.
     *
     * @param message the message; its arrays belong to this handler
     * @throws Exception logged and counted by the whiteboard; the next message is delivered
     *         as usual
     */
    void handle(MqttMessage message) throws Exception;
}
