package io.umqtt.api;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An MQTT 3.1.1 or MQTT 5 connection ({@link #protocolVersion()}), registered as an OSGi service by the umqtt client components
 * with the properties named in {@link MqttConstants}. All methods may be called from any thread.
 */
@ProviderType
public interface MqttConnection {
    /**
     * What {@link #subscribe(String[], int[], MessageListener)} returns for a filter the broker
     * refused: the SUBACK return code 0x80.
     *
     * @since 1.4
     */
    int SUBSCRIPTION_FAILURE = 0x80;

    /** The connection's name ({@link MqttConstants#NAME}). */
    String name();

    /** The current state. */
    ConnectionState state();

    /** Shorthand for {@code state() == CONNECTED}. */
    default boolean isConnected() {
        return state() == ConnectionState.CONNECTED;
    }

    /**
     * The protocol level the connection speaks: {@link MqttConstants#MQTT_3_1_1} (the default) or
     * {@link MqttConstants#MQTT_5}.
     *
     * @since 1.5
     */
    default int protocolVersion() {
        return MqttConstants.MQTT_3_1_1;
    }

    /**
     * Publishes a message with MQTT 5 properties; with {@link MqttProperties#EMPTY} it is
     * {@link #publish(String, byte[], int, boolean)}.
     *
     * @throws IllegalArgumentException for a bad topic or QoS, or properties that are not empty
     *         on a connection that is not MQTT 5 (naming the connection)
     * @throws IOException as {@link #publish(byte[], byte[], int, boolean)}; on MQTT 5 also an
     *         {@link MqttException} with reason {@link MqttException.Reason#PUBLISH_REFUSED} when the
     *         broker answers with a reason code of 0x80 or more
     * @since 1.5
     */
    default void publish(String topic, byte[] payload, int qos, boolean retain, MqttProperties properties)
            throws IOException {
        if (properties != null && !properties.isEmpty()) {
            throw new IllegalArgumentException("connection " + name() + " speaks MQTT 3.1.1, which has no message "
                    + "properties: configure protocol.version=5 to publish with " + properties);
        }
        publish(topic, payload, qos, retain);
    }

    /**
     * Subscribes {@code listener} with subscription options; with only a QoS it is
     * {@link #subscribe(String, int, MessageListener)}.
     *
     * @return the QoS the broker granted
     * @throws IllegalArgumentException for a bad filter, or options beyond the QoS on a
     *         connection that is not MQTT 5
     * @since 1.5
     */
    default int subscribe(String filter, SubscriptionOptions options, MessageListener listener) throws IOException {
        if (options.needsMqtt5()) {
            throw new IllegalArgumentException("connection " + name() + " speaks MQTT 3.1.1, which has no "
                    + "subscription options: configure protocol.version=5 to subscribe to '" + filter + "' with "
                    + options);
        }
        return subscribe(filter, options.maxQos(), listener);
    }

    /**
     * Subscribes {@code listener} to several topic filters, each with its own subscription
     * options, in one SUBSCRIBE packet where the connection can; returns, in the order of
     * {@code filters}, the QoS the broker granted each filter or a failure code of 0x80 or more
     * for a filter it refused (on MQTT 3.1.1 always {@link #SUBSCRIPTION_FAILURE}; on MQTT 5 the
     * SUBACK reason code). Each filter behaves as with {@link #subscribe(String, SubscriptionOptions,
     * MessageListener)}; a partial refusal is not an exception, as with
     * {@link #subscribe(String[], int[], MessageListener)}.
     * <p>
     * The default implementation, for connections that do not override it: with options that
     * are only QoS, {@link #subscribe(String[], int[], MessageListener)}; otherwise the filters
     * one after the other with {@link #subscribe(String, SubscriptionOptions, MessageListener)}
     * (which refuses MQTT 5 options on an MQTT 3.1.1 connection), a refusal turned into 0x80.
     *
     * @param filters the topic filters, at least one
     * @param options the options of each filter, at the same index
     * @throws IllegalArgumentException naming the bad filter: an invalid filter, no filters, not
     *         one options per filter, a null listener, or MQTT 5 options on an MQTT 3.1.1
     *         connection; nothing is sent
     * @throws IOException when the connection is down or the SUBACK does not arrive in time
     * @since 1.5
     */
    default int[] subscribe(String[] filters, SubscriptionOptions[] options, MessageListener listener)
            throws IOException {
        if (options == null || filters == null || options.length != filters.length) {
            throw new IllegalArgumentException("one SubscriptionOptions per filter is needed: "
                    + (filters == null ? "no" : String.valueOf(filters.length)) + " filters, "
                    + (options == null ? "no" : String.valueOf(options.length)) + " options");
        }
        int[] qos = new int[options.length];
        boolean plain = true;
        for (int i = 0; i < options.length; i++) {
            if (options[i] == null) {
                throw new IllegalArgumentException("the options of filter " + (i + 1) + " of " + options.length
                        + " ('" + filters[i] + "') are null");
            }
            qos[i] = options[i].maxQos();
            plain &= !options[i].needsMqtt5();
        }
        checkFilters(filters, qos, listener);
        if (plain) {
            return subscribe(filters, qos, listener);
        }
        if (protocolVersion() != MqttConstants.MQTT_5) {
            for (int i = 0; i < filters.length; i++) {
                if (options[i].needsMqtt5()) {
                    throw new IllegalArgumentException("connection " + name() + " speaks MQTT 3.1.1, which has no "
                            + "subscription options: configure protocol.version=5 to subscribe to '" + filters[i]
                            + "' with " + options[i]);
                }
            }
        }
        int[] granted = new int[filters.length];
        for (int i = 0; i < filters.length; i++) {
            try {
                granted[i] = subscribe(filters[i], options[i], listener);
            } catch (MqttException e) {
                if (e.reason() != MqttException.Reason.SUBSCRIPTION_REFUSED) {
                    throw e;
                }
                granted[i] = e.returnCode() >= SUBSCRIPTION_FAILURE ? e.returnCode() : SUBSCRIPTION_FAILURE;
            }
        }
        return granted;
    }

    /**
     * MQTT 5 request/response (section 4.10): publishes {@code payload} to {@code topic} with a
     * response topic this connection subscribes to and correlation data of its own, and completes
     * with the first message that comes back on it carrying that correlation data. Usable from a
     * listener or {@code MessageHandler}: it does not block.
     *
     * @param properties further properties of the request (not response topic or correlation
     *        data, which the connection sets), or {@link MqttProperties#EMPTY}
     * @param timeoutMillis how long to wait for the response, more than 0
     * @return completes with the response; exceptionally with an {@link MqttException} of reason
     *         {@link MqttException.Reason#TIMEOUT} when none arrives in time, or with the failure of
     *         the publish or the connection
     * @since 1.5
     */
    default java.util.concurrent.CompletableFuture<MqttMessage> request(String topic, byte[] payload, int qos,
            MqttProperties properties, long timeoutMillis) {
        java.util.concurrent.CompletableFuture<MqttMessage> f = new java.util.concurrent.CompletableFuture<>();
        f.completeExceptionally(new UnsupportedOperationException("connection " + name() + " speaks MQTT 3.1.1, "
                + "which has no request/response: configure protocol.version=5"));
        return f;
    }

    /**
     * Publishes a message. At QoS 0 it returns once the packet is written; at QoS 1 once the
     * broker's PUBACK for it has arrived.
     *
     * @throws IllegalArgumentException for a bad topic (empty, wildcards, too long) or QoS
     * @throws IOException when the connection is down, or the PUBACK does not arrive in time
     */
    void publish(byte[] topic, byte[] payload, int qos, boolean retain) throws IOException;

    /**
     * {@link #publish(byte[], byte[], int, boolean)} with the topic encoded as UTF-8.
     *
     * @throws IllegalArgumentException also for a topic with a lone surrogate (an unpaired half of
     *         a UTF-16 pair), which UTF-8 cannot encode
     */
    default void publish(String topic, byte[] payload, int qos, boolean retain) throws IOException {
        publish(MqttUtf8.encode("topic", topic), payload, qos, retain);
    }

    /**
     * Subscribes to a topic filter and delivers its messages to {@code listener}; returns the
     * QoS the broker granted.
     * <p>
     * A listener subscribed under several filters that match one received message is called
     * once for it. Subscribing a filter again with the same listener is idempotent apart from
     * the QoS asked for (the broker re-sends its retained messages): the listener still gets each
     * message once. The {@code io.umqtt.whiteboard} bundle relies on both.
     * <p>
     * Several listeners may share a filter: the broker holds one subscription per filter, asked
     * at the highest QoS any of them wants, so a listener asking QoS 0 never lowers another's
     * QoS 1. Each listener leaves with {@link #unsubscribe(String, MessageListener)}.
     * <p>
     * A {@link MatchingListener} matches topics itself: from API 1.3 on, a connection hands it
     * every received message through {@link MatchingListener#route} while it is subscribed to at
     * least one filter, without matching the message against its filters first.
     *
     * @throws IllegalArgumentException for a bad filter or QoS
     * @throws MqttException with reason SUBSCRIPTION_REFUSED when the broker refuses it (0x80)
     * @throws IOException when the connection is down or the SUBACK does not arrive in time
     */
    int subscribe(String filter, int qos, MessageListener listener) throws IOException;

    /**
     * Unsubscribes the filter and drops every listener registered for it, whoever subscribed
     * them. Code sharing a connection with others (the whiteboard, shell commands) uses
     * {@link #unsubscribe(String, MessageListener)} instead.
     *
     * @throws IllegalArgumentException for a bad filter
     * @throws IOException when the connection is down or the UNSUBACK does not arrive in time
     *         (the listeners are dropped all the same)
     */
    void unsubscribe(String filter) throws IOException;

    /**
     * Drops {@code listener}'s subscription to {@code filter}; the broker is told to unsubscribe
     * only when no other listener of this connection remains subscribed to that filter. Unknown
     * pairs are ignored.
     *
     * @return whether the filter had no listener left, so that it was unsubscribed at the broker
     * @throws IllegalArgumentException for a bad filter or a null listener
     * @throws IOException when the connection is down or the UNSUBACK does not arrive in time
     *         (the listener is dropped all the same)
     * @since 1.1
     */
    boolean unsubscribe(String filter, MessageListener listener) throws IOException;

    /**
     * Subscribes {@code listener} to several topic filters, each at its own QoS, in one SUBSCRIBE
     * packet; returns, in the order of {@code filters}, the QoS the broker granted each filter, or
     * {@link #SUBSCRIPTION_FAILURE} (0x80) for a filter it refused. A partial refusal is not an
     * exception: the listener stays subscribed to the granted filters, and is dropped from the
     * refused ones. Each filter behaves as with {@link #subscribe(String, int, MessageListener)}
     * (listeners sharing a filter, the QoS the broker is asked, idempotence).
     * <p>
     * Every filter and QoS is checked before anything is sent. The umqtt client components (from
     * API 1.4 on) send one packet (several only when the filters exceed the maximum MQTT packet
     * size). The default implementation, for connections written against an earlier API,
     * subscribes the filters one after the other with
     * {@link #subscribe(String, int, MessageListener)}, turning a refusal into 0x80; an
     * {@code IOException} ends it at that filter, the filters before it staying subscribed.
     *
     * @param filters the topic filters, at least one
     * @param qos the QoS asked for each filter, at the same index
     * @return each filter's granted QoS, or 0x80 when the broker refused it
     * @throws IllegalArgumentException naming the bad filter: an invalid filter or QoS, no
     *         filters, not one QoS per filter, or a null listener; nothing is sent
     * @throws IOException when the connection is down or the SUBACK does not arrive in time
     * @since 1.4
     */
    default int[] subscribe(String[] filters, int[] qos, MessageListener listener) throws IOException {
        checkFilters(filters, qos, listener);
        int[] granted = new int[filters.length];
        for (int i = 0; i < filters.length; i++) {
            try {
                granted[i] = subscribe(filters[i], qos[i], listener);
            } catch (MqttException e) {
                if (e.reason() != MqttException.Reason.SUBSCRIPTION_REFUSED) {
                    throw e;
                }
                granted[i] = SUBSCRIPTION_FAILURE;
            }
        }
        return granted;
    }

    /**
     * Drops {@code listener}'s subscriptions to several filters, as
     * {@link #unsubscribe(String, MessageListener)} does each; the filters that have no other
     * listener left are unsubscribed at the broker in one UNSUBSCRIBE packet by the umqtt client
     * components (from API 1.4 on). The default implementation, for connections written against
     * an earlier API, calls {@link #unsubscribe(String, MessageListener)} for each filter (all of
     * them, then throws the first failure).
     *
     * @return for each filter, whether it had no listener left, so that it was unsubscribed at the
     *         broker
     * @throws IllegalArgumentException naming the bad filter, no filters, or a null listener;
     *         nothing is changed
     * @throws IOException when the connection is down or the UNSUBACK does not arrive in time
     *         (the listener is dropped all the same)
     * @since 1.4
     */
    default boolean[] unsubscribe(String[] filters, MessageListener listener) throws IOException {
        checkFilters(filters, null, listener);
        boolean[] unsubscribed = new boolean[filters.length];
        IOException first = null;
        for (int i = 0; i < filters.length; i++) {
            try {
                unsubscribed[i] = unsubscribe(filters[i], listener);
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return unsubscribed;
    }

    /**
     * Checks the arguments of the several-filter calls: at least one filter, each valid, one QoS
     * (0, 1 or 2) per filter unless {@code qos} is null, a listener.
     *
     * @throws IllegalArgumentException naming the first bad filter and its index
     * @since 1.4
     */
    static void checkFilters(String[] filters, int[] qos, MessageListener listener) {
        if (filters == null || filters.length == 0) {
            throw new IllegalArgumentException("no topic filters given: " + (filters == null ? "filters is null"
                    : "filters is empty"));
        }
        if (listener == null) {
            throw new IllegalArgumentException("listener must not be null");
        }
        if (qos != null && qos.length != filters.length) {
            throw new IllegalArgumentException("one QoS per filter is needed: " + filters.length + " filters, "
                    + qos.length + " QoS values");
        }
        for (int i = 0; i < filters.length; i++) {
            String which = "filter " + (i + 1) + " of " + filters.length + " ('" + filters[i] + "')";
            if (filters[i] == null) {
                throw new IllegalArgumentException(which + " is not a valid topic filter: it is null");
            }
            try {
                TopicFilter.parse(filters[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(which + " is not a valid topic filter: " + e.getMessage(), e);
            }
            if (qos != null && (qos[i] < 0 || qos[i] > 2)) {
                throw new IllegalArgumentException(which + ": qos must be 0, 1 or 2, found " + qos[i]);
            }
        }
    }
}
