package io.umqtt.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The properties of an MQTT 5 PUBLISH (MQTT 5 section 3.3.2.3) that an application sets and reads:
 * payload format indicator, message expiry interval, content type, response topic, correlation
 * data, user properties, and on received messages the subscription identifiers. (Topic aliases
 * are the client's business, never the application's.) Immutable; built with {@link #builder()}.
 * <p>
 * A message without properties is {@link #EMPTY}: clients hand out that one instance, so that
 * messages carrying none cost no allocation. On an MQTT 3.1.1 connection every message has
 * {@link #EMPTY}, and publishing with properties that are not empty is refused.
 *
 * @since 1.5
 */
public final class MqttProperties {
    private static final int[] NO_IDS = new int[0];
    /** No properties. */
    public static final MqttProperties EMPTY = new MqttProperties(new Builder());
    /** The largest message expiry interval: a four byte integer (3.3.2.3.3). */
    public static final long MAX_EXPIRY_INTERVAL = 0xFFFF_FFFFL;
    /** {@link #payloadFormat()} when no payload format indicator was given. */
    public static final int FORMAT_UNSPECIFIED = -1;
    /** Payload format indicator 0: unspecified bytes. */
    public static final int FORMAT_BYTES = 0;
    /** Payload format indicator 1: UTF-8 encoded character data. */
    public static final int FORMAT_UTF8 = 1;
    /** {@link #messageExpiryInterval()} when none was given: the message does not expire. */
    public static final long NO_EXPIRY = -1;

    private final int payloadFormat;
    private final long messageExpiryInterval;
    private final String contentType;
    private final String responseTopic;
    private final byte[] correlationData;
    private final List<UserProperty> userProperties;
    private final int[] subscriptionIdentifiers;

    private MqttProperties(Builder b) {
        payloadFormat = b.payloadFormat;
        messageExpiryInterval = b.messageExpiryInterval;
        contentType = b.contentType;
        responseTopic = b.responseTopic;
        correlationData = b.correlationData;
        userProperties = b.userProperties.isEmpty() ? Collections.emptyList()
                : Collections.unmodifiableList(new ArrayList<>(b.userProperties));
        subscriptionIdentifiers = b.subscriptionIdentifiers.length == 0 ? NO_IDS : b.subscriptionIdentifiers.clone();
    }

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these properties. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.payloadFormat = payloadFormat;
        b.messageExpiryInterval = messageExpiryInterval;
        b.contentType = contentType;
        b.responseTopic = responseTopic;
        b.correlationData = correlationData;
        b.userProperties.addAll(userProperties);
        b.subscriptionIdentifiers = subscriptionIdentifiers;
        return b;
    }

    /** Whether no property is set. */
    public boolean isEmpty() {
        return this == EMPTY || (payloadFormat == FORMAT_UNSPECIFIED && messageExpiryInterval == NO_EXPIRY
                && contentType == null && responseTopic == null && correlationData == null
                && userProperties.isEmpty() && subscriptionIdentifiers.length == 0);
    }

    /** {@link #FORMAT_BYTES}, {@link #FORMAT_UTF8}, or {@link #FORMAT_UNSPECIFIED} when absent. */
    public int payloadFormat() {
        return payloadFormat;
    }

    /**
     * The message expiry interval in seconds, 0..{@link #MAX_EXPIRY_INTERVAL}, or {@link #NO_EXPIRY}.
     * On a received message it is what remains of the interval when the broker sent it (3.3.2.3.3).
     */
    public long messageExpiryInterval() {
        return messageExpiryInterval;
    }

    /** The content type (a MIME type by convention), or null. */
    public String contentType() {
        return contentType;
    }

    /** The response topic of a request, or null. */
    public String responseTopic() {
        return responseTopic;
    }

    /** A copy of the correlation data, or null. */
    public byte[] correlationData() {
        return correlationData == null ? null : correlationData.clone();
    }

    /** Whether the correlation data equals {@code data} (compares without copying). */
    public boolean correlationDataEquals(byte[] data) {
        return Arrays.equals(correlationData, data);
    }

    /** The user properties in the order they came, names possibly repeated; unmodifiable, never null. */
    public List<UserProperty> userProperties() {
        return userProperties;
    }

    /** The value of the first user property named {@code name}, or null. */
    public String userProperty(String name) {
        for (UserProperty p : userProperties) {
            if (p.name().equals(name)) {
                return p.value();
            }
        }
        return null;
    }

    /**
     * On a received message, the identifiers of the subscriptions it matched (3.3.2.3.8); a copy,
     * empty when none. Never set on a message to publish.
     */
    public int[] subscriptionIdentifiers() {
        return subscriptionIdentifiers.length == 0 ? NO_IDS : subscriptionIdentifiers.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MqttProperties)) {
            return false;
        }
        MqttProperties p = (MqttProperties) o;
        return p.payloadFormat == payloadFormat && p.messageExpiryInterval == messageExpiryInterval
                && Objects.equals(p.contentType, contentType) && Objects.equals(p.responseTopic, responseTopic)
                && Arrays.equals(p.correlationData, correlationData) && p.userProperties.equals(userProperties)
                && Arrays.equals(p.subscriptionIdentifiers, subscriptionIdentifiers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(payloadFormat, messageExpiryInterval, contentType, responseTopic, userProperties)
                * 31 + Arrays.hashCode(correlationData) * 17 + Arrays.hashCode(subscriptionIdentifiers);
    }

    @Override
    public String toString() {
        if (isEmpty()) {
            return "{}";
        }
        StringBuilder s = new StringBuilder("{");
        if (payloadFormat != FORMAT_UNSPECIFIED) {
            s.append("payload format ").append(payloadFormat == FORMAT_UTF8 ? "UTF-8" : "bytes").append(", ");
        }
        if (messageExpiryInterval != NO_EXPIRY) {
            s.append("message expiry ").append(messageExpiryInterval).append(" s, ");
        }
        if (contentType != null) {
            s.append("content type ").append(contentType).append(", ");
        }
        if (responseTopic != null) {
            s.append("response topic ").append(responseTopic).append(", ");
        }
        if (correlationData != null) {
            s.append("correlation data ").append(correlationData.length).append(" bytes, ");
        }
        if (!userProperties.isEmpty()) {
            s.append("user properties ").append(userProperties).append(", ");
        }
        if (subscriptionIdentifiers.length > 0) {
            s.append("subscription identifiers ").append(Arrays.toString(subscriptionIdentifiers)).append(", ");
        }
        s.setLength(s.length() - 2);
        return s.append('}').toString();
    }

    /** Checks an MQTT UTF-8 string: not null, no U+0000, no lone surrogate, at most 65,535 bytes. */
    static byte[] checkString(String what, String s) {
        byte[] b = MqttUtf8.encode(what, s);
        if (s.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException(what + " must not contain U+0000, found at index " + s.indexOf('\u0000'));
        }
        if (b.length > 65_535) {
            throw new IllegalArgumentException(what + " is " + b.length + " bytes long in UTF-8, the maximum is 65535");
        }
        return b;
    }

    /** Builds {@link MqttProperties}; every setter checks its value and names what is wrong. Not thread-safe. */
    public static final class Builder {
        private int payloadFormat = FORMAT_UNSPECIFIED;
        private long messageExpiryInterval = NO_EXPIRY;
        private String contentType;
        private String responseTopic;
        private byte[] correlationData;
        private final List<UserProperty> userProperties = new ArrayList<>(0);
        private int[] subscriptionIdentifiers = NO_IDS;

        private Builder() {
        }

        /** @param format {@link #FORMAT_BYTES}, {@link #FORMAT_UTF8} or {@link #FORMAT_UNSPECIFIED} */
        public Builder payloadFormat(int format) {
            if (format < FORMAT_UNSPECIFIED || format > FORMAT_UTF8) {
                throw new IllegalArgumentException("payload format indicator must be 0 (bytes) or 1 (UTF-8), "
                        + "or -1 for none, found " + format);
            }
            payloadFormat = format;
            return this;
        }

        /** @param seconds 0..{@link #MAX_EXPIRY_INTERVAL}, or {@link #NO_EXPIRY} */
        public Builder messageExpiryInterval(long seconds) {
            if (seconds < NO_EXPIRY || seconds > MAX_EXPIRY_INTERVAL) {
                throw new IllegalArgumentException("message expiry interval must be 0.." + MAX_EXPIRY_INTERVAL
                        + " seconds, or -1 for none, found " + seconds);
            }
            messageExpiryInterval = seconds;
            return this;
        }

        /** @param type a UTF-8 string, or null for none */
        public Builder contentType(String type) {
            if (type != null) {
                checkString("content type", type);
            }
            contentType = type;
            return this;
        }

        /**
         * @param topic a topic name (no wildcards), or null for none
         * @throws IllegalArgumentException when it is not a valid topic name
         */
        public Builder responseTopic(String topic) {
            if (topic != null) {
                try {
                    TopicFilter.validateTopicName(checkString("response topic", topic));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("response topic '" + topic + "' is not a valid topic name: "
                            + e.getMessage(), e);
                }
            }
            responseTopic = topic;
            return this;
        }

        /** @param data copied; null for none; at most 65,535 bytes */
        public Builder correlationData(byte[] data) {
            if (data != null && data.length > 65_535) {
                throw new IllegalArgumentException("correlation data is " + data.length
                        + " bytes long, the maximum is 65535");
            }
            correlationData = data == null ? null : data.clone();
            return this;
        }

        /** Adds a user property (names may repeat; the order is kept). */
        public Builder userProperty(String name, String value) {
            userProperties.add(new UserProperty(name, value));
            return this;
        }

        /** Adds user properties. */
        public Builder userProperties(List<UserProperty> properties) {
            for (UserProperty p : properties) {
                userProperties.add(Objects.requireNonNull(p, "user property"));
            }
            return this;
        }

        /** Removes every user property. */
        public Builder clearUserProperties() {
            userProperties.clear();
            return this;
        }

        /**
         * The subscription identifiers of a received message. For clients decoding a PUBLISH;
         * a PUBLISH a client sends never carries them (MQTT-3.3.4-6).
         */
        public Builder subscriptionIdentifiers(int... ids) {
            for (int id : ids) {
                if (id < 1 || id > SubscriptionOptions.MAX_SUBSCRIPTION_IDENTIFIER) {
                    throw new IllegalArgumentException("subscription identifier must be 1.."
                            + SubscriptionOptions.MAX_SUBSCRIPTION_IDENTIFIER + ", found " + id);
                }
            }
            subscriptionIdentifiers = ids.length == 0 ? NO_IDS : ids.clone();
            return this;
        }

        /** The properties; {@link #EMPTY} when nothing is set. */
        public MqttProperties build() {
            MqttProperties p = new MqttProperties(this);
            return p.isEmpty() ? EMPTY : p;
        }
    }
}
