package io.umqtt.whiteboard.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Dictionary;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;

/**
 * The validated, immutable view of one {@code MessageHandler} registration's service
 * properties, parsed once per registration or property change. Two infos are
 * {@linkplain #sameSubscriptions(HandlerInfo) alike} when they subscribe the same filters at the
 * same QoS on the same connections; a property change that keeps them alike changes nothing.
 */
final class HandlerInfo {
    private final long serviceId;
    private final long bundleId;
    private final String owner;
    private final List<TopicFilter> filters;
    private final int qos;
    private final String targetText;
    private final Filter target;
    /** {@link HandlerConstants#ACK_AFTER_PROCESSING}: its processing counts before the ack. */
    private final boolean ackAfterProcessing;
    /**
     * The QoS and the MQTT 5 subscription options the handler asks for ({@link HandlerConstants#NO_LOCAL},
     * {@link HandlerConstants#RETAIN_AS_PUBLISHED}, {@link HandlerConstants#RETAIN_HANDLING}).
     */
    private final SubscriptionOptions options;

    private HandlerInfo(long serviceId, long bundleId, String owner, List<TopicFilter> filters, int qos,
            String targetText, Filter target, boolean ackAfterProcessing, SubscriptionOptions options) {
        this.ackAfterProcessing = ackAfterProcessing;
        this.options = options;
        this.serviceId = serviceId;
        this.bundleId = bundleId;
        this.owner = owner;
        this.filters = filters;
        this.qos = qos;
        this.targetText = targetText;
        this.target = target;
    }

    /**
     * Reads a handler's service properties.
     *
     * @param owner names the registering bundle in log messages, e.g. {@code com.acme.sensors [12]}
     * @throws IllegalArgumentException naming the property and the bad value
     */
    static HandlerInfo parse(Map<String, ?> properties, String owner) {
        long serviceId = serviceId(properties);
        Object bundle = properties.get(Constants.SERVICE_BUNDLEID);
        long bundleId = bundle instanceof Long ? (Long) bundle : -1;
        int qos = qos(properties.get(HandlerConstants.QOS));
        SubscriptionOptions options = SubscriptionOptions.qos(qos)
                .withNoLocal(flag(HandlerConstants.NO_LOCAL, properties.get(HandlerConstants.NO_LOCAL)))
                .withRetainAsPublished(flag(HandlerConstants.RETAIN_AS_PUBLISHED,
                        properties.get(HandlerConstants.RETAIN_AS_PUBLISHED)))
                .withRetainHandling(retainHandling(properties.get(HandlerConstants.RETAIN_HANDLING)));
        return new HandlerInfo(serviceId, bundleId, owner, filters(properties.get(HandlerConstants.TOPIC)),
                qos, targetText(properties.get(HandlerConstants.TARGET)),
                target(properties.get(HandlerConstants.TARGET)),
                flag(HandlerConstants.ACK_AFTER_PROCESSING, properties.get(HandlerConstants.ACK_AFTER_PROCESSING)),
                options);
    }

    /** The {@code service.id} of a registration. */
    static long serviceId(Map<String, ?> properties) {
        Object id = properties.get(Constants.SERVICE_ID);
        if (!(id instanceof Long)) {
            throw new IllegalArgumentException(Constants.SERVICE_ID + " must be a Long, found " + describe(id));
        }
        return (Long) id;
    }

    private static List<TopicFilter> filters(Object value) {
        List<String> texts = new ArrayList<>();
        if (value instanceof String) {
            texts.add((String) value);
        } else if (value instanceof String[]) {
            texts.addAll(Arrays.asList((String[]) value));
        } else if (value instanceof Collection) {
            for (Object o : (Collection<?>) value) {
                if (!(o instanceof String)) {
                    throw new IllegalArgumentException(HandlerConstants.TOPIC + " must hold only Strings, found "
                            + describe(o) + " in " + value);
                }
                texts.add((String) o);
            }
        } else {
            throw new IllegalArgumentException(HandlerConstants.TOPIC + " must be a String, String[] or "
                    + "Collection<String> of topic filters, found " + describe(value));
        }
        if (texts.isEmpty()) {
            throw new IllegalArgumentException(HandlerConstants.TOPIC + " must name at least one topic filter, found "
                    + "none");
        }
        Set<TopicFilter> parsed = new LinkedHashSet<>();
        for (String text : texts) {
            try {
                parsed.add(TopicFilter.parse(text));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(HandlerConstants.TOPIC + ": " + e.getMessage(), e);
            }
        }
        return Collections.unmodifiableList(new ArrayList<>(parsed));
    }

