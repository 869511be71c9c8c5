package io.umqtt.simple.internal.codec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.PacketType;

/**
 * Decodes the CONNACK of MQTT 5 (section 3.2): acknowledge flags, reason code and CONNACK
 * properties. After {@link #decode} the fields describe the packet; properties it did not carry
 * have their defaults of section 3.2.2.3 (Receive Maximum 65,535, Maximum QoS 2, the
 * "available" flags true, Topic Alias Maximum 0), the others {@code -1} or null when absent. Not
 * thread-safe: one per connect.
 * <p>
 * Validates: it is a CONNACK (MQTT-3.2.0-1); the acknowledge flags' bits 7-1 are 0 (MQTT-3.2.2-1);
 * the reason code is one table 3-1 allows; Session Present is 0 with Clean Start (MQTT-3.2.2-2)
 * and with a refusal (MQTT-3.2.2-6); the properties as {@link PropertyReader} checks them, and
 * that they end where the packet ends. A refusal (reason code 0x80 or more) is an
 * {@link MqttException} CONNECTION_REFUSED with the code and the broker's reason string. A broker
 * that speaks only MQTT 3.1.1 answers a level 5 CONNECT with the 3.1.1 CONNACK return code 1
 * (unacceptable protocol version): that is reported as such.
 */
public final class ConnackDecoder5 {
    public boolean sessionPresent;
    public int reasonCode;
    /** Session Expiry Interval the server sets instead of ours, or -1. */
    public long sessionExpiryInterval;
    public int receiveMaximum;
    public int maximumQos;
    public boolean retainAvailable;
    /** Maximum Packet Size of the server, or -1 when it has no limit but the protocol's. */
    public long maximumPacketSize;
    public String assignedClientIdentifier;
    public int topicAliasMaximum;
    public String reasonString;
    public List<UserProperty> userProperties;
    public boolean wildcardSubscriptionAvailable;
    public boolean subscriptionIdentifiersAvailable;
    public boolean sharedSubscriptionAvailable;
    /** Server Keep Alive, or -1. */
    public int serverKeepAlive;
    public String responseInformation;
    public String serverReference;
    public String authenticationMethod;
    public byte[] authenticationData;

    private final PropertyReader reader = new PropertyReader();

    /**
     * Decodes the packet at {@code b[off..off+len)} as the answer to a CONNECT.
     *
     * @param cleanStart whether the CONNECT asked for Clean Start
     * @param server the broker's host, for messages
     * @param port the broker's port, for messages
     * @throws MqttException CONNECTION_REFUSED for a refusal, PROTOCOL_ERROR for anything malformed
     */
    public void decode(byte[] b, int off, int len, boolean cleanStart, String server, int port) throws MqttException {
        PacketType type = FixedHeader.type(b, off);
        if (type != PacketType.CONNACK) {
            throw Properties.protocolError("expected CONNACK from " + server + ":" + port + ", received " + type
                    + " (MQTT-3.2.0-1)");
        }
        int body = FixedHeader.bodyOffset(b, off);
        int end = off + len;
        int rem = end - body;
        if (rem == 2 && (b[body + 1] & 0xFF) == 1) {
            throw new MqttException(Reason.CONNECTION_REFUSED, 1, "broker " + server + ":" + port + " does not speak "
                    + "MQTT 5: it answered with the MQTT 3.1.1 CONNACK return code 1 (unacceptable protocol version); "
                    + "connect with protocol version 4 (MQTT 3.1.1)");
        }
        if (rem < 3) {
            throw Properties.malformed("CONNACK remaining length " + rem + " cannot hold the acknowledge flags, the "
                    + "reason code and the property length (section 3.2.2)");
        }
        int ackFlags = b[body] & 0xFF;
        int code = b[body + 1] & 0xFF;
        if ((ackFlags & ~ConnackDecoder.FLAG_SESSION_PRESENT) != 0) {
            throw Properties.malformed(String.format("CONNACK acknowledge flags must be 0 or 1, found 0x%02X "
                    + "(MQTT-3.2.2-1)", ackFlags));
        }
        if (!validReasonCode(code)) {
            throw Properties.protocolError(String.format("CONNACK reason code 0x%02X is not one a CONNACK may carry "
                    + "(section 3.2.2.2)", code));
        }
        clear();
        int after = reader.start(Properties.CONNACK, b, body + 2, end);
        readProperties();
        if (after != end) {
            throw Properties.malformed("CONNACK has " + (end - after) + " bytes after its properties (section 3.2.3: "
                    + "no payload)");
        }
        sessionPresent = (ackFlags & ConnackDecoder.FLAG_SESSION_PRESENT) != 0;
        reasonCode = code;
        if (code >= 0x80) {
            if (sessionPresent) {
                throw Properties.protocolError("CONNACK refusing the connection (reason code "
                        + String.format("0x%02X", code) + ") has Session Present set (MQTT-3.2.2-6)");
            }
            throw new MqttException(Reason.CONNECTION_REFUSED, code, reasonString, serverReference, "broker " + server
                    + ":" + port
                    + " refused the connection: " + MqttException.reasonCodeName(code)
                    + String.format(" (CONNACK reason code 0x%02X)", code)
                    + (reasonString != null ? ": " + reasonString : "")
                    + (serverReference != null ? "; server reference: " + serverReference : ""));
        }
        if (sessionPresent && cleanStart) {
            throw Properties.protocolError("CONNACK has Session Present set although Clean Start was requested "
                    + "(MQTT-3.2.2-2)");
        }
    }

