package io.umqtt.simple.connection;

import java.util.List;

import io.umqtt.api.UserProperty;
import io.umqtt.simple.MqttClient;

/**
 * The MQTT 5 part of {@link ConnectionSettings}: the protocol version and the connect settings
 * only MQTT 5 has (docs/mqtt5-components.md), validated by {@code SettingsValidator}, and how they
 * reach the client and {@link ConnectionSettings#toString()}. Immutable and thread-safe.
 */
final class Mqtt5Settings {
    final int protocolVersion;
    /** As configured: -1 follows clean session, see {@link #sessionExpiryInterval(boolean)}. */
    private final long sessionExpiryInterval;
    final int receiveMaximum;
    final int topicAliasMaximum;
    final int outboundTopicAliases;
    final boolean requestResponseInformation;
    final List<UserProperty> userProperties;
    final long willDelayInterval;

    Mqtt5Settings(SettingsInputs b, List<UserProperty> userProperties) {
        this.protocolVersion = b.protocolVersion;
        this.sessionExpiryInterval = b.sessionExpiryInterval;
        this.receiveMaximum = b.receiveMaximum;
        this.topicAliasMaximum = b.topicAliasMaximum;
        this.outboundTopicAliases = b.outboundTopicAliases;
        this.requestResponseInformation = b.requestResponseInformation;
        this.userProperties = List.copyOf(userProperties);
        this.willDelayInterval = b.willDelayInterval;
    }

    /** Whether the connection speaks MQTT 5. */
    boolean enabled() {
        return protocolVersion == ConnectionSettings.MQTT_5;
    }

    /** See {@link ConnectionSettings#sessionExpiryInterval()}. */
    long sessionExpiryInterval(boolean cleanSession) {
        return sessionExpiryInterval(sessionExpiryInterval, cleanSession);
    }

    /** The session expiry sent for {@code configured} (-1: 0 with clean session, else never). */
    static long sessionExpiryInterval(long configured, boolean cleanSession) {
        return configured >= 0 ? configured : cleanSession ? 0 : ConnectionSettings.MAX_FOUR_BYTE_INTEGER;
    }

    /** On MQTT 5, sets the protocol version and the MQTT 5 connect settings on {@code client}. */
    void applyTo(MqttClient client, boolean cleanSession) {
        if (enabled()) {
            client.setProtocolVersion(ConnectionSettings.MQTT_5); // first: the MQTT 5 settings need it
            client.setSessionExpiryInterval(sessionExpiryInterval(cleanSession));
            client.setReceiveMaximum(receiveMaximum);
            client.setTopicAliasMaximum(topicAliasMaximum);
            client.setOutboundTopicAliases(outboundTopicAliases);
            client.setRequestResponseInformation(requestResponseInformation);
            client.setConnectUserProperties(userProperties);
        }
    }

    /** On MQTT 5, appends the MQTT 5 part of {@link ConnectionSettings#toString()}. */
    void appendTo(StringBuilder s, boolean cleanSession) {
        if (enabled()) {
            s.append(", protocol.version=5, session.expiry.interval=").append(sessionExpiryInterval(cleanSession))
                    .append(", receive.maximum=").append(receiveMaximum)
                    .append(", topic.alias.maximum=").append(topicAliasMaximum)
                    .append(", outbound.topic.aliases=").append(outboundTopicAliases);
            if (requestResponseInformation) {
                s.append(", request.response.information=true");
            }
            if (!userProperties.isEmpty()) {
                s.append(", user.properties=").append(userProperties);
            }
            if (willDelayInterval != 0) {
                s.append(", will.delay.interval=").append(willDelayInterval);
            }
        }
    }

    /** Maps the MQTT 5 attributes of a configuration onto {@code b}. */
    static ConnectionSettings.Builder configure(ConnectionSettings.Builder b, ConnectionConfig c) {
        return b.protocolVersion(c.protocol_version())
                .sessionExpiryInterval(c.session_expiry_interval())
                .receiveMaximum(c.receive_maximum())
                .topicAliasMaximum(c.topic_alias_maximum())
                .outboundTopicAliases(c.outbound_topic_aliases())
                .requestResponseInformation(c.request_response_information())
                .userProperties(c.user_properties())
                .willDelayInterval(c.will_delay_interval());
    }
}