    private static int qos(Object value) {
        if (value == null) {
            return HandlerConstants.DEFAULT_QOS;
        }
        long q;
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            q = ((Number) value).longValue();
        } else if (value instanceof String) {
            try {
                q = Long.parseLong(((String) value).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(HandlerConstants.QOS + " must be 0, 1 or 2, found " + describe(value),
                        e);
            }
        } else {
            throw new IllegalArgumentException(HandlerConstants.QOS + " must be 0, 1 or 2 (Integer, Long or String), "
                    + "found " + describe(value));
        }
        if (q < MqttConstants.QOS_AT_MOST_ONCE || q > 2) {
            throw new IllegalArgumentException(HandlerConstants.QOS + " must be 0, 1 or 2, found " + describe(value));
        }
        return (int) q;
    }

    /** {@link HandlerConstants#RETAIN_HANDLING}: 0, 1 or 2 as a number or a String; absent: 0. */
    private static int retainHandling(Object value) {
        if (value == null) {
            return SubscriptionOptions.SEND_RETAINED;
        }
        long h = -1;
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            h = ((Number) value).longValue();
        } else if (value instanceof String) {
            try {
                h = Long.parseLong(((String) value).trim());
            } catch (NumberFormatException e) {
                h = -1;
            }
        }
        if (h < SubscriptionOptions.SEND_RETAINED || h > SubscriptionOptions.DO_NOT_SEND_RETAINED) {
            throw new IllegalArgumentException(HandlerConstants.RETAIN_HANDLING + " must be 0 (send retained messages "
                    + "when subscribing), 1 (only if the subscription is new) or 2 (never), as an Integer, Long or "
                    + "String, found " + describe(value));
        }
        return (int) h;
    }

    /** A boolean service property: a Boolean or the String "true"/"false"; absent: false. */
    private static boolean flag(String property, Object value) {
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        if (value instanceof String) {
            String v = ((String) value).trim();
            if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(v);
            }
        }
        throw new IllegalArgumentException(property + " must be true or false (a Boolean "
                + "or a String), found " + describe(value));
    }

    private static String targetText(Object value) {
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new IllegalArgumentException(HandlerConstants.TARGET + " must be a String holding an LDAP filter, "
                + "found " + describe(value));
    }

    private static Filter target(Object value) {
        if (value == null) {
            return null;
        }
        try {
            return FrameworkUtil.createFilter((String) value);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(HandlerConstants.TARGET + " is not a valid LDAP filter: '" + value
                    + "': " + e.getMessage(), e);
        }
    }

    private static String describe(Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof String) {
            return "'" + value + "'";
        }
        if (value instanceof Object[]) {
            return Arrays.toString((Object[]) value) + " (" + value.getClass().getSimpleName() + ")";
        }
        return value + " (" + value.getClass().getSimpleName() + ")";
    }

    long serviceId() {
        return serviceId;
    }

    long bundleId() {
        return bundleId;
    }

    List<TopicFilter> filters() {
        return filters;
    }

    int qos() {
        return qos;
    }

    /** The QoS and the MQTT 5 subscription options it asks for its filters. */
    SubscriptionOptions options() {
        return options;
    }

    /** Whether its processing counts before a QoS 1 message is acknowledged. */
    boolean ackAfterProcessing() {
        return ackAfterProcessing;
    }

    /** The target filter as given, or null. */
    String targetText() {
        return targetText;
    }

    /** Whether this handler wants the connection with these service properties. */
    boolean targets(Dictionary<String, ?> connectionProperties) {
        return target == null || target.match(connectionProperties);
    }

    /** Same filters, QoS, subscription options and target: a change between the two needs no re-subscription. */
    boolean sameSubscriptions(HandlerInfo other) {
        return filters.equals(other.filters) && qos == other.qos && options.equals(other.options)
                && Objects.equals(targetText, other.targetText);
    }

    /** Names the registration in log messages. */
    static String describe(long serviceId, String owner) {
        return "MessageHandler service " + serviceId + " of bundle " + owner;
    }

    @Override
    public String toString() {
        return describe(serviceId, owner) + " " + filters + " qos " + qos
                + (targetText == null ? "" : " target " + targetText)
                + (ackAfterProcessing ? " ack after processing" : "")
                + (options.needsMqtt5() ? " options " + options : "");
    }
}
