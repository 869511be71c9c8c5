package io.umqtt.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Makes the case of stream number {@code index} of a seed: the same seed and index give the same
 * case on every machine and thread count. Four kinds: {@code valid} streams (PUBLISH at QoS 0/1,
 * the acks the client awaits, stray acks, PINGRESP), {@code semantic} ones (valid packets with one
 * or two packets broken in a chosen way: reserved flags, QoS 3, DUP at QoS 0, QoS 2, topics with
 * wildcards, U+0000, ill-formed UTF-8, discouraged code points or none, packet id 0, lengths that
 * lie, non-minimal or 5-byte remaining lengths, packet types a client must never receive, oversize,
 * acks of the wrong type, bad SUBACK codes), {@code bytes} (bit flips, byte changes, insertions,
 * deletions, duplications, truncation of a valid or semantic stream) and {@code random} bytes. Any
 * stream may be cut short, and it arrives in segments, some of them late. Stateless.
 */
final class Generator {
    private Generator() {
    }

    static final int DEFAULT_MAX_PACKET = 4 * 1024 * 1024;

    static final String[] LEVELS = {"a", "b", "fuzz", "sensor", "temp", "x y", "", "$SYS", "d\u00fcsseldorf",
        "\u20ac", "\ud834\udd1e", "\u65e5\u672c", "\ufeffbom", "\ud7ff\ue000", "\ud800\udc00", "1", "very-long-level-name"};

