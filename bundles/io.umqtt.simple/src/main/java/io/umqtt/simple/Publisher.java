package io.umqtt.simple;

import java.io.IOException;

import io.umqtt.api.MqttProperties;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.internal.codec.PublishEncoder;
import io.umqtt.simple.internal.codec.ShortPackets;

/**
 * PUBLISH for {@link MqttClient}: the argument checks, and the QoS 0, 1 and 2 sends that register
 * the first ack awaited in the {@link AckTable} and write through {@link Outbound}, including the
 * protected hooks of the robust client ({@code sendPublish}, {@code sendPubrel}); see
 * docs/qos2.md for the QoS 2 flow.
 * <p>
 * Threading: any thread; no lock and no state of its own. The ack table (the client's lock) and
 * the write path (its write lock) are used one after the other, never nested.
 * <p>
 * MQTT 5: every send takes the message's {@link MqttProperties}, encoded once here (none:
 * nothing allocated) and checked against the connection ({@link Session5#checkPublish}: no
 * properties on MQTT 3.1.1, the server's Maximum Packet Size).
 */
final class Publisher {
    private final MqttClient client;

    Publisher(MqttClient client) {
        this.client = client;
    }

    /** {@link MqttClient#checkPublishArguments(byte[], byte[], int)}. */
    static void checkArguments(byte[] topic, byte[] msg, int qos) {
        TopicFilter.validateTopicName(topic);
        if (msg == null) {
            throw new IllegalArgumentException("msg must not be null (use an empty array)");
        }
        MqttClient.checkQos(qos);
        PublishEncoder.remainingLength(topic.length, msg.length, qos);
    }

    /**
     * The encoded properties of a publish ({@link PublishEncoder#properties}: null for none),
     * checked against the connection.
     */
    private byte[] properties(byte[] topic, byte[] msg, int qos, MqttProperties properties) {
        byte[] props = properties == null ? null : PublishEncoder.properties(properties);
        Session5.checkPublish(client, topic, msg, qos, properties, props);
        return props;
    }

    /** {@link MqttClient#publish(byte[], byte[], boolean, int, MqttProperties)}. */
    void publish(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties) throws IOException {
        MqttClient.checkPublishArguments(topic, msg, qos);
        byte[] props = properties(topic, msg, qos, properties);
        client.lifecycle.checkConnected();
        if (qos == 0) {
            client.outbound.writePublish(topic, msg, 0, retain, false, 0, false, props);
            return;
        }
        Pending p = client.acks.register(firstAck(qos), topic, 0);
        p.mark = client.outbound.writePublish(topic, msg, qos, retain, false, p.id, false, props);
        client.acks.waits.awaitAck(p);
    }

    /** {@link MqttClient#publishAsync(byte[], byte[], boolean, int, MqttProperties)}. */
    PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        MqttClient.checkPublishArguments(topic, msg, qos);
        byte[] props = properties(topic, msg, qos, properties);
        client.lifecycle.checkConnected();
        if (qos == 0) {
            client.outbound.writePublish(topic, msg, 0, retain, false, 0, false, props);
            return Pending.WRITTEN;
        }
        Pending p = client.acks.registerAsync(topic, qos);
        // while earlier publishAsync publishes await their PUBACK this one is part of a pipelined stream
        p.mark = client.outbound.writePublish(topic, msg, qos, retain, false, p.id, client.acks.asyncInFlight() > 1,
                props);
        return p;
    }

    /** {@link MqttClient#sendPublish(byte[], byte[], boolean, int, boolean, int)}. */
    Pending send(byte[] topic, byte[] msg, boolean retain, int qos, boolean dup, int packetId,
            MqttProperties properties) throws IOException {
        byte[] props = properties(topic, msg, qos, properties);
        client.lifecycle.checkConnected();
        if (qos == 0) {
            client.outbound.writePublish(topic, msg, 0, retain, false, 0, false, props);
            return null;
        }
        Pending p = client.acks.register(firstAck(qos), topic, packetId);
        p.mark = client.outbound.writePublish(topic, msg, qos, retain, dup, p.id, false, props);
        return p;
    }

    /** {@link MqttClient#sendPublish(byte[], byte[], boolean, boolean, int, MqttClient.Qos2Step)}. */
    Pending sendQos2(byte[] topic, byte[] msg, boolean retain, boolean dup, int packetId, MqttClient.Qos2Step beforeWrite,
            MqttProperties properties) throws IOException {
        byte[] props = properties(topic, msg, 2, properties);
        client.lifecycle.checkConnected();
        Pending p = client.acks.register(PacketType.PUBREC, topic, packetId);
        try {
            beforeWrite.before(p);
        } catch (IOException | RuntimeException e) {
            client.acks.forget(p);
            throw e;
        }
        p.mark = client.outbound.writePublish(topic, msg, 2, retain, dup, p.id, false, props);
        return p;
    }

    /** {@link MqttClient#sendPubrel(byte[], int)}. */
    Pending sendPubrel(byte[] topic, int packetId) throws IOException {
        client.lifecycle.checkConnected();
        Pending p = client.acks.registerReleased(topic, packetId);
        client.outbound.writeAck(ShortPackets.PUBREL, p.id, false);
        return p;
    }

    /** The ack a PUBLISH at {@code qos} (1 or 2) awaits first. */
    private static PacketType firstAck(int qos) {
        return qos == 2 ? PacketType.PUBREC : PacketType.PUBACK;
    }
}
