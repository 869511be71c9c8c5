package io.umqtt.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import io.umqtt.fuzz.Generator.Bytes;

/**
 * Makes the MQTT 5 case of stream number {@code index} of a seed ({@code --mqtt 5}), reproducibly as
 * {@link Generator} does for 3.1.1. The client connects as MQTT 5 with a Topic Alias Maximum of 0
 * or 1..10 and, in a quarter of the streams, a Maximum Packet Size of 16..415 bytes. The server's
 * CONNACK is MQTT 5 (sometimes with a reason string, user properties or Topic Alias Maximum 0:
 * properties that do not change what the client may send). Then, as for 3.1.1, {@code valid}
 * streams (PUBLISH at QoS 0/1 with any PUBLISH properties: payload format, message expiry, content
 * type, response topic, correlation data, user properties, subscription identifiers, topic aliases
 * set and used; the acks awaited with success or failure reason codes, short and long forms, reason
 * strings and user properties; stray acks; PINGRESP; sometimes a server DISCONNECT at the end),
 * {@code semantic} streams with one or two packets broken (duplicate properties, a property not
 * allowed in the packet, an undefined property, malformed variable byte integers, a property length
 * beyond the packet, ill-formed UTF-8 or U+0000 in string properties, discouraged code points,
 * reason codes the packet does not allow, topic alias 0, above the maximum or unknown, an empty
 * topic without alias, subscription identifier 0, a Response Topic that is empty or has wildcards,
 * a payload format indicator above 1, AUTH, a
 * DISCONNECT with Session Expiry Interval, bytes after an ack's properties, and the 3.1.1 header
 * breakages in MQTT 5 form), {@code bytes} mutations and {@code random} bytes. Stateless.
 */
final class Generator5 {
    private Generator5() {
    }

    private static final byte[] CONNACK_PLAIN = {0x20, 0x03, 0x00, 0x00, 0x00};

    static Case generate(long seed, long index) {
        // a seed space of its own: stream i of --mqtt 5 is unrelated to stream i of 3.1.1
        SplittableRandom r = new SplittableRandom(Generator.mix(seed * 0x9E3779B97F4A7C15L + Generator.mix(index)
                ^ 0x5A5A_0005_0005_A5A5L));
        Case.Op op = Case.Op.values()[r.nextInt(Case.Op.values().length)];
        Case.Reader reader = Case.Reader.values()[r.nextInt(Case.Reader.values().length)];
        int asyncCount = 1 + r.nextInt(4);
        boolean awaitFirst = r.nextBoolean();
        int maxPacket = r.nextInt(4) == 0 ? 16 + r.nextInt(400) : Generator.DEFAULT_MAX_PACKET;
        boolean nest = r.nextInt(4) == 0;
        int aliasMax = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(10);
        Context c = new Context(r, op, asyncCount, maxPacket, aliasMax);
        if (nest) {
            c.nestedId = 1 + (op == Case.Op.NONE ? 0 : op == Case.Op.ASYNC ? asyncCount : 1);
        }
        Bytes stream = new Bytes();
        String kind = Generator.fill(r, c, stream);
        if (!kind.equals("random")) {
            c.finish(stream);
        }
        byte[] body = stream.toArray();
        if (!kind.equals("random") && r.nextInt(7) == 0 && body.length > 0) {
            body = Arrays.copyOf(body, r.nextInt(body.length)); // cut short
        }
        byte[] connack = connack(r);
        byte[] data = new byte[connack.length + body.length];
        System.arraycopy(connack, 0, data, 0, connack.length);
        System.arraycopy(body, 0, data, connack.length, body.length);
        int[] ends = Generator.ends(r, data);
        boolean[] late = Generator.late(r, ends);
        return new Case(kind, op, reader, asyncCount, awaitFirst, nest, maxPacket, data, ends, late, 5, aliasMax);
    }

