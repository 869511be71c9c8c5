package io.umqtt.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A delivered application message: what a client hands to its callback. Immutable. */
final class Message {
    final byte[] topic;
    final byte[] payload;
    final int qos;
    final boolean retain;
    final boolean dup;
    /** The packet identifier at QoS 1 (to check the PUBACK), 0 at QoS 0. */
    final int packetId;
    /** MQTT 5: the PUBLISH properties in {@link Reference5.Props#canonical()} form ("" for none); null on 3.1.1. */
    final String props;

    Message(byte[] topic, byte[] payload, int qos, boolean retain, boolean dup, int packetId) {
        this(topic, payload, qos, retain, dup, packetId, null);
    }

    Message(byte[] topic, byte[] payload, int qos, boolean retain, boolean dup, int packetId, String props) {
        this.props = props;
        this.topic = topic;
        this.payload = payload;
        this.qos = qos;
        this.retain = retain;
        this.dup = dup;
        this.packetId = packetId;
    }

    /** Equal as a callback sees it (the packet id is not passed to the callback). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Message)) {
            return false;
        }
        Message m = (Message) o;
        return qos == m.qos && retain == m.retain && dup == m.dup && Arrays.equals(topic, m.topic)
                && Arrays.equals(payload, m.payload) && java.util.Objects.equals(props, m.props);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(topic) * 31 + Arrays.hashCode(payload) + qos;
    }

    @Override
    public String toString() {
        return "'" + new String(topic, StandardCharsets.UTF_8).replace("\u0000", "\\0") + "' (" + Hex.of(topic)
                + ") " + payload.length + " bytes qos " + qos + (retain ? " retain" : "") + (dup ? " dup" : "")
                + (qos > 0 ? " id " + packetId : "") + (props != null && !props.isEmpty() ? " {" + props + "}" : "");
    }
}
