package io.umqtt.api;

/**
 * What a subscription asks of the broker besides its topic filter: the maximum QoS and, on an
 * MQTT 5 connection, the subscription options of MQTT 5 section 3.8.3.1 and a subscription
 * identifier (3.8.2.1.2). Immutable; {@code with...} methods return changed copies.
 * <p>
 * On an MQTT 3.1.1 connection only the QoS can be sent: a connection refuses options other than
 * the defaults with an {@code IllegalArgumentException} naming the option.
 *
 * @since 1.5
 */
public final class SubscriptionOptions {
    /** Retain handling 0: send the retained messages when the subscription is made (the default). */
    public static final int SEND_RETAINED = 0;
    /** Retain handling 1: send the retained messages only if the subscription did not exist. */
    public static final int SEND_RETAINED_IF_NEW = 1;
    /** Retain handling 2: do not send retained messages when subscribing. */
    public static final int DO_NOT_SEND_RETAINED = 2;
    /** The largest subscription identifier (a variable byte integer, 3.8.2.1.2). */
    public static final int MAX_SUBSCRIPTION_IDENTIFIER = 268_435_455;

    private static final SubscriptionOptions[] PLAIN = {
        new SubscriptionOptions(0, false, false, SEND_RETAINED, 0),
        new SubscriptionOptions(1, false, false, SEND_RETAINED, 0),
        new SubscriptionOptions(2, false, false, SEND_RETAINED, 0)
    };

    private final int qos;
    private final boolean noLocal;
    private final boolean retainAsPublished;
    private final int retainHandling;
    private final int subscriptionIdentifier;

    private SubscriptionOptions(int qos, boolean noLocal, boolean retainAsPublished, int retainHandling,
            int subscriptionIdentifier) {
        this.qos = qos;
        this.noLocal = noLocal;
        this.retainAsPublished = retainAsPublished;
        this.retainHandling = retainHandling;
        this.subscriptionIdentifier = subscriptionIdentifier;
    }

    /**
     * The options of a plain subscription at {@code qos}: everything else as MQTT 3.1.1 has it.
     *
     * @throws IllegalArgumentException when qos is not 0, 1 or 2
     */
    public static SubscriptionOptions qos(int qos) {
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("qos must be 0, 1 or 2, found " + qos);
        }
        return PLAIN[qos];
    }

    /** The maximum QoS the broker may deliver with, 0, 1 or 2. */
    public int maxQos() {
        return qos;
    }

    /** No Local: the broker does not send back the messages this connection publishes (MQTT 5 only). */
    public boolean noLocal() {
        return noLocal;
    }

    /** Retain As Published: the broker keeps the RETAIN flag of forwarded messages (MQTT 5 only). */
    public boolean retainAsPublished() {
        return retainAsPublished;
    }

    /** {@link #SEND_RETAINED}, {@link #SEND_RETAINED_IF_NEW} or {@link #DO_NOT_SEND_RETAINED} (MQTT 5 only). */
    public int retainHandling() {
        return retainHandling;
    }

    /** The subscription identifier, 1..{@link #MAX_SUBSCRIPTION_IDENTIFIER}, or 0 for none (MQTT 5 only). */
    public int subscriptionIdentifier() {
        return subscriptionIdentifier;
    }

    /** Whether anything but the QoS differs from a plain subscription (which MQTT 3.1.1 cannot send). */
    public boolean needsMqtt5() {
        return noLocal || retainAsPublished || retainHandling != SEND_RETAINED || subscriptionIdentifier != 0;
    }

    public SubscriptionOptions withNoLocal(boolean on) {
        return new SubscriptionOptions(qos, on, retainAsPublished, retainHandling, subscriptionIdentifier);
    }

    public SubscriptionOptions withRetainAsPublished(boolean on) {
        return new SubscriptionOptions(qos, noLocal, on, retainHandling, subscriptionIdentifier);
    }

    /** @throws IllegalArgumentException when handling is not 0, 1 or 2 */
    public SubscriptionOptions withRetainHandling(int handling) {
        if (handling < 0 || handling > 2) {
            throw new IllegalArgumentException("retain handling must be 0 (send retained), 1 (send retained if the "
                    + "subscription is new) or 2 (do not send retained), found " + handling);
        }
        return new SubscriptionOptions(qos, noLocal, retainAsPublished, handling, subscriptionIdentifier);
    }

    /** @throws IllegalArgumentException when id is not 0..{@link #MAX_SUBSCRIPTION_IDENTIFIER} */
    public SubscriptionOptions withSubscriptionIdentifier(int id) {
        if (id < 0 || id > MAX_SUBSCRIPTION_IDENTIFIER) {
            throw new IllegalArgumentException("subscription identifier must be 1.." + MAX_SUBSCRIPTION_IDENTIFIER
                    + " (or 0 for none), found " + id);
        }
        return new SubscriptionOptions(qos, noLocal, retainAsPublished, retainHandling, id);
    }

    /**
     * The options byte of MQTT 5 section 3.8.3.1: QoS in bits 0-1, No Local bit 2, Retain As
     * Published bit 3, Retain Handling bits 4-5. (For MQTT 3.1.1 the byte is the QoS alone.)
     */
    public int optionsByte() {
        return qos | (noLocal ? 0x04 : 0) | (retainAsPublished ? 0x08 : 0) | (retainHandling << 4);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SubscriptionOptions)) {
            return false;
        }
        SubscriptionOptions s = (SubscriptionOptions) o;
        return s.optionsByte() == optionsByte() && s.subscriptionIdentifier == subscriptionIdentifier;
    }

    @Override
    public int hashCode() {
        return optionsByte() * 31 + subscriptionIdentifier;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("qos ").append(qos);
        if (noLocal) {
            s.append(", no local");
        }
        if (retainAsPublished) {
            s.append(", retain as published");
        }
        if (retainHandling != SEND_RETAINED) {
            s.append(", retain handling ").append(retainHandling);
        }
        if (subscriptionIdentifier != 0) {
            s.append(", subscription identifier ").append(subscriptionIdentifier);
        }
        return s.toString();
    }
}
