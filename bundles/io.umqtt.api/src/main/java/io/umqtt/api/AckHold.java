package io.umqtt.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A hold on the acknowledgement of one received QoS 1 message, for a connection that
 * acknowledges after processing (the umqtt connection services' {@code ack.after.processing},
 * the client's {@code setAckAfterProcessing}). Taken while the message is being delivered (with
 * {@link MqttMessage#holdAck()} in a listener, or the client's {@code holdAck()} in its callback)
 * by a receiver that processes the message later, on another thread (as the whiteboard does for
 * handlers registered with {@link HandlerConstants#ACK_AFTER_PROCESSING}). The PUBACK is written
 * once delivery returned normally and every hold of the message was {@linkplain #release()
 * released}, and after the PUBACKs of every message received before it (MQTT 3.1.1 section 4.6);
 * {@linkplain #fail(Throwable) failing} a hold closes the connection without the ack, so that the
 * broker redelivers the message on the next connection of the session (clean session false).
 * <p>
 * Each hold is settled once: after the first {@code release} or {@code fail}, further calls do
 * nothing. A hold of a connection that was lost meanwhile does nothing either (the broker
 * redelivers on the next connection with the session kept). Any thread may settle a hold; it
 * never throws (a failed write fails the connection, which reports it as usual). A hold that is
 * never settled keeps this and every later ack back until the connection ends, and with them the
 * broker's in-flight window for the client.
 *
 * @since 1.4
 */
@ProviderType
public interface AckHold {
    /** The hold of a message that needs no ack (QoS 0): settling it does nothing. */
    AckHold NONE = new AckHold() {
        @Override
        public void release() {
        }

        @Override
        public void fail(Throwable cause) {
        }

        @Override
        public String toString() {
            return "AckHold[none]";
        }
    };

    /** Processing succeeded: the ack may go out (once the other holds and earlier acks allow). */
    void release();

    /**
     * Processing failed: the message is not acknowledged, and the connection is closed (the
     * client's failure names {@code cause}) so that the broker redelivers it.
     */
    void fail(Throwable cause);
}