    /** An MQTT 5 CONNACK, accepted, without session; at most 15 bytes (below the smallest maximum packet size). */
    static byte[] connack(SplittableRandom r) {
        switch (r.nextInt(6)) {
            case 0: { // reason string "ok"
                Bytes props = new Bytes().add(Reference5.REASON_STRING).u16(2).add('o').add('k');
                return packet(0x20, new Bytes().add(0).add(0).add(vbi(props.toArray().length)).add(props.toArray()));
            }
            case 1: { // user property "a"="b"
                Bytes props = new Bytes().add(Reference5.USER_PROPERTY).u16(1).add('a').u16(1).add('b');
                return packet(0x20, new Bytes().add(0).add(0).add(vbi(props.toArray().length)).add(props.toArray()));
            }
            case 2: { // Topic Alias Maximum 0: the client sends no aliases
                Bytes props = new Bytes().add(Reference5.TOPIC_ALIAS_MAXIMUM).u16(0);
                return packet(0x20, new Bytes().add(0).add(0).add(vbi(props.toArray().length)).add(props.toArray()));
            }
            default:
                return CONNACK_PLAIN.clone();
        }
    }

    // ------------------------------------------------------------------ encoding

    static byte[] vbi(int value) {
        Bytes b = new Bytes();
        do {
            int digit = value & 0x7F;
            value >>>= 7;
            b.add(value > 0 ? digit | 0x80 : digit);
        } while (value > 0);
        return b.toArray();
    }

    /** A packet: first byte, remaining length, body. */
    static byte[] packet(int first, Bytes body) {
        byte[] b = body.toArray();
        return new Bytes().add(first).add(vbi(b.length)).add(b).toArray();
    }