    /** Ill-formed UTF-8 (Unicode Table 3-7): lone continuations, overlongs, surrogates, above U+10FFFF, bad leads. */
    static final byte[][] ILL_FORMED = {{(byte) 0x80}, {(byte) 0xBF}, {(byte) 0xC0, (byte) 0xAF},
        {(byte) 0xC1, (byte) 0xBF}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
        {(byte) 0xE0, (byte) 0x9F, (byte) 0xBF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xED, (byte) 0xBF, (byte) 0xBF}, {(byte) 0xF0, (byte) 0x80, (byte) 0x80, (byte) 0xAF},
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80},
        {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xFE}, {(byte) 0xFF},
        {(byte) 0xE2, (byte) 0x82}, {(byte) 0xC3}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}};

    /** Well-formed but discouraged (MQTT 1.5.3): controls, C1 controls, non-characters. */
    static final byte[][] DISCOURAGED = {{0x01}, {0x1F}, {0x7F}, {(byte) 0xC2, (byte) 0x80},
        {(byte) 0xC2, (byte) 0x9F}, {(byte) 0xEF, (byte) 0xB7, (byte) 0x90}, {(byte) 0xEF, (byte) 0xBF, (byte) 0xBE},
        {(byte) 0xEF, (byte) 0xBF, (byte) 0xBF}, {(byte) 0xF0, (byte) 0x9F, (byte) 0xBF, (byte) 0xBF},
        {(byte) 0xF4, (byte) 0x8F, (byte) 0xBF, (byte) 0xBF}, {0x0A}, {0x09}};

    static Case generate(long seed, long index) {
        SplittableRandom r = new SplittableRandom(mix(seed * 0x9E3779B97F4A7C15L + mix(index)));
        Case.Op op = Case.Op.values()[r.nextInt(Case.Op.values().length)];
        Case.Reader reader = Case.Reader.values()[r.nextInt(Case.Reader.values().length)];
        int asyncCount = 1 + r.nextInt(4);
        boolean awaitFirst = r.nextBoolean();
        int maxPacket = r.nextInt(4) == 0 ? 2 + r.nextInt(400) : DEFAULT_MAX_PACKET;
        boolean nest = r.nextInt(4) == 0;
        Context c = new Context(r, op, asyncCount, maxPacket);
        if (nest) {
            c.nestedId = 1 + (op == Case.Op.NONE ? 0 : op == Case.Op.ASYNC ? asyncCount : 1);
        }
        Bytes stream = new Bytes();
        String kind = fill(r, c, stream);
        c.finish(stream);
        byte[] body = stream.toArray();
        if (!kind.equals("random") && r.nextInt(7) == 0 && body.length > 0) {
            body = Arrays.copyOf(body, r.nextInt(body.length)); // cut short
        }
        byte[] data = new byte[Case.CONNACK.length + body.length];
        System.arraycopy(Case.CONNACK, 0, data, 0, Case.CONNACK.length);
        System.arraycopy(body, 0, data, Case.CONNACK.length, body.length);
        int[] ends = ends(r, data);
        boolean[] late = late(r, ends);
        return new Case(kind, op, reader, asyncCount, awaitFirst, nest, maxPacket, data, ends, late);
    }

    /** What a generator makes its streams of: valid packets, and broken ones (each breaking a rule). */
    interface Parts {
        /** Appends {@code n} valid packets to {@code s}. */
        void valid(Bytes s, int n);

        /** Appends one packet (or a few) breaking a rule to {@code s}. */
        void broken(Bytes s);
    }

    /**
     * Fills the empty {@code stream} with one of the four kinds of stream made of {@code c}'s packets
     * and returns its kind: "valid", "semantic" (a rule or two broken among valid packets), "bytes"
     * (valid and broken packets, their bytes mutated) or "random" (random bytes after valid packets).
     * Shared by both generators: the same draws from {@code r} in the same order.
     */
    static String fill(SplittableRandom r, Parts c, Bytes stream) {
        int roll = r.nextInt(100);
        if (roll < 25) {
            c.valid(stream, 1 + r.nextInt(8));
            return "valid";
        }
        if (roll < 65) {
            int n = 1 + r.nextInt(6);
            int broken = r.nextInt(n);
            int second = r.nextInt(4) == 0 ? r.nextInt(n) : -1;
            for (int i = 0; i < n; i++) {
                if (i == broken || i == second) {
                    c.broken(stream);
                } else {
                    c.valid(stream, 1);
                }
            }
            return "semantic";
        }
        if (roll < 85) {
            Bytes packets = new Bytes();
            c.valid(packets, 1 + r.nextInt(6));
            if (r.nextBoolean()) {
                c.broken(packets);
            }
            byte[] b = packets.toArray();
            int mutations = 1 + r.nextInt(4);
            for (int i = 0; i < mutations; i++) {
                b = mutate(r, b);
            }
            stream.add(b);
            return "bytes";
        }
        if (r.nextBoolean()) {
            c.valid(stream, 1 + r.nextInt(3));
        }
        int n = 1 + r.nextInt(r.nextInt(8) == 0 ? 600 : 60);
        for (int i = 0; i < n; i++) {
            stream.add(r.nextInt(256));
        }
        return "random";
    }

    /** Where the reads of {@code data} end: all of it at once, or cut at up to 8 random places. */
    static int[] ends(SplittableRandom r, byte[] data) {
        if (r.nextBoolean() || data.length < 2) {
            return new int[] {data.length};
        }
        int k = 1 + r.nextInt(Math.min(8, data.length - 1));
        int[] cuts = r.ints(k, 1, data.length).sorted().distinct().toArray();
        int[] ends = Arrays.copyOf(cuts, cuts.length + 1);
        ends[cuts.length] = data.length;
        return ends;
    }

    /** Per read ending at {@code ends[i]}: whether it comes late; the last one never does. */
    static boolean[] late(SplittableRandom r, int[] ends) {
        boolean[] late = new boolean[ends.length];
        for (int i = 0; i < ends.length - 1; i++) {
            late[i] = r.nextBoolean();
        }
        return late;
    }

    /** A 64-bit finaliser (splitmix64), so that neighbouring seeds and indexes give unrelated streams. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static byte[] mutate(SplittableRandom r, byte[] b) {
        int choice = r.nextInt(6);
        if (b.length == 0) {
            choice = 2;
        }
        switch (choice) {
            case 0: { // flip a bit
                byte[] x = b.clone();
                int at = r.nextInt(x.length);
                x[at] ^= 1 << r.nextInt(8);
                return x;
            }
            case 1: { // set a byte
                byte[] x = b.clone();
                x[r.nextInt(x.length)] = (byte) r.nextInt(256);
                return x;
            }
            case 2: { // insert bytes
                int at = r.nextInt(b.length + 1);
                int n = 1 + r.nextInt(8);
                byte[] x = new byte[b.length + n];
                System.arraycopy(b, 0, x, 0, at);
                for (int i = 0; i < n; i++) {
                    x[at + i] = (byte) r.nextInt(256);
                }
                System.arraycopy(b, at, x, at + n, b.length - at);
                return x;
            }
            case 3: { // delete bytes
                int at = r.nextInt(b.length);
                int n = Math.min(b.length - at, 1 + r.nextInt(8));
                byte[] x = new byte[b.length - n];
                System.arraycopy(b, 0, x, 0, at);
                System.arraycopy(b, at + n, x, at, b.length - at - n);
                return x;
            }
            case 4: { // duplicate a slice
                int at = r.nextInt(b.length);
                int n = Math.min(b.length - at, 1 + r.nextInt(16));
                byte[] x = new byte[b.length + n];
                System.arraycopy(b, 0, x, 0, at + n);
                System.arraycopy(b, at, x, at + n, b.length - at);
                return x;
            }
            default: // truncate
                return Arrays.copyOf(b, r.nextInt(b.length));
        }
    }

    /** A growable byte array. */
    static final class Bytes {
        private byte[] b = new byte[64];
        private int n;

        Bytes add(int v) {
            if (n == b.length) {
                b = Arrays.copyOf(b, n * 2);
            }
            b[n++] = (byte) v;
            return this;
        }

        Bytes add(byte[] x) {
            if (n + x.length > b.length) {
                b = Arrays.copyOf(b, Math.max(b.length * 2, n + x.length));
            }
            System.arraycopy(x, 0, b, n, x.length);
            n += x.length;
            return this;
        }

        Bytes u16(int v) {
            return add(v >>> 8 & 0xFF).add(v & 0xFF);
        }

        byte[] toArray() {
            return Arrays.copyOf(b, n);
        }
    }

    /**
     * Adds to {@code owed} the packet ids whose acks operation {@code op} awaits (1, or 1 to
     * {@code asyncCount} for ASYNC) and returns the type of those acks (0: it awaits none). Both
     * generators' streams start from this.
     */
    static int owedAcks(Case.Op op, int asyncCount, List<Integer> owed) {
        switch (op) {
            case SUBSCRIBE:
                owed.add(1);
                return Reference.SUBACK;
            case UNSUBSCRIBE:
                owed.add(1);
                return Reference.UNSUBACK;
            case PUBLISH:
                owed.add(1);
                return Reference.PUBACK;
            case ASYNC:
                for (int id = 1; id <= asyncCount; id++) {
                    owed.add(id);
                }
                return Reference.PUBACK;
            default:
                return 0;
        }
    }

    /** The generation state of one stream: which awaited acks were already sent. */
    private static final class Context implements Parts {
        final SplittableRandom r;
        final Case.Op op;
        final int asyncCount;
        final int maxPacket;
        /** Awaited packet ids whose ack has not been generated yet. */
        final List<Integer> owed = new ArrayList<>();
        final int ackType;
        /** The packet id of the callback's publish, 0 for none; its PUBACK goes after the first message. */
        int nestedId;
        boolean nestedOwed;

        Context(SplittableRandom r, Case.Op op, int asyncCount, int maxPacket) {
            this.r = r;
            this.op = op;
            this.asyncCount = asyncCount;
            this.maxPacket = maxPacket;
            ackType = owedAcks(op, asyncCount, owed);
        }

        /** Before the stream ends: usually the acks still owed, so that operations complete. */
        void finish(Bytes s) {
            if (r.nextInt(4) != 0) {
                while (!owed.isEmpty()) {
                    s.add(ackFor(owed.remove(0)));
                }
            }
            if (r.nextInt(3) == 0) {
                valid(s, 1 + r.nextInt(3));
            }
        }

        @Override
        public void valid(Bytes s, int n) {
            for (int i = 0; i < n; i++) {
                int roll = r.nextInt(100);
                if (roll < 60) {
                    int qos = r.nextInt(2);
                    s.add(publish(qos, r.nextInt(5) == 0, qos > 0 && r.nextInt(5) == 0, topic(), packetId(),
                            payload()));
                    if (nestedId != 0 && !nestedOwed) {
                        nestedOwed = true;
                        if (r.nextInt(4) != 0) {
                            valid(s, r.nextInt(3)); // messages that arrive while the callback waits
                            s.add(ack(Reference.PUBACK, nestedId));
                        } else {
                            owed.add(nestedId);
                        }
                    }
                } else if (roll < 80 && !owed.isEmpty()) {
                    s.add(ackFor(owed.remove(r.nextInt(owed.size()))));
                } else if (roll < 92) {
                    int type = new int[] {Reference.PUBACK, Reference.UNSUBACK, Reference.SUBACK}[r.nextInt(3)];
                    int id = 1 + r.nextInt(r.nextBoolean() ? 8 : 65_535);
                    s.add(type == Reference.SUBACK ? suback(id, validSubackCode()) : ack(type, id));
                } else {
                    s.add(new byte[] {(byte) 0xD0, 0x00}); // PINGRESP
                }
            }
        }

        private int validSubackCode() {
            return new int[] {0, 1, 0x80, 2}[r.nextInt(r.nextInt(10) == 0 ? 4 : 3)];
        }

        private byte[] ackFor(int id) {
            return ackType == Reference.SUBACK && id != nestedId ? suback(id, validSubackCode())
                    : ack(ackType == 0 || id == nestedId ? Reference.PUBACK : ackType, id);
        }

        private int packetId() {
            return r.nextInt(3) == 0 ? 1 + r.nextInt(65_535) : 1 + r.nextInt(10);
        }

        byte[] topic() {
            if (r.nextInt(200) == 0) {
                byte[] t = new byte[1 + r.nextInt(r.nextInt(10) != 0 ? 400 : 65_535)];
                for (int i = 0; i < t.length; i++) {
                    t[i] = (byte) ('a' + r.nextInt(26));
                }
                return t;
            }
            StringBuilder b = new StringBuilder();
            int levels = 1 + r.nextInt(5);
            for (int i = 0; i < levels; i++) {
                if (i > 0) {
                    b.append('/');
                }
                b.append(LEVELS[r.nextInt(LEVELS.length)]);
            }
            if (b.length() == 0) {
                b.append('t');
            }
            return b.toString().getBytes(StandardCharsets.UTF_8);
        }

        byte[] payload() {
            int roll = r.nextInt(1000);
            int n = roll < 900 ? r.nextInt(40) : roll < 999 ? 100 + r.nextInt(3000) : 10_000 + r.nextInt(60_000);
            byte[] p = new byte[n];
            r.nextBytes(p);
            return p;
        }

        /** A well-formed PUBLISH with any flags, topic bytes and id (the id only at QoS &gt; 0). */
        static byte[] publish(int first, byte[] topic, int id, byte[] payload) {
            int qos = (first >>> 1) & 3;
            int rem = 2 + topic.length + (qos > 0 ? 2 : 0) + payload.length;
            Bytes b = new Bytes().add(first);
            length(b, rem);
            b.u16(topic.length).add(topic);
            if (qos > 0) {
                b.u16(id);
            }
            return b.add(payload).toArray();
        }

        static byte[] publish(int qos, boolean retain, boolean dup, byte[] topic, int id, byte[] payload) {
            return publish(0x30 | (dup ? 8 : 0) | qos << 1 | (retain ? 1 : 0), topic, id, payload);
        }

        static byte[] ack(int type, int id) {
            return new byte[] {(byte) (type << 4), 0x02, (byte) (id >>> 8), (byte) id};
        }

        static byte[] suback(int id, int code) {
            return new byte[] {(byte) 0x90, 0x03, (byte) (id >>> 8), (byte) id, (byte) code};
        }

        static void length(Bytes b, int value) {
            do {
                int digit = value % 128;
                value /= 128;
                b.add(value > 0 ? digit | 0x80 : digit);
            } while (value > 0);
        }

        /** The packet re-framed: its first byte and body with a given remaining length encoding. */
        static byte[] reframe(byte[] packet, byte[] lengthField) {
            int i = 1;
            while ((packet[i] & 0x80) != 0) {
                i++;
            }
            Bytes b = new Bytes().add(packet[0] & 0xFF).add(lengthField);
            return b.add(Arrays.copyOfRange(packet, i + 1, packet.length)).toArray();
        }

        private byte[] topicWith(byte[] inserted, boolean atEnd) {
            byte[] t = topic();
            if (t.length > 200) {
                t = Arrays.copyOf(t, 20);
            }
            int at = atEnd ? t.length : r.nextInt(t.length + 1);
            byte[] x = new byte[t.length + inserted.length];
            System.arraycopy(t, 0, x, 0, at);
            System.arraycopy(inserted, 0, x, at, inserted.length);
            System.arraycopy(t, at, x, at + inserted.length, t.length - at);
            return x;
        }

        private byte[] smallPayload() {
            byte[] p = new byte[r.nextInt(12)];
            for (int i = 0; i < p.length; i++) {
                p[i] = (byte) r.nextInt(256);
            }
            return p;
        }

        private byte[] somePacket() {
            int qos = r.nextInt(2);
            return r.nextInt(3) == 0 ? ack(Reference.PUBACK, packetId())
                    : publish(qos, false, false, topic(), packetId(), smallPayload());
        }

        /** One broken packet (see the class comment). */
        @Override
        public void broken(Bytes s) {
            int qos = r.nextInt(2);
            switch (r.nextInt(20)) {
                case 0: { // reserved flags on an ack
                    int type = new int[] {Reference.PUBACK, Reference.SUBACK, Reference.UNSUBACK,
                        Reference.PINGRESP}[r.nextInt(4)];
                    byte[] p = type == Reference.SUBACK ? suback(1, 0)
                            : type == Reference.PINGRESP ? new byte[] {(byte) 0xD0, 0} : ack(type, 1);
                    p[0] |= 1 + r.nextInt(15);
                    s.add(p);
                    break;
                }
                case 1: // QoS 3
                    s.add(publish(0x36 | r.nextInt(2) | (r.nextBoolean() ? 8 : 0), topic(), packetId(), smallPayload()));
                    break;
                case 2: // DUP at QoS 0
                    s.add(publish(0, r.nextBoolean(), true, topic(), 0, smallPayload()));
                    break;
                case 3: // QoS 2
                    s.add(publish(2, r.nextBoolean(), r.nextBoolean(), topic(), packetId(), smallPayload()));
                    break;
                case 4: { // wildcards
                    byte[] w = new byte[][] {{'+'}, {'#'}, {'/', '#'}, {'a', '/', '+', '/', 'b'}}[r.nextInt(4)];
                    s.add(publish(qos, false, false, topicWith(w, false), packetId(), smallPayload()));
                    break;
                }
                case 5: // U+0000
                    s.add(publish(qos, false, false, topicWith(new byte[] {0}, false), packetId(), smallPayload()));
                    break;
                case 6: { // ill-formed UTF-8
                    byte[] bad = ILL_FORMED[r.nextInt(ILL_FORMED.length)];
                    s.add(publish(qos, false, false, topicWith(bad, r.nextBoolean()), packetId(), smallPayload()));
                    break;
                }
                case 7: // discouraged code points: MAY close
                    s.add(publish(qos, false, false, topicWith(DISCOURAGED[r.nextInt(DISCOURAGED.length)], false),
                            packetId(), smallPayload()));
                    break;
                case 8: // empty topic
                    s.add(publish(qos, false, false, new byte[0], packetId(), smallPayload()));
                    break;
                case 9: // packet id 0
                    s.add(publish(1, false, r.nextBoolean(), topic(), 0, smallPayload()));
                    break;
                case 10: { // topic length larger than the packet
                    byte[] p = publish(qos, false, false, topic(), packetId(), smallPayload());
                    int i = 1;
                    while ((p[i] & 0x80) != 0) {
                        i++;
                    }
                    int tl = ((p[i + 1] & 0xFF) << 8 | (p[i + 2] & 0xFF)) + 1 + r.nextInt(300);
                    p[i + 1] = (byte) (tl >>> 8);
                    p[i + 2] = (byte) tl;
                    s.add(p);
                    break;
                }
                case 11: { // remaining length that lies
                    byte[] p = somePacket();
                    int i = 1;
                    int value = 0;
                    int shift = 0;
                    while (true) {
                        value |= (p[i] & 0x7F) << shift;
                        if ((p[i] & 0x80) == 0) {
                            break;
                        }
                        shift += 7;
                        i++;
                    }
                    int wrong = Math.max(0, value + (r.nextBoolean() ? 1 + r.nextInt(4) : -1 - r.nextInt(4)));
                    Bytes lf = new Bytes();
                    length(lf, wrong);
                    s.add(reframe(p, lf.toArray()));
                    break;
                }
                case 12: { // non-minimal remaining length: MAY close
                    byte[] p = somePacket();
                    int i = 1;
                    int value = 0;
                    int shift = 0;
                    while (true) {
                        value |= (p[i] & 0x7F) << shift;
                        if ((p[i] & 0x80) == 0) {
                            break;
                        }
                        shift += 7;
                        i++;
                    }
                    Bytes lf = new Bytes();
                    int v = value;
                    int digits = i; // the digits it has now
                    int want = Math.min(4, digits + 1 + r.nextInt(4 - Math.min(3, digits)));
                    for (int d = 0; d < want; d++) {
                        int digit = v & 0x7F;
                        v >>>= 7;
                        lf.add(d < want - 1 ? digit | 0x80 : digit);
                    }
                    s.add(reframe(p, lf.toArray()));
                    break;
                }
                case 13: // continuation bit in the 4th length byte
                    s.add(new byte[] {0x30, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) (0x80 | r.nextInt(128)),
                        0x01, 0x00, 0x01, 'a'});
                    break;
                case 14: { // a type the client must never receive, with a plausible body
                    int type = new int[] {0, 1, 2, 5, 6, 7, 8, 10, 12, 14, 15}[r.nextInt(11)];
                    int flags = type == 6 || type == 8 || type == 10 ? 2 : r.nextInt(8) == 0 ? r.nextInt(16) : 0;
                    byte[] body;
                    switch (type) {
                        case 2:
                            body = new byte[] {0, 0};
                            break;
                        case 5:
                        case 6:
                        case 7:
                            body = new byte[] {0, 1};
                            break;
                        case 12:
                        case 14:
                            body = new byte[0];
                            break;
                        default:
                            body = smallPayload();
                            break;
                    }
                    Bytes b = new Bytes().add(type << 4 | flags);
                    length(b, body.length);
                    s.add(b.add(body).toArray());
                    break;
                }
                case 15: { // oversize
                    if (maxPacket < 1000) {
                        byte[] topic = {'o'};
                        byte[] payload = new byte[maxPacket - 2 + 1 + r.nextInt(50)];
                        s.add(publish(0, false, false, topic, 0, payload));
                    } else {
                        Bytes b = new Bytes().add(0x30);
                        length(b, maxPacket + 1 + r.nextInt(1000));
                        s.add(b.add(new byte[] {0, 1, 'o'}).toArray());
                    }
                    break;
                }
                case 16: // announced huge (268,435,455), body never comes
                    s.add(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F, 0x00, 0x01, 'h'});
                    break;
                case 17: { // an ack of the wrong type for an awaited id
                    int id = owed.isEmpty() ? 1 : owed.get(r.nextInt(owed.size()));
                    int type = ackType == Reference.SUBACK ? (r.nextBoolean() ? Reference.PUBACK : Reference.UNSUBACK)
                            : ackType == Reference.UNSUBACK ? Reference.PUBACK : Reference.UNSUBACK;
                    s.add(r.nextInt(3) == 0 && ackType != Reference.SUBACK ? suback(id, 0) : ack(type, id));
                    break;
                }
                case 18: { // SUBACK: bad code, too short, too long
                    int id = r.nextBoolean() ? 1 : 1 + r.nextInt(65_535);
                    switch (r.nextInt(3)) {
                        case 0:
                            s.add(suback(id, 3 + r.nextInt(0x7D)));
                            break;
                        case 1:
                            s.add(new byte[] {(byte) 0x90, 0x02, (byte) (id >>> 8), (byte) id});
                            break;
                        default:
                            s.add(new byte[] {(byte) 0x90, 0x04, (byte) (id >>> 8), (byte) id, 0, 1});
                            break;
                    }
                    break;
                }
                default: { // acks of the wrong length
                    switch (r.nextInt(3)) {
                        case 0:
                            s.add(new byte[] {(byte) 0xD0, 0x01, 0x00});
                            break;
                        case 1:
                            s.add(new byte[] {0x40, 0x03, 0x00, 0x01, 0x00});
                            break;
                        default:
                            s.add(new byte[] {(byte) 0xB0, 0x01, 0x01});
                            break;
                    }
                    break;
                }
            }
        }
    }
}
