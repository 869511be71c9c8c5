package io.umqtt.simple;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.internal.codec.SubackDecoder;
import io.umqtt.simple.internal.codec.SubscribeEncoder;
import io.umqtt.simple.internal.codec.UnsubscribeEncoder;

/**
 * SUBSCRIBE and UNSUBSCRIBE for {@link MqttClient}: the validation of the filters, the split of
 * several filters over as few packets as hold them, the ack waits and the cleanup of those still
 * open after a failure (see docs/subscriptions.md).
 * <p>
 * Threading: any thread; it holds no lock and state of its own (only the packet limit, volatile).
 * It registers acks in the {@link AckTable} (the client's lock) and writes through
 * {@link Outbound} (its write lock), one after the other, never nested.
 */
final class Subscriber {
    private final MqttClient client;
    /**
     * The largest remaining length of a SUBSCRIBE or UNSUBSCRIBE this client sends: the MQTT
     * maximum; tests lower it to see the filters of one call split over several packets.
     */
    volatile int maxSubscribeRemaining = MqttConstants.MAX_REMAINING_LENGTH;

    Subscriber(MqttClient client) {
        this.client = client;
    }

    /** {@link MqttClient#subscribe(String, int)}. */
    int subscribe(String filter, int qos) throws IOException {
        TopicFilter.parse(filter);
        MqttClient.checkQos(qos);
        client.lifecycle.checkConnected();
        byte[] f = filter.getBytes(StandardCharsets.UTF_8);
        Pending p = client.acks.register(PacketType.SUBACK, f, 0);
        byte[] packet = SubscribeEncoder.encode(p.id, f, qos);
        client.outbound.writePacket(packet);
        int granted = client.acks.awaitAck(p);
        if (granted == SubackDecoder.FAILURE) {
            throw new MqttException(Reason.SUBSCRIPTION_REFUSED, granted, "broker " + client.settings.broker()
                    + " refused the subscription to '" + filter + "' (SUBACK return code 0x80)");
        }
        return granted;
    }

    /** {@link MqttClient#unsubscribe(String)}. */
    void unsubscribe(String filter) throws IOException {
        TopicFilter.parse(filter);
        client.lifecycle.checkConnected();
        byte[] f = filter.getBytes(StandardCharsets.UTF_8);
        Pending p = client.acks.register(PacketType.UNSUBACK, f, 0);
        byte[] packet = UnsubscribeEncoder.encode(p.id, f);
        client.outbound.writePacket(packet);
        client.acks.awaitAck(p);
    }

    /** {@link MqttClient#subscribe(String[], int[])}. */
    int[] subscribe(String[] filters, int[] qos) throws IOException {
        checkSubscribe(filters, qos);
        byte[][] f = utf8(filters);
        client.lifecycle.checkConnected();
        Pending[] sent = new Pending[f.length];
        int packets = 0;
        int[] granted = new int[f.length];
        try {
            for (int from = 0; from < f.length; ) {
                int to = packetEnd(f, from, true);
                Pending p = client.acks.register(PacketType.SUBACK, subject(filters, from, to), 0, to - from);
                sent[packets++] = p;
                client.outbound.writePacket(SubscribeEncoder.encode(p.id, f, qos, from, to));
                from = to;
            }
            int at = 0;
            for (int i = 0; i < packets; i++) {
                client.acks.awaitAck(sent[i]);
                int[] codes = sent[i].codes;
                System.arraycopy(codes, 0, granted, at, codes.length);
                at += codes.length;
            }
        } catch (IOException | RuntimeException e) {
            giveUpAll(sent, packets, e);
            throw e;
        }
        return granted;
    }

