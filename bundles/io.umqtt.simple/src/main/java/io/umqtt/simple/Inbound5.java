package io.umqtt.simple;

import java.io.IOException;

import io.umqtt.api.MqttException;
import io.umqtt.simple.internal.codec.Acks5;
import io.umqtt.simple.internal.codec.AuthCodec;
import io.umqtt.simple.internal.codec.Disconnect5;
import io.umqtt.simple.internal.codec.Properties;
import io.umqtt.simple.internal.codec.PropertyReader;
import io.umqtt.simple.internal.codec.SubscribeAck5;

/**
 * The reader's handling of the MQTT 5 packets other than PUBLISH and PINGRESP (see docs/mqtt5.md):
 * acks with reason codes (a refusal fails the operation), SUBACK and UNSUBACK with one reason code
 * per filter, AUTH (enhanced authentication, before CONNACK and in a re-authentication;
 * {@link AuthExchange}), and the server's DISCONNECT. Decodes with the codec's MQTT 5 decoders,
 * reused from packet to packet. Made by {@link Inbound#mqtt5()} on the first MQTT 5 packet it handles.
 * <p>
 * Threading: owned by the thread holding the reader role, like {@link Inbound}; no lock of its own
 * (the ack table takes the client's lock to complete an ack).
 */
final class Inbound5 {
    private final MqttClient client;
    private final PacketReader reader;
    private final AckTable acks;
    private final Qos2Handshakes qos2;

    Inbound5(MqttClient client, PacketReader reader, AckTable acks, Qos2Handshakes qos2) {
        this.client = client;
        this.reader = reader;
        this.acks = acks;
        this.qos2 = qos2;
    }

    // The MQTT 5 decoders, made with this (on the first MQTT 5 packet: an MQTT 3.1.1 client never
    // needs them); used by the reader only, like the rest of this class.
    private final Acks5 acks5 = new Acks5();
    private final Disconnect5 disconnect5 = new Disconnect5();
    private final PropertyReader properties5 = new PropertyReader();

    /**
     * {@link Inbound#process} on an MQTT 5 connection for what is not PUBLISH or PINGRESP: the acks of
     * QoS 1 and 2 with reason codes (a refusal, 0x80 or more, fails the publish with
     * PUBLISH_REFUSED; a refused PUBREC ends the flow without PUBREL, section 4.3.3), SUBACK and
     * UNSUBACK with their reason codes (sub5: {@link SubscribeAck5}),
     * AUTH of a re-authentication ({@link AuthExchange}), and the server's DISCONNECT, which ends the
     * connection with DISCONNECTED_BY_SERVER.
     */
    PacketType process(PacketType type, int total) throws IOException {
        byte[] rbuf = reader.rbuf;
        int rpos = reader.rpos;
        int id = 0;
        SubscribeAck5 subscribeAck = null;
        AuthCodec auth = null;
        try {
            switch (type) {
                case PUBACK:
                case PUBREC:
                case PUBREL:
                case PUBCOMP:
                    acks5.decode(type, rbuf, rpos, total);
                    id = acks5.packetId();
                    break;
                case SUBACK: // sub5
                    subscribeAck = SubscribeAck5.suback(rbuf, rpos, total, properties5);
                    id = subscribeAck.packetId;
                    break;
                case UNSUBACK: // sub5
                    subscribeAck = SubscribeAck5.unsuback(rbuf, rpos, total, properties5);
                    id = subscribeAck.packetId;
                    break;
                case AUTH: // sub5
                    auth = AuthCodec.decode(rbuf, rpos, total, properties5);
                    break;
                case DISCONNECT:
                    disconnect5.decode(rbuf, rpos, total);
                    break;
                case CONNACK:
                    throw Properties.protocolError(
                            "unexpected CONNACK on an established connection (MQTT-3.2.0-2)");
                default: // client-only types were refused when framing
                    throw Properties.protocolError("unexpected " + type + " from "
                            + client.settings.broker());
            }
        } catch (MqttException e) {
            throw client.fail(e);
        }
        reader.consume(total);
        switch (type) {
            case DISCONNECT:
                throw client.fail(client.session5.serverDisconnected(disconnect5));
            case PUBREC:
                if (acks5.reasonCode() >= 0x80) {
                    acks.refused(id, type, refusal(type, id, acks5.reasonCode(), acks5.reasonString()));
                } else {
                    qos2.release(id);
                }
                break;
            case PUBREL:
                qos2.released(id);
                break;
            case PUBACK:
            case PUBCOMP:
                if (acks5.reasonCode() >= 0x80) {
                    acks.refused(id, type, refusal(type, id, acks5.reasonCode(), acks5.reasonString()));
                } else {
                    acks.complete(id, type, acks5.reasonCode(), null);
                }
                break;
            case SUBACK:
            case UNSUBACK: // sub5: one reason code per filter, checked against the (UN)SUBSCRIBE
                acks.complete(id, type, subscribeAck.codes[0], subscribeAck.codes, subscribeAck.reasonString);
                break;
            default: // AUTH (sub5): a step of the re-authentication the client started
                authenticated(auth);
                break;
        }
        return type;
    }

    /**
     * The reader is connecting (MQTT 5) and read an AUTH before CONNACK: hands it to the
     * {@link AuthExchange}, which answers the broker's challenge (written here) or fails.
     */
    void readAuth(int total) throws IOException {
        AuthCodec auth;
        try {
            auth = AuthCodec.decode(reader.rbuf, reader.rpos, total, properties5);
        } catch (MqttException e) {
            throw client.fail(e);
        } finally {
            reader.consume(total);
        }
        authenticated(auth);
    }

    /** Lets the {@link AuthExchange} handle the broker's AUTH, writing its answer, if any. */
    private void authenticated(AuthCodec auth) throws IOException {
        byte[] answer;
        try {
            answer = client.session5.auth.received(auth);
        } catch (MqttException e) {
            throw client.fail(e);
        }
        if (answer != null) {
            client.outbound.writePacket(answer);
        }
    }

    /** The failure of a publish its ack refused: PUBLISH_REFUSED with the reason code and string. */
    private MqttException refusal(PacketType type, int id, int code, String reasonString) {
        return new MqttException(MqttException.Reason.PUBLISH_REFUSED, code, reasonString, "broker "
                + client.settings.broker() + " refused the publish of packet id " + id + ": "
                + MqttException.reasonCodeName(code) + String.format(" (%s reason code 0x%02X)", type, code)
                + (reasonString != null ? ": " + reasonString : ""));
    }
}
