package io.umqtt.simple;

import java.util.List;

import io.umqtt.api.UserProperty;
import io.umqtt.simple.internal.codec.ConnackDecoder5;

/**
 * What the server told an MQTT 5 client in its CONNACK (MQTT 5 section 3.2.2.3): the limits the
 * client keeps to on this connection and the server's answers to what the CONNECT asked. A
 * property the CONNACK did not carry has the default the specification gives it. Immutable; one
 * per connection, from {@link MqttClient#serverSettings()}.
 *
 * @since 1.5
 */
public final class ServerSettings {
    /** {@link #maximumPacketSize()} when the server set no limit (the protocol's: 268,435,460 bytes). */
    public static final long NO_LIMIT = -1;

    private final boolean sessionPresent;
    private final String assignedClientIdentifier;
    private final int serverKeepAlive;
    private final int receiveMaximum;
    private final long maximumPacketSize;
    private final int topicAliasMaximum;
    private final int maximumQos;
    private final boolean retainAvailable;
    private final boolean wildcardSubscriptionAvailable;
    private final boolean subscriptionIdentifiersAvailable;
    private final boolean sharedSubscriptionAvailable;
    private final long sessionExpiryInterval;
    private final String responseInformation;
    private final String serverReference;
    private final String reasonString;
    private final List<UserProperty> userProperties;
    private final String authenticationMethod;
    private final byte[] authenticationData;

    /** From a decoded CONNACK; {@code requestedExpiry} is the Session Expiry Interval the CONNECT sent. */
    ServerSettings(ConnackDecoder5 c, long requestedExpiry) {
        sessionPresent = c.sessionPresent;
        assignedClientIdentifier = c.assignedClientIdentifier;
        serverKeepAlive = c.serverKeepAlive;
        receiveMaximum = c.receiveMaximum;
        maximumPacketSize = c.maximumPacketSize;
        topicAliasMaximum = c.topicAliasMaximum;
        maximumQos = c.maximumQos;
        retainAvailable = c.retainAvailable;
        wildcardSubscriptionAvailable = c.wildcardSubscriptionAvailable;
        subscriptionIdentifiersAvailable = c.subscriptionIdentifiersAvailable;
        sharedSubscriptionAvailable = c.sharedSubscriptionAvailable;
        sessionExpiryInterval = c.sessionExpiryInterval >= 0 ? c.sessionExpiryInterval : requestedExpiry;
        responseInformation = c.responseInformation;
        serverReference = c.serverReference;
        reasonString = c.reasonString;
        userProperties = c.userProperties;
        authenticationMethod = c.authenticationMethod;
        authenticationData = c.authenticationData;
    }

    /** Whether the server resumed a session (Session Present). */
    public boolean sessionPresent() {
        return sessionPresent;
    }

    /** The client identifier the server assigned (the CONNECT had an empty one), or null. */
    public String assignedClientIdentifier() {
        return assignedClientIdentifier;
    }

    /** The keepalive in seconds the server imposes (the client uses it instead of its own), or -1 when none. */
    public int serverKeepAlive() {
        return serverKeepAlive;
    }

    /** How many QoS 1 and 2 publishes the server accepts unacknowledged at once (1..65535; 65535 when absent). */
    public int receiveMaximum() {
        return receiveMaximum;
    }

    /** The largest packet the server accepts, in bytes, or {@link #NO_LIMIT}. */
    public long maximumPacketSize() {
        return maximumPacketSize;
    }

    /** The highest Topic Alias the server accepts from the client; 0: none. */
    public int topicAliasMaximum() {
        return topicAliasMaximum;
    }

    /** The highest QoS the server supports, 0, 1 or 2 (2 when absent). */
    public int maximumQos() {
        return maximumQos;
    }

    public boolean retainAvailable() {
        return retainAvailable;
    }

    public boolean wildcardSubscriptionAvailable() {
        return wildcardSubscriptionAvailable;
    }

    public boolean subscriptionIdentifiersAvailable() {
        return subscriptionIdentifiersAvailable;
    }

    public boolean sharedSubscriptionAvailable() {
        return sharedSubscriptionAvailable;
    }

    /** The Session Expiry Interval in force, in seconds: the server's when it set one, else the client's. */
    public long sessionExpiryInterval() {
        return sessionExpiryInterval;
    }

    /** The Response Information (asked for with {@link MqttClient#setRequestResponseInformation}), or null. */
    public String responseInformation() {
        return responseInformation;
    }

    /** Another server the client may use, or null. */
    public String serverReference() {
        return serverReference;
    }

    /** The server's Reason String, or null. */
    public String reasonString() {
        return reasonString;
    }

    /** The CONNACK's user properties, unmodifiable, never null. */
    public List<UserProperty> userProperties() {
        return userProperties;
    }

    /** The Authentication Method of the CONNACK (enhanced authentication), or null. */
    public String authenticationMethod() {
        return authenticationMethod;
    }

    /** A copy of the CONNACK's Authentication Data, or null. */
    public byte[] authenticationData() {
        return authenticationData == null ? null : authenticationData.clone();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("ServerSettings[session present ").append(sessionPresent);
        if (assignedClientIdentifier != null) {
            s.append(", assigned client id ").append(assignedClientIdentifier);
        }
        if (serverKeepAlive >= 0) {
            s.append(", server keepalive ").append(serverKeepAlive).append(" s");
        }
        s.append(", receive maximum ").append(receiveMaximum);
        if (maximumPacketSize != NO_LIMIT) {
            s.append(", maximum packet size ").append(maximumPacketSize);
        }
        s.append(", topic alias maximum ").append(topicAliasMaximum).append(", maximum QoS ").append(maximumQos)
                .append(", retain ").append(retainAvailable).append(", wildcards ").append(wildcardSubscriptionAvailable)
                .append(", subscription ids ").append(subscriptionIdentifiersAvailable).append(", shared ")
                .append(sharedSubscriptionAvailable).append(", session expiry ").append(sessionExpiryInterval).append(" s");
        if (reasonString != null) {
            s.append(", reason ").append(reasonString);
        }
        if (!userProperties.isEmpty()) {
            s.append(", user properties ").append(userProperties);
        }
        return s.append(']').toString();
    }
}