    static Bytes str(Bytes b, byte[] s) {
        return b.u16(s.length).add(s);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A PUBLISH: first byte, topic, id (QoS &gt; 0), properties (without their length), payload. */
    static byte[] publish(int first, byte[] topic, int id, byte[] props, byte[] payload) {
        int qos = (first >>> 1) & 3;
        Bytes b = str(new Bytes(), topic);
        if (qos > 0) {
            b.u16(id);
        }
        return packet(first, b.add(vbi(props.length)).add(props).add(payload));
    }

    /** PUBACK/PUBREC/PUBREL/PUBCOMP: the short form (rem 2) when {@code form} is 0 and it can, 3 bytes when 1, else full. */
    static byte[] ack(int type, int id, int code, byte[] props, int form) {
        Bytes b = new Bytes().u16(id);
        if (props.length == 0 && code == 0 && form == 0) {
            return packet(type << 4 | (type == Reference.PUBREL ? 2 : 0), b);
        }
        b.add(code);
        if (props.length > 0 || form > 1) {
            b.add(vbi(props.length)).add(props);
        }
        return packet(type << 4 | (type == Reference.PUBREL ? 2 : 0), b);
    }

    /** SUBACK (type 9) or UNSUBACK (11): id, properties, codes. */
    static byte[] subOrUnsubAck(int type, int id, byte[] props, int... codes) {
        Bytes b = new Bytes().u16(id).add(vbi(props.length)).add(props);
        for (int c : codes) {
            b.add(c);
        }
        return packet(type << 4, b);
    }

    static byte[] disconnect(int code, byte[] props, int form) {
        Bytes b = new Bytes();
        if (code == 0 && props.length == 0 && form == 0) {
            return packet(0xE0, b);
        }
        b.add(code);
        if (props.length > 0 || form > 1) {
            b.add(vbi(props.length)).add(props);
        }
        return packet(0xE0, b);
    }

    private static final int[] PUBACK_OK = {0x00, 0x10};
    private static final int[] PUBACK_FAIL = {0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99};
    private static final int[] SUBACK_CODES = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
    private static final int[] UNSUBACK_CODES = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
    private static final int[] DISCONNECT_CODES = {0x00, 0x80, 0x81, 0x82, 0x87, 0x89, 0x8B, 0x8E, 0x93, 0x97, 0x9C,
        0x9D, 0xA2};
    private static final int[] BAD_ACK_CODES = {0x01, 0x02, 0x11, 0x81, 0x82, 0x84, 0x92, 0xFF};
    private static final int[] BAD_SUBACK_CODES = {0x03, 0x04, 0x10, 0x11, 0x81, 0x82, 0x92, 0x99, 0xFF};
    private static final int[] BAD_UNSUBACK_CODES = {0x01, 0x02, 0x10, 0x81, 0x92, 0x97, 0xFF};
    private static final int[] BAD_DISCONNECT_CODES = {0x01, 0x04, 0x10, 0x84, 0x85, 0x86, 0x88, 0x8A, 0x8C, 0x91,
        0x92, 0xA3, 0xFF};
    /** Properties defined by MQTT 5 but not allowed in PUBLISH from a server. */
    private static final int[] NOT_IN_PUBLISH = {0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1C, 0x1F,
        0x21, 0x22, 0x24, 0x25, 0x27, 0x28, 0x29, 0x2A};
    /** Properties not allowed in the acks (only Reason String and User Property are). */
    private static final int[] NOT_IN_ACK = {0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x11, 0x15, 0x1C, 0x21, 0x23, 0x27};
    /** Identifiers MQTT 5 does not define. */
    private static final int[] UNDEFINED = {0x00, 0x04, 0x05, 0x06, 0x07, 0x0A, 0x0C, 0x10, 0x14, 0x1B, 0x1D, 0x1E,
        0x20, 0x2B, 0x40, 0x7F};

    /** The generation state of one stream: owed acks, topic aliases mapped so far. */
    private static final class Context implements Generator.Parts {
        final SplittableRandom r;
        final Case.Op op;
        final int maxPacket;
        final int aliasMax;
        final List<Integer> owed = new ArrayList<>();
        final int ackType;
        final List<Integer> mapped = new ArrayList<>();
        int nestedId;
        boolean nestedOwed;

        Context(SplittableRandom r, Case.Op op, int asyncCount, int maxPacket, int aliasMax) {
            this.r = r;
            this.op = op;
            this.maxPacket = maxPacket;
            this.aliasMax = aliasMax;
            ackType = Generator.owedAcks(op, asyncCount, owed);
        }

        void finish(Bytes s) {
            if (r.nextInt(4) != 0) {
                while (!owed.isEmpty()) {
                    s.add(ackFor(owed.remove(0)));
                }
            }
            if (r.nextInt(3) == 0) {
                valid(s, 1 + r.nextInt(3));
            }
            if (r.nextInt(8) == 0) {
                s.add(serverDisconnect());
                if (r.nextBoolean()) {
                    valid(s, 1); // after the DISCONNECT: a correct client never reads it
                }
            }
        }

        byte[] serverDisconnect() {
            Bytes props = new Bytes();
            if (r.nextBoolean()) {
                str(props.add(Reference5.REASON_STRING), utf8(text()));
            }
            if (r.nextInt(4) == 0) {
                str(props.add(Reference5.SERVER_REFERENCE), utf8("other:1883"));
            }
            if (r.nextInt(4) == 0) {
                userProperty(props, utf8(text()), utf8(text()));
            }
            int code = r.nextInt(3) == 0 ? 0 : DISCONNECT_CODES[r.nextInt(DISCONNECT_CODES.length)];
            return disconnect(code, props.toArray(), r.nextInt(3));
        }

        @Override
        public void valid(Bytes s, int n) {
            for (int i = 0; i < n; i++) {
                int roll = r.nextInt(100);
                if (roll < 60) {
                    s.add(validPublish(r.nextInt(2)));
                    if (nestedId != 0 && !nestedOwed) {
                        nestedOwed = true;
                        if (r.nextInt(4) != 0) {
                            valid(s, r.nextInt(3));
                            s.add(ack(Reference.PUBACK, nestedId, okOrFailCode(), ackProps(), r.nextInt(3)));
                        } else {
                            owed.add(nestedId);
                        }
                    }
                } else if (roll < 80 && !owed.isEmpty()) {
                    s.add(ackFor(owed.remove(r.nextInt(owed.size()))));
                } else if (roll < 92) {
                    int type = new int[] {Reference.PUBACK, Reference.UNSUBACK, Reference.SUBACK}[r.nextInt(3)];
                    int id = 1 + r.nextInt(r.nextBoolean() ? 8 : 65_535);
                    s.add(type == Reference.PUBACK ? ack(type, id, okOrFailCode(), ackProps(), r.nextInt(3))
                            : subOrUnsubAck(type, id, ackProps(), type == Reference.SUBACK ? subackCode() : unsubackCode()));
                } else {
                    s.add(new byte[] {(byte) 0xD0, 0x00});
                }
            }
        }

        private int okOrFailCode() {
            return r.nextInt(5) == 0 ? PUBACK_FAIL[r.nextInt(PUBACK_FAIL.length)] : PUBACK_OK[r.nextInt(4) == 0 ? 1 : 0];
        }

        private int subackCode() {
            return r.nextInt(3) != 0 ? r.nextInt(2) : SUBACK_CODES[r.nextInt(SUBACK_CODES.length)];
        }

        private int unsubackCode() {
            return r.nextInt(3) != 0 ? 0 : UNSUBACK_CODES[r.nextInt(UNSUBACK_CODES.length)];
        }

        private byte[] ackFor(int id) {
            if (id == nestedId || ackType == Reference.PUBACK || ackType == 0) {
                return ack(Reference.PUBACK, id, okOrFailCode(), ackProps(), r.nextInt(3));
            }
            return subOrUnsubAck(ackType, id, ackProps(), ackType == Reference.SUBACK ? subackCode() : unsubackCode());
        }

        /** Reason string and user properties, or none (half the time). */
        byte[] ackProps() {
            Bytes p = new Bytes();
            if (r.nextBoolean()) {
                return p.toArray();
            }
            if (r.nextBoolean()) {
                str(p.add(Reference5.REASON_STRING), utf8(text()));
            }
            int users = r.nextInt(3);
            for (int i = 0; i < users; i++) {
                userProperty(p, utf8(text()), utf8(text()));
            }
            return p.toArray();
        }

        static void userProperty(Bytes p, byte[] name, byte[] value) {
            str(str(p.add(Reference5.USER_PROPERTY), name), value);
        }

        String text() {
            return Generator.LEVELS[r.nextInt(Generator.LEVELS.length)];
        }

        private int packetId() {
            return r.nextInt(3) == 0 ? 1 + r.nextInt(65_535) : 1 + r.nextInt(10);
        }

        byte[] topic() {
            StringBuilder b = new StringBuilder();
            int levels = 1 + r.nextInt(4);
            for (int i = 0; i < levels; i++) {
                if (i > 0) {
                    b.append('/');
                }
                b.append(text());
            }
            if (b.length() == 0) {
                b.append('t');
            }
            return utf8(b.toString());
        }

        byte[] payload(boolean utf8) {
            int roll = r.nextInt(1000);
            int n = roll < 900 ? r.nextInt(40) : roll < 999 ? 100 + r.nextInt(3000) : 10_000 + r.nextInt(60_000);
            byte[] p = new byte[n];
            if (utf8) {
                for (int i = 0; i < n; i++) {
                    p[i] = (byte) (' ' + r.nextInt(95));
                }
            } else {
                r.nextBytes(p);
            }
            return p;
        }

        static final class Pub {
            byte[] topic;
            final Bytes props = new Bytes();
            boolean utf8Payload;
        }

        /** Valid PUBLISH properties in any order, with a topic alias set or used where the client accepts them. */
        Pub validProps() {
            Pub pub = new Pub();
            pub.topic = topic();
            List<Runnable> parts = new ArrayList<>();
            Bytes p = pub.props;
            if (r.nextInt(3) == 0) {
                int pfi = r.nextInt(2);
                pub.utf8Payload = pfi == 1;
                parts.add(() -> p.add(Reference5.PAYLOAD_FORMAT).add(pfi));
            }
            if (r.nextInt(4) == 0) {
                long exp = r.nextBoolean() ? r.nextInt(3600) : r.nextLong(1L << 32);
                parts.add(() -> p.add(Reference5.MESSAGE_EXPIRY).add((int) (exp >>> 24) & 0xFF)
                        .add((int) (exp >>> 16) & 0xFF).add((int) (exp >>> 8) & 0xFF).add((int) exp & 0xFF));
            }
            if (r.nextInt(4) == 0) {
                byte[] ct = utf8(r.nextBoolean() ? "application/json" : text());
                parts.add(() -> str(p.add(Reference5.CONTENT_TYPE), ct));
            }
            if (r.nextInt(4) == 0) {
                byte[] rt = topic();
                parts.add(() -> str(p.add(Reference5.RESPONSE_TOPIC), rt));
            }
            if (r.nextInt(4) == 0) {
                byte[] cd = new byte[r.nextInt(17)];
                r.nextBytes(cd);
                parts.add(() -> str(p.add(Reference5.CORRELATION_DATA), cd));
            }
            int users = r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 0;
            for (int i = 0; i < users; i++) {
                byte[] name = utf8(text());
                byte[] value = utf8(text());
                parts.add(() -> userProperty(p, name, value));
            }
            int sids = r.nextInt(5) == 0 ? 1 + r.nextInt(3) : 0;
            for (int i = 0; i < sids; i++) {
                int sid = r.nextBoolean() ? 1 + r.nextInt(127) : 1 + r.nextInt(268_435_455);
                parts.add(() -> p.add(Reference5.SUBSCRIPTION_ID).add(vbi(sid)));
            }
            if (aliasMax > 0 && r.nextInt(3) == 0) {
                int alias;
                if (!mapped.isEmpty() && r.nextBoolean()) {
                    alias = mapped.get(r.nextInt(mapped.size()));
                    if (r.nextInt(3) != 0) {
                        pub.topic = new byte[0]; // use the mapping
                    }
                } else {
                    alias = 1 + r.nextInt(aliasMax);
                    if (!mapped.contains(alias)) {
                        mapped.add(alias);
                    }
                }
                parts.add(() -> p.add(Reference5.TOPIC_ALIAS).u16(alias));
            }
            // any order (2.2.2.2 prescribes none); shuffled reproducibly
            for (int i = parts.size() - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                Runnable t = parts.get(i);
                parts.set(i, parts.get(j));
                parts.set(j, t);
            }
            for (Runnable part : parts) {
                part.run();
            }
            return pub;
        }

        byte[] validPublish(int qos) {
            Pub pub = validProps();
            int first = 0x30 | qos << 1 | (r.nextInt(5) == 0 ? 1 : 0) | (qos > 0 && r.nextInt(5) == 0 ? 8 : 0);
            return publish(first, pub.topic, packetId(), pub.props.toArray(), payload(pub.utf8Payload));
        }

        private byte[] smallPayload() {
            byte[] p = new byte[r.nextInt(12)];
            r.nextBytes(p);
            return p;
        }

        private byte[] publishWithProps(byte[] props) {
            int qos = r.nextInt(2);
            return publish(0x30 | qos << 1, topic(), packetId(), props, smallPayload());
        }

        /** One broken packet (see the class comment). */
        @Override
        public void broken(Bytes s) {
            int qos = r.nextInt(2);
            switch (r.nextInt(24)) {
                case 0: { // a duplicate property in PUBLISH
                    Bytes p = new Bytes();
                    byte[] one;
                    switch (r.nextInt(6)) {
                        case 0:
                            one = new byte[] {Reference5.PAYLOAD_FORMAT, 0};
                            break;
                        case 1:
                            one = new byte[] {Reference5.MESSAGE_EXPIRY, 0, 0, 0, 9};
                            break;
                        case 2:
                            one = str(new Bytes().add(Reference5.CONTENT_TYPE), utf8("text")).toArray();
                            break;
                        case 3:
                            one = str(new Bytes().add(Reference5.RESPONSE_TOPIC), utf8("re/ply")).toArray();
                            break;
                        case 4:
                            one = str(new Bytes().add(Reference5.CORRELATION_DATA), new byte[] {1, 2}).toArray();
                            break;
                        default:
                            one = new byte[] {Reference5.TOPIC_ALIAS, 0, 1};
                            break;
                    }
                    p.add(one);
                    if (r.nextBoolean()) {
                        userProperty(p, utf8("k"), utf8("v"));
                    }
                    p.add(one);
                    s.add(publishWithProps(p.toArray()));
                    break;
                }
                case 1: { // a duplicate reason string in an ack
                    Bytes p = new Bytes();
                    str(p.add(Reference5.REASON_STRING), utf8("a"));
                    str(p.add(Reference5.REASON_STRING), utf8("b"));
                    s.add(brokenAck(p.toArray(), 0));
                    break;
                }
                case 2: { // a property not allowed in PUBLISH
                    s.add(publishWithProps(someProperty(NOT_IN_PUBLISH[r.nextInt(NOT_IN_PUBLISH.length)])));
                    break;
                }
                case 3: { // a property not allowed in an ack or DISCONNECT
                    byte[] p = someProperty(NOT_IN_ACK[r.nextInt(NOT_IN_ACK.length)]);
                    s.add(r.nextInt(4) == 0 ? disconnect(0, p, 2) : brokenAck(p, 0));
                    break;
                }
                case 4: { // an undefined property identifier (one byte, or a two-byte variable byte integer)
                    byte[] p = r.nextInt(4) == 0 ? new byte[] {(byte) 0x81, 0x00, 0x00}
                            : new byte[] {(byte) UNDEFINED[r.nextInt(UNDEFINED.length)], 0, 0};
                    s.add(r.nextBoolean() ? publishWithProps(p) : brokenAck(p, 0));
                    break;
                }
                case 5: { // malformed variable byte integer: property length, or subscription identifier
                    byte[] bad = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01};
                    if (r.nextBoolean()) {
                        byte[] p = new Bytes().add(Reference5.SUBSCRIPTION_ID).add(bad).toArray();
                        s.add(publishWithProps(p));
                    } else {
                        Bytes b = str(new Bytes(), topic());
                        if (qos > 0) {
                            b.u16(packetId());
                        }
                        s.add(packet(0x30 | qos << 1, b.add(bad).add(smallPayload())));
                    }
                    break;
                }
                case 6: { // property length beyond the packet
                    int extra = 1 + r.nextInt(300);
                    if (r.nextBoolean()) {
                        Bytes b = str(new Bytes(), topic());
                        if (qos > 0) {
                            b.u16(packetId());
                        }
                        byte[] payload = smallPayload();
                        s.add(packet(0x30 | qos << 1, b.add(vbi(payload.length + extra)).add(payload)));
                    } else {
                        Bytes b = new Bytes().u16(owedOr1()).add(0).add(vbi(extra));
                        s.add(packet(Reference.PUBACK << 4, b));
                    }
                    break;
                }
                case 7: { // a string property's length beyond the property section
                    Bytes p = new Bytes().add(Reference5.CONTENT_TYPE).u16(10).add('a');
                    s.add(publishWithProps(p.toArray()));
                    break;
                }
                case 8: { // ill-formed UTF-8 or U+0000 in a string property
                    byte[] bad = r.nextInt(5) == 0 ? new byte[] {0}
                            : Generator.ILL_FORMED[r.nextInt(Generator.ILL_FORMED.length)];
                    byte[] str = insert(utf8(text()), bad);
                    Bytes p = new Bytes();
                    switch (r.nextInt(5)) {
                        case 0:
                            str(p.add(Reference5.CONTENT_TYPE), str);
                            break;
                        case 1:
                            str(p.add(Reference5.RESPONSE_TOPIC), str);
                            break;
                        case 2:
                            userProperty(p, str, utf8("v"));
                            break;
                        case 3:
                            userProperty(p, utf8("k"), str);
                            break;
                        default:
                            str(p.add(Reference5.REASON_STRING), str);
                            s.add(r.nextBoolean() ? brokenAck(p.toArray(), 0) : disconnect(0x80, p.toArray(), 2));
                            return;
                    }
                    s.add(publishWithProps(p.toArray()));
                    break;
                }
                case 9: { // discouraged code points in a string property: MAY close
                    byte[] str = insert(utf8(text()), Generator.DISCOURAGED[r.nextInt(Generator.DISCOURAGED.length)]);
                    Bytes p = new Bytes();
                    if (r.nextBoolean()) {
                        str(p.add(Reference5.CONTENT_TYPE), str);
                    } else {
                        userProperty(p, utf8("k"), str);
                    }
                    s.add(publishWithProps(p.toArray()));
                    break;
                }
                case 10: { // a reason code the packet does not allow
                    switch (r.nextInt(5)) {
                        case 0:
                            s.add(brokenAck(new byte[0], BAD_ACK_CODES[r.nextInt(BAD_ACK_CODES.length)]));
                            break;
                        case 1:
                            s.add(subOrUnsubAck(Reference.SUBACK, owedOr1(), new byte[0],
                                    BAD_SUBACK_CODES[r.nextInt(BAD_SUBACK_CODES.length)]));
                            break;
                        case 2:
                            s.add(subOrUnsubAck(Reference.UNSUBACK, owedOr1(), new byte[0],
                                    BAD_UNSUBACK_CODES[r.nextInt(BAD_UNSUBACK_CODES.length)]));
                            break;
                        case 3:
                            s.add(disconnect(BAD_DISCONNECT_CODES[r.nextInt(BAD_DISCONNECT_CODES.length)], new byte[0],
                                    r.nextInt(2) + 1));
                            break;
                        default: // PUBREL/PUBCOMP allow 0x00 and 0x92 only
                            s.add(ack(r.nextBoolean() ? Reference.PUBREL : Reference.PUBCOMP, packetId(),
                                    new int[] {0x10, 0x80, 0x91, 0x97}[r.nextInt(4)], new byte[0], 1));
                            break;
                    }
                    break;
                }
                case 11: { // topic alias 0, above the maximum, unknown; empty topic without alias
                    int roll = r.nextInt(4);
                    byte[] topic = roll == 2 || roll == 3 ? new byte[0] : topic();
                    int alias = roll == 0 ? 0 : roll == 1 ? aliasMax + 1 + r.nextInt(5) : unmappedAlias();
                    byte[] p = roll == 3 ? new byte[0] : new byte[] {Reference5.TOPIC_ALIAS, (byte) (alias >>> 8), (byte) alias};
                    s.add(publish(0x30 | qos << 1, topic, packetId(), p, smallPayload()));
                    break;
                }
                case 12: // subscription identifier 0; or a Response Topic that is no topic name
                    if (r.nextBoolean()) {
                        s.add(publishWithProps(new byte[] {Reference5.SUBSCRIPTION_ID, 0}));
                    } else {
                        byte[] rt = new byte[][] {{}, {'+'}, {'a', '/', '#'}, {'r', '/', '+', '/', 'x'}}[r.nextInt(4)];
                        s.add(publishWithProps(str(new Bytes().add(Reference5.RESPONSE_TOPIC), rt).toArray()));
                    }
                    break;
                case 13: // payload format indicator above 1
                    s.add(publishWithProps(new byte[] {Reference5.PAYLOAD_FORMAT, (byte) (2 + r.nextInt(254))}));
                    break;
                case 14: { // AUTH without an authentication method in CONNECT
                    Bytes p = str(new Bytes().add(Reference5.AUTH_METHOD), utf8("SCRAM-SHA-1"));
                    s.add(packet(0xF0, new Bytes().add(0x18).add(vbi(p.toArray().length)).add(p.toArray())));
                    break;
                }
                case 15: { // DISCONNECT with Session Expiry Interval
                    byte[] p = {Reference5.SESSION_EXPIRY, 0, 0, 0, 10};
                    s.add(disconnect(0x80, p, 2));
                    break;
                }
                case 16: { // bytes after an ack's properties
                    Bytes b = new Bytes().u16(owedOr1()).add(0).add(0).add(r.nextInt(256));
                    s.add(packet(Reference.PUBACK << 4, b));
                    break;
                }
                case 17: // SUBACK/UNSUBACK with no reason code, or two for one filter
                    if (r.nextBoolean()) {
                        s.add(packet(ackType == Reference.UNSUBACK ? 0xB0 : 0x90, new Bytes().u16(owedOr1()).add(0)));
                    } else {
                        s.add(subOrUnsubAck(ackType == Reference.UNSUBACK ? Reference.UNSUBACK : Reference.SUBACK,
                                owedOr1(), new byte[0], 0, 0));
                    }
                    break;
                case 18: { // 3.1.1 header rules in MQTT 5 form: reserved flags, QoS 3, DUP at QoS 0
                    switch (r.nextInt(3)) {
                        case 0: {
                            byte[] a = ack(Reference.PUBACK, owedOr1(), 0, new byte[0], r.nextInt(3));
                            a[0] |= 1 + r.nextInt(15);
                            s.add(a);
                            break;
                        }
                        case 1:
                            s.add(publish(0x36 | r.nextInt(2), topic(), packetId(), new byte[0], smallPayload()));
                            break;
                        default:
                            s.add(publish(0x38, topic(), 0, new byte[0], smallPayload()));
                            break;
                    }
                    break;
                }
                case 19: { // topic rules: wildcard, U+0000, ill-formed UTF-8
                    byte[] bad = new byte[][] {{'+'}, {'#'}, {0},
                        Generator.ILL_FORMED[r.nextInt(Generator.ILL_FORMED.length)]}[r.nextInt(4)];
                    s.add(publish(0x30 | qos << 1, insert(topic(), bad), packetId(), new byte[0], smallPayload()));
                    break;
                }
                case 20: // packet id 0, and QoS 2 (MAY close)
                    if (r.nextBoolean()) {
                        s.add(publish(0x32, topic(), 0, new byte[0], smallPayload()));
                    } else {
                        s.add(publish(0x34, topic(), packetId(), new byte[0], smallPayload()));
                    }
                    break;
                case 21: { // oversize: the whole packet one or a few bytes above the client's maximum
                    if (maxPacket < 1000) {
                        byte[] topic = {'o'};
                        int room = maxPacket - 2 - 2 - 1 - 1; // header (2 bytes here), topic, property length
                        byte[] payload = new byte[Math.max(0, room + 1 + r.nextInt(4))];
                        s.add(publish(0x30, topic, 0, new byte[0], payload));
                    } else {
                        Bytes b = new Bytes().add(0x30).add(vbi(maxPacket + r.nextInt(1000)));
                        s.add(b.add(new byte[] {0, 1, 'o', 0}).toArray());
                    }
                    break;
                }
                case 22: { // a type a client never receives, or a second CONNACK
                    int type = new int[] {0, 1, 2, 8, 10, 12}[r.nextInt(6)];
                    s.add(packet(type << 4 | (type == 8 || type == 10 ? 2 : 0), new Bytes().add(0).add(0).add(0)));
                    break;
                }
                default: // a valid server DISCONNECT in the middle
                    s.add(serverDisconnect());
                    break;
            }
        }

        /** PUBACK (or a stray PUBREC/PUBCOMP) with a code and properties. */
        private byte[] brokenAck(byte[] props, int code) {
            int type = r.nextInt(4) == 0 ? (r.nextBoolean() ? Reference.PUBREC : Reference.PUBCOMP) : Reference.PUBACK;
            return ack(type, type == Reference.PUBACK ? owedOr1() : packetId(), code, props, 2);
        }

        private int owedOr1() {
            return owed.isEmpty() ? 1 : owed.get(r.nextInt(owed.size()));
        }

        private int unmappedAlias() {
            for (int a = 1; a <= aliasMax; a++) {
                if (!mapped.contains(a)) {
                    return a;
                }
            }
            return Math.max(1, aliasMax + 1); // all mapped (or none allowed): above the maximum
        }

        /** One property of identifier {@code id} with a value of its type. */
        private byte[] someProperty(int id) {
            Bytes p = new Bytes().add(id);
            switch (Reference5.type(id)) {
                case Reference5.BYTE:
                    return p.add(1).toArray();
                case Reference5.TWO:
                    return p.u16(5).toArray();
                case Reference5.FOUR:
                    return p.add(0).add(0).add(0).add(30).toArray();
                case Reference5.VBI:
                    return p.add(7).toArray();
                case Reference5.UTF8:
                case Reference5.BINARY:
                    return str(p, utf8("x")).toArray();
                default:
                    return str(str(p, utf8("k")), utf8("v")).toArray();
            }
        }

        private byte[] insert(byte[] t, byte[] inserted) {
            int at = r.nextInt(t.length + 1);
            byte[] x = new byte[t.length + inserted.length];
            System.arraycopy(t, 0, x, 0, at);
            System.arraycopy(inserted, 0, x, at, inserted.length);
            System.arraycopy(t, at, x, at + inserted.length, t.length - at);
            return x;
        }
    }
}
