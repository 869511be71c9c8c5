package io.umqtt.fuzz;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One fuzz case: the server's bytes (a valid CONNACK, then the stream), how they arrive (segment
 * boundaries, some of them late), the client's settings and how the client is driven: an operation
 * that awaits an ack ({@link Op}) and then a reading mode ({@link Reader}). Its {@link #encode()}d
 * form is the reproducer that {@code --case} runs again. Immutable.
 */
final class Case {
    /** What the client does first, after CONNACK. */
    enum Op {
        /** Nothing: the reader starts at once. */
        NONE,
        /** {@code subscribe("fuzz/#", 1)}: awaits SUBACK for packet id 1. */
        SUBSCRIBE,
        /** {@code unsubscribe("fuzz/#")}: awaits UNSUBACK for packet id 1. */
        UNSUBSCRIBE,
        /** {@code publish(..., qos 1)}: awaits PUBACK for packet id 1. */
        PUBLISH,
        /** {@code publishAsync(..., qos 1)} {@link Case#asyncCount} times: ids 1..n, then (maybe) {@code await()} of the first. */
        ASYNC
    }

    /** How the client reads after the operation. */
    enum Reader {
        /** {@code waitMsg()} until it throws. */
        WAIT,
        /** {@code checkMsg()} until it throws, or until it stops making progress. */
        CHECK,
        /** {@code loop()} until it throws. */
        LOOP
    }

    /** The CONNACK every stream starts with: accepted, no session present. */
    static final byte[] CONNACK = {0x20, 0x02, 0x00, 0x00};
    /** The QoS of the client's SUBSCRIBE. */
    static final int SUBSCRIBE_QOS = 1;

    final String kind;
    final Op op;
    final Reader reader;
    final int asyncCount;
    final boolean awaitFirst;
    /** Whether the callback, for the first message, publishes at QoS 1 (and so reads on, deferring messages). */
    final boolean nest;
    final int maxPacket;
    /** The server's bytes, CONNACK first. */
    final byte[] data;
    /** End offsets of the segments the bytes arrive in, ascending, the last == data.length. */
    final int[] ends;
    /** Whether the client's first poll at the start of segment i+1 finds nothing yet. */
    final boolean[] late;
    /** The protocol: 4 (MQTT 3.1.1) or 5 (MQTT 5: {@link Reference5} judges, the client is set to version 5). */
    final int version;
    /** MQTT 5: the client's Topic Alias Maximum (inbound aliases it accepts). */
    final int aliasMax;

    Case(String kind, Op op, Reader reader, int asyncCount, boolean awaitFirst, boolean nest, int maxPacket, byte[] data,
            int[] ends, boolean[] late) {
        this(kind, op, reader, asyncCount, awaitFirst, nest, maxPacket, data, ends, late, 4, 0);
    }

    Case(String kind, Op op, Reader reader, int asyncCount, boolean awaitFirst, boolean nest, int maxPacket, byte[] data,
            int[] ends, boolean[] late, int version, int aliasMax) {
        this.version = version;
        this.aliasMax = aliasMax;
        this.kind = kind;
        this.op = op;
        this.reader = reader;
        this.asyncCount = op == Op.ASYNC ? asyncCount : 0;
        this.awaitFirst = op == Op.ASYNC && awaitFirst;
        this.nest = nest;
        this.maxPacket = maxPacket;
        this.data = data;
        this.ends = ends;
        this.late = late;
    }

    /** Packet identifier to the ack type code the client awaits once the operation was sent. */
    Map<Integer, Integer> awaited() {
        Map<Integer, Integer> m = new HashMap<>();
        switch (op) {
            case SUBSCRIBE:
                m.put(1, Reference.SUBACK);
                break;
            case UNSUBSCRIBE:
                m.put(1, Reference.UNSUBACK);
                break;
            case PUBLISH:
                m.put(1, Reference.PUBACK);
                break;
            case ASYNC:
                for (int id = 1; id <= asyncCount; id++) {
                    m.put(id, Reference.PUBACK);
                }
                break;
            default:
                break;
        }
        return m;
    }

    /** The packet id of the callback's publish: the next after the operation's ids; 0 without {@link #nest}. */
    int nestedId() {
        return nest ? 1 + (op == Op.NONE ? 0 : op == Op.ASYNC ? asyncCount : 1) : 0;
    }

    /**
     * The Maximum Packet Size the client announces in its MQTT 5 CONNECT for {@code setMaxPacketSize(max)}
     * (the largest remaining length it reads): the whole packet with the largest remaining length,
     * 1 + the remaining length's variable byte integer + {@code max}. Whole packets up to it are the
     * broker's to send (MQTT-3.1.2-24 counts the whole packet).
     */
    static int announcedMaxPacketSize(int max) {
        int vbi = max < 128 ? 1 : max < 16_384 ? 2 : max < 2_097_152 ? 3 : 4;
        return 1 + vbi + max;
    }

    Verdict judge() {
        if (version == 5) {
            return Reference5.judge(data, connackLength(), awaited(), SUBSCRIBE_QOS, announcedMaxPacketSize(maxPacket),
                    aliasMax, nestedId());
        }
        return Reference.judge(data, CONNACK.length, awaited(), SUBSCRIBE_QOS, maxPacket, nestedId());
    }

    /** The length of the CONNACK the data starts with (MQTT 5's may carry properties); always well-formed. */
    int connackLength() {
        int i = 1;
        int rem = 0;
        int shift = 0;
        while (true) {
            int d = data[i++] & 0xFF;
            rem |= (d & 0x7F) << shift;
            shift += 7;
            if ((d & 0x80) == 0) {
                return i + rem;
            }
        }
    }

    String mode() {
        return op.name().toLowerCase(Locale.ROOT) + "/" + reader.name().toLowerCase(Locale.ROOT);
    }

    /** The reproducer: {@code op=... reader=... async=n await=b max=n [v=5 alias=n] kind=k data=hex|hex!hex}. */
    String encode() {
        StringBuilder b = new StringBuilder();
        b.append("op=").append(op.name().toLowerCase(Locale.ROOT)).append(" reader=")
                .append(reader.name().toLowerCase(Locale.ROOT)).append(" async=").append(asyncCount).append(" await=")
                .append(awaitFirst).append(" nest=").append(nest).append(" max=").append(maxPacket);
        if (version != 4) {
            b.append(" v=").append(version).append(" alias=").append(aliasMax);
        }
        b.append(" kind=").append(kind).append(" data=");
        int start = 0;
        for (int i = 0; i < ends.length; i++) {
            if (i > 0) {
                b.append(late[i - 1] ? '!' : '|');
            }
            b.append(Hex.of(data, start, ends[i] - start));
            start = ends[i];
        }
        return b.toString();
    }

    /** Parses {@link #encode()}'s form. */
    static Case decode(String s) {
        Map<String, String> f = new HashMap<>();
        for (String part : s.trim().split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("case field '" + part + "' is not name=value");
            }
            f.put(part.substring(0, eq), part.substring(eq + 1));
        }
        String data = require(f, "data");
        List<Integer> ends = new ArrayList<>();
        List<Boolean> late = new ArrayList<>();
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < data.length(); i++) {
            char c = data.charAt(i);
            if (c == '|' || c == '!') {
                ends.add(hex.length() / 2);
                late.add(c == '!');
            } else {
                hex.append(c);
            }
        }
        ends.add(hex.length() / 2);
        late.add(false);
        int[] e = ends.stream().mapToInt(Integer::intValue).toArray();
        boolean[] l = new boolean[late.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = late.get(i);
        }
        return new Case(f.getOrDefault("kind", "given"), Op.valueOf(require(f, "op").toUpperCase(Locale.ROOT)),
                Reader.valueOf(require(f, "reader").toUpperCase(Locale.ROOT)),
                Integer.parseInt(f.getOrDefault("async", "0")), Boolean.parseBoolean(f.getOrDefault("await", "false")),
                Boolean.parseBoolean(f.getOrDefault("nest", "false")),
                Integer.parseInt(f.getOrDefault("max", String.valueOf(4 * 1024 * 1024))), Hex.parse(hex.toString()), e,
                l, Integer.parseInt(f.getOrDefault("v", "4")), Integer.parseInt(f.getOrDefault("alias", "0")));
    }

    private static String require(Map<String, String> f, String name) {
        String v = f.get(name);
        if (v == null) {
            throw new IllegalArgumentException("case lacks '" + name + "='");
        }
        return v;
    }
}