    /** {@link MqttClient#unsubscribe(String[])}. */
    void unsubscribe(String[] filters) throws IOException {
        checkFilters(filters, null);
        byte[][] f = utf8(filters);
        client.lifecycle.checkConnected();
        Pending[] sent = new Pending[f.length];
        int packets = 0;
        try {
            for (int from = 0; from < f.length; ) {
                int to = packetEnd(f, from, false);
                Pending p = client.acks.register(PacketType.UNSUBACK, subject(filters, from, to), 0);
                sent[packets++] = p;
                client.outbound.writePacket(UnsubscribeEncoder.encode(p.id, f, from, to));
                from = to;
            }
            for (int i = 0; i < packets; i++) {
                client.acks.awaitAck(sent[i]);
            }
        } catch (IOException | RuntimeException e) {
            giveUpAll(sent, packets, e);
            throw e;
        }
    }

    /** {@link MqttClient#checkSubscribeArguments(String[], int[])}. */
    void checkSubscribe(String[] filters, int[] qos) {
        if (qos == null) {
            throw new IllegalArgumentException("subscribe needs one QoS per filter for " + describe() + ": qos is null");
        }
        checkFilters(filters, qos);
    }

    /** {@code qos} null: only the filters ({@link MqttClient#checkUnsubscribeArguments(String[])}). */
    void checkFilters(String[] filters, int[] qos) {
        if (filters == null || filters.length == 0) {
            throw new IllegalArgumentException("no topic filters given for " + describe() + ": "
                    + (filters == null ? "filters is null" : "filters is empty"));
        }
        for (int i = 0; i < filters.length; i++) {
            try {
                TopicFilter.parse(filters[i]);
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException(filterName(filters, i) + " is not a valid topic filter: "
                        + (filters[i] == null ? "it is null" : e.getMessage()), e);
            }
        }
        if (qos == null) {
            return;
        }
        if (qos.length != filters.length) {
            throw new IllegalArgumentException("subscribe needs one QoS per filter for " + describe() + ": "
                    + filters.length + " filters, " + qos.length + " QoS values");
        }
        for (int i = 0; i < filters.length; i++) {
            try {
                MqttClient.checkQos(qos[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(filterName(filters, i) + ": " + e.getMessage(), e);
            }
        }
    }

    private static byte[][] utf8(String[] filters) {
        byte[][] f = new byte[filters.length][];
        for (int i = 0; i < filters.length; i++) {
            f[i] = filters[i].getBytes(StandardCharsets.UTF_8);
        }
        return f;
    }

    /** "filter 2 of 3 ('a/#/b') for client 'c1' at 127.0.0.1:1883". */
    private String filterName(String[] filters, int i) {
        return "filter " + (i + 1) + " of " + filters.length + " ('" + filters[i] + "') for " + describe();
    }

    /** The client and its broker, for messages. */
    private String describe() {
        return "client '" + client.settings.clientId + "' at " + client.settings.broker();
    }

    /** Where the packet that starts at {@code from} ends: as many filters as fit (at least one). */
    private int packetEnd(byte[][] f, int from, boolean subscribe) {
        long max = maxSubscribeRemaining;
        long rem = 2;
        int to = from;
        while (to < f.length) {
            int entry = subscribe ? SubscribeEncoder.entryLength(f[to].length)
                    : UnsubscribeEncoder.entryLength(f[to].length);
            if (to > from && rem + entry > max) {
                break;
            }
            rem += entry;
            to++;
        }
        return to;
    }

    /** What a packet's ack wait names in a timeout: its filters, the first five of them. */
    private static byte[] subject(String[] filters, int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to && i < from + 5; i++) {
            s.append(i > from ? "', '" : "").append(filters[i]);
        }
        if (to - from > 5) {
            s.append("' and ").append(to - from - 5).append(" more filters ('...");
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** After a failure: stops awaiting the acks still open, so none stays in the ack table. */
    private void giveUpAll(Pending[] sent, int count, Exception cause) {
        IOException why = cause instanceof IOException ? (IOException) cause : new IOException(cause);
        for (int i = 0; i < count; i++) {
            client.acks.giveUp(sent[i], why);
        }
    }
}