    private void clear() {
        sessionExpiryInterval = -1;
        receiveMaximum = 65_535;
        maximumQos = 2;
        retainAvailable = true;
        maximumPacketSize = -1;
        assignedClientIdentifier = null;
        topicAliasMaximum = 0;
        reasonString = null;
        userProperties = Collections.emptyList();
        wildcardSubscriptionAvailable = true;
        subscriptionIdentifiersAvailable = true;
        sharedSubscriptionAvailable = true;
        serverKeepAlive = -1;
        responseInformation = null;
        serverReference = null;
        authenticationMethod = null;
        authenticationData = null;
    }

    private void readProperties() throws MqttException {
        PropertyReader r = reader;
        while (r.next()) {
            switch (r.id()) {
                case Properties.SESSION_EXPIRY_INTERVAL:
                    sessionExpiryInterval = r.value();
                    break;
                case Properties.RECEIVE_MAXIMUM:
                    receiveMaximum = (int) r.value();
                    break;
                case Properties.MAXIMUM_QOS:
                    maximumQos = (int) r.value();
                    break;
                case Properties.RETAIN_AVAILABLE:
                    retainAvailable = r.value() == 1;
                    break;
                case Properties.MAXIMUM_PACKET_SIZE:
                    maximumPacketSize = r.value();
                    break;
                case Properties.ASSIGNED_CLIENT_IDENTIFIER:
                    assignedClientIdentifier = r.string();
                    break;
                case Properties.TOPIC_ALIAS_MAXIMUM:
                    topicAliasMaximum = (int) r.value();
                    break;
                case Properties.REASON_STRING:
                    reasonString = r.string();
                    break;
                case Properties.USER_PROPERTY:
                    if (userProperties.isEmpty()) {
                        userProperties = new ArrayList<>();
                    }
                    userProperties.add(r.userProperty());
                    break;
                case Properties.WILDCARD_SUBSCRIPTION_AVAILABLE:
                    wildcardSubscriptionAvailable = r.value() == 1;
                    break;
                case Properties.SUBSCRIPTION_IDENTIFIER_AVAILABLE:
                    subscriptionIdentifiersAvailable = r.value() == 1;
                    break;
                case Properties.SHARED_SUBSCRIPTION_AVAILABLE:
                    sharedSubscriptionAvailable = r.value() == 1;
                    break;
                case Properties.SERVER_KEEP_ALIVE:
                    serverKeepAlive = (int) r.value();
                    break;
                case Properties.RESPONSE_INFORMATION:
                    responseInformation = r.string();
                    break;
                case Properties.SERVER_REFERENCE:
                    serverReference = r.string();
                    break;
                case Properties.AUTHENTICATION_METHOD:
                    authenticationMethod = r.string();
                    break;
                default: // AUTHENTICATION_DATA: the reader allows nothing else in a CONNACK
                    authenticationData = r.bytes();
                    break;
            }
        }
        if (!userProperties.isEmpty()) {
            userProperties = Collections.unmodifiableList(userProperties);
        }
    }

    /** Whether {@code code} is a CONNACK reason code of MQTT 5 (table 3-1). */
    public static boolean validReasonCode(int code) {
        switch (code) {
            case 0x00: case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
            case 0x88: case 0x89: case 0x8A: case 0x8C: case 0x90: case 0x95: case 0x97: case 0x99: case 0x9A:
            case 0x9B: case 0x9C: case 0x9D: case 0x9F:
                return true;
            default:
                return false;
        }
    }
}
