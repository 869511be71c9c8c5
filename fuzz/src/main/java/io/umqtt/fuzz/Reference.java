package io.umqtt.fuzz;

import java.util.HashMap;
import java.util.Map;

/**
 * The reference: what a correct MQTT 3.1.1 client does with the bytes a server sends after a valid
 * CONNACK, written from the specification (OASIS mqtt-v3.1.1-os) and independent of the client's
 * codec. It parses the stream packet by packet and returns a {@link Verdict}: the messages a
 * correct client delivers and the acks it matches, up to the first protocol violation, where a
 * correct client closes the connection and delivers nothing more ([MQTT-4.8.0-1]).
 * <p>
 * The client's state that the rules depend on is given: the packet identifiers the client awaits
 * an ack for (and of which type), the QoS it requested in its SUBSCRIBE, and its documented
 * maximum remaining length ({@code setMaxPacketSize}). The client connects with a clean session,
 * keepalive 0, never publishes or subscribes at QoS 2 in these cases, and sends one topic filter
 * per SUBSCRIBE. It receives QoS 2 all the same (4.3.3, method B): each packet id is delivered
 * once until its PUBREL; a PUBLISH under an id awaiting PUBREL is not delivered again.
 * <p>
 * Rules (each a rule name, used to categorise findings):
 * <ul>
 * <li>{@value #RESERVED_TYPE}: packet type 0 or 15 (2.2.1, reserved/forbidden).</li>
 * <li>{@value #CLIENT_ONLY_TYPE}: CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT flow only from
 *     client to server (2.2.1).</li>
 * <li>{@value #SECOND_CONNACK}: a CONNACK answers the CONNECT only (3.2, [MQTT-3.2.0-1]).</li>
 * <li>PUBREC, PUBREL and PUBCOMP are judged as acks: {@value #RESERVED_FLAGS}, {@value #ACK_LENGTH},
 *     {@value #PACKET_ID_ZERO}, {@value #ACK_TYPE_MISMATCH}, {@value #STRAY_ACK} for PUBREC and
 *     PUBCOMP; a PUBREL is answered (with PUBCOMP) whatever its packet id (4.3.3).</li>
 * <li>{@value #RESERVED_FLAGS}: fixed header flags other than 0000 on PUBACK, PUBREC, PUBCOMP,
 *     SUBACK, UNSUBACK, PINGRESP, other than 0010 on PUBREL ([MQTT-2.2.2-1], [MQTT-2.2.2-2]).</li>
 * <li>{@value #QOS3}: PUBLISH with both QoS bits set ([MQTT-3.3.1-4]).</li>
 * <li>{@value #DUP_QOS0}: DUP set at QoS 0 ([MQTT-3.3.1-2]).</li>
 * <li>{@value #QOS2_PUBLISH} (MAY close): a PUBLISH at QoS 2 exceeds every QoS this client
 *     subscribes with here ([MQTT-3.8.4-6]); a client cannot tell in general (a kept session may hold
 *     QoS 2 subscriptions of an earlier process), so it may deliver it.</li>
 * <li>{@value #LENGTH_MALFORMED}: the continuation bit set in the 4th remaining length byte (2.2.3).</li>
 * <li>{@value #LENGTH_NON_MINIMAL} (MAY close): a remaining length in more bytes than needed; 2.2.3's
 *     table gives each length one encoding, but 3.1.1 has no conformance statement on it.</li>
 * <li>{@value #TOO_LARGE}: remaining length above the client's configured maximum (the client's
 *     documented limit, not a rule of the specification).</li>
 * <li>{@value #PUBLISH_MALFORMED}: the topic length, topic and packet identifier do not fit in the
 *     remaining length ([MQTT-3.3.2-1], 1.5.3).</li>
 * <li>{@value #TOPIC_EMPTY}: a topic name of 0 characters ([MQTT-4.7.3-1]).</li>
 * <li>{@value #TOPIC_UTF8}: ill-formed UTF-8 in the topic name: invalid bytes, overlong forms,
 *     surrogates, code points above U+10FFFF, truncated sequences ([MQTT-1.5.3-1]).</li>
 * <li>{@value #TOPIC_NUL}: U+0000 in the topic name ([MQTT-1.5.3-2]).</li>
 * <li>{@value #TOPIC_WILDCARD}: {@code +} or {@code #} in a topic name ([MQTT-3.3.2-2]).</li>
 * <li>{@value #TOPIC_DISCOURAGED} (MAY close): U+0001..U+001F, U+007F..U+009F or a non-character in
 *     the topic name (1.5.3: a receiver MAY close).</li>
 * <li>{@value #PACKET_ID_ZERO}: a QoS 1 or 2 PUBLISH, a PUBREC, PUBREL or PUBCOMP with packet
 *     identifier 0 ([MQTT-2.3.1-1]).</li>
 * <li>{@value #ACK_LENGTH}: PUBACK or UNSUBACK with remaining length other than 2, PINGRESP other
 *     than 0, SUBACK shorter than 3 or, for this client's one-filter SUBSCRIBE, other than 3
 *     (3.4.1, 3.11.1, 3.13.1, 3.9.3, [MQTT-3.9.3-1]).</li>
 * <li>{@value #SUBACK_RETURN_CODE}: a SUBACK return code other than 0x00, 0x01, 0x02, 0x80
 *     ([MQTT-3.9.3-2]).</li>
 * <li>{@value #ACK_TYPE_MISMATCH}: an ack of one type for a packet identifier awaiting another (a
 *     PUBACK for a SUBSCRIBE): it answers no packet the client sent.</li>
 * <li>{@value #STRAY_ACK} (MAY close): an ack for a packet identifier the client does not await: a
 *     client may ignore it (a late ack) or close.</li>
 * <li>{@value #UNSOLICITED_PINGRESP} (MAY close): a PINGRESP without PINGREQ (keepalive is 0).</li>
 * <li>{@value #GRANTED_ABOVE_REQUESTED} (MAY close): a SUBACK granting a higher QoS than requested
 *     (3.8.4: the server may grant a lower one).</li>
 * </ul>
 * A rule provable from the fixed header alone (type, flags, remaining length) in a packet whose
 * body was cut off by the end of the stream ends the connection either way, {@link Verdict.End#EITHER}:
 * a client may refuse it at once or read on and meet the end of the stream. Rules inside the body
 * are judged on whole packets only. Stateless; thread-safe.
 */
final class Reference {
    private Reference() {
    }

    static final String RESERVED_TYPE = "RESERVED_TYPE";
    static final String CLIENT_ONLY_TYPE = "CLIENT_ONLY_TYPE";
    static final String SECOND_CONNACK = "SECOND_CONNACK";
    static final String RESERVED_FLAGS = "RESERVED_FLAGS";
    static final String QOS3 = "QOS3";
    static final String DUP_QOS0 = "DUP_QOS0";
    static final String QOS2_PUBLISH = "QOS2_PUBLISH";
    static final String LENGTH_MALFORMED = "LENGTH_MALFORMED";
    static final String LENGTH_NON_MINIMAL = "LENGTH_NON_MINIMAL";
    static final String TOO_LARGE = "TOO_LARGE";
    static final String PUBLISH_MALFORMED = "PUBLISH_MALFORMED";
    static final String TOPIC_EMPTY = "TOPIC_EMPTY";
    static final String TOPIC_UTF8 = "TOPIC_UTF8";
    static final String TOPIC_NUL = "TOPIC_NUL";
    static final String TOPIC_WILDCARD = "TOPIC_WILDCARD";
    static final String TOPIC_DISCOURAGED = "TOPIC_DISCOURAGED";
    static final String PACKET_ID_ZERO = "PACKET_ID_ZERO";
    static final String ACK_LENGTH = "ACK_LENGTH";
    static final String SUBACK_RETURN_CODE = "SUBACK_RETURN_CODE";
    static final String ACK_TYPE_MISMATCH = "ACK_TYPE_MISMATCH";
    static final String STRAY_ACK = "STRAY_ACK";
    static final String UNSOLICITED_PINGRESP = "UNSOLICITED_PINGRESP";
    static final String GRANTED_ABOVE_REQUESTED = "GRANTED_ABOVE_REQUESTED";

    // packet type codes (2.2.1)
    static final int CONNECT = 1;
    static final int CONNACK = 2;
    static final int PUBLISH = 3;
    static final int PUBACK = 4;
    static final int PUBREC = 5;
    static final int PUBREL = 6;
    static final int PUBCOMP = 7;
    static final int SUBSCRIBE = 8;
    static final int SUBACK = 9;
    static final int UNSUBSCRIBE = 10;
    static final int UNSUBACK = 11;
    static final int PINGREQ = 12;
    static final int PINGRESP = 13;
    static final int DISCONNECT = 14;

    /**
     * Judges the server bytes {@code s[from..]} (everything after the CONNACK).
     *
     * @param awaited packet identifier to the type code of the ack the client awaits for it
     * @param requestedQos the QoS of the client's SUBSCRIBE, if any
     * @param maxRemaining the client's largest accepted remaining length
     */
    static Verdict judge(byte[] s, int from, Map<Integer, Integer> awaited, int requestedQos, int maxRemaining) {
        return judge(s, from, awaited, requestedQos, maxRemaining, 0);
    }

    /**
     * As above, for a client whose callback, for the first message, publishes at QoS 1 with packet
     * id {@code nestedId} (0: it does not): from that delivery on, the client also awaits that PUBACK.
     */
    static Verdict judge(byte[] s, int from, Map<Integer, Integer> awaited, int requestedQos, int maxRemaining,
            int nestedId) {
        Map<Integer, Integer> pending = new HashMap<>(awaited);
        java.util.Set<Integer> awaitingRelease = new java.util.HashSet<>();
        Verdict v = new Verdict();
        int p = from;
        while (true) {
            int offset = p - from;
            if (p == s.length) {
                v.end(Verdict.End.EOF, null, offset);
                return v;
            }
            int first = s[p] & 0xFF;
            int type = first >>> 4;
            int flags = first & 0x0F;
            String early = firstByteRule(type, flags);
            Length length = remainingLength(v, s, p, offset, early);
            if (length == null) {
                return v;
            }
            int headerLength = length.headerLength;
            int value = length.value;
            boolean whole = length.whole;
            if (value > maxRemaining) {
                v.end(whole ? Verdict.End.PROTOCOL : Verdict.End.EITHER, TOO_LARGE, offset);
                return v;
            }
            if (!whole) {
                v.end(Verdict.End.EOF, null, offset);
                return v;
            }
            int body = p + headerLength;
            String violation;
            switch (type) {
                case PUBLISH:
                    violation = publish(v, s, body, value, flags, offset, awaitingRelease);
                    if (violation == null && nestedId != 0 && v.nestIndex < 0) {
                        v.nestIndex = v.messages.size() - 1;
                        pending.put(nestedId, PUBACK);
                    }
                    break;
                case PUBACK:
                case UNSUBACK:
                    violation = ack(v, pending, s, body, value, type, offset);
                    break;
                case PUBREC:
                case PUBCOMP:
                    violation = qos2Ack(v, pending, s, body, value, type, offset);
                    break;
                case PUBREL:
                    violation = value != 2 ? ACK_LENGTH : u16(s, body) == 0 ? PACKET_ID_ZERO : null;
                    if (violation == null) {
                        awaitingRelease.remove(u16(s, body));
                    }
                    break;
                case SUBACK:
                    violation = suback(v, pending, s, body, value, requestedQos, offset);
                    break;
                case PINGRESP:
                    if (value != 0) {
                        violation = ACK_LENGTH;
                    } else {
                        v.may(UNSOLICITED_PINGRESP, offset);
                        violation = null;
                    }
                    break;
                default:
                    throw new AssertionError("type " + type + " passed the first byte checks");
            }
            if (violation != null) {
                v.end(Verdict.End.PROTOCOL, violation, offset);
                return v;
            }
            v.packets++;
            p = body + value;
        }
    }

    /** The Remaining Length of a packet's fixed header, as {@link #remainingLength} read it. */
    static final class Length {
        /** The fixed header's bytes: the first byte and the length's 1 to 4 digits. */
        final int headerLength;
        final int value;
        /** Whether the stream holds the whole packet. */
        final boolean whole;

        Length(int headerLength, int value, boolean whole) {
            this.headerLength = headerLength;
            this.value = value;
            this.whole = whole;
        }
    }

    /**
     * Reads the Remaining Length of the packet at {@code s[p]} (2.2.3: 1..4 bytes of 7 bits, least
     * significant first) and ends {@code v} where the fixed header alone decides: {@code early} (the
     * broken first-byte rule, null for none), a malformed or an incomplete length. Notes a non-minimal
     * length. Returns null where it ended {@code v}. Shared by both references (3.1.1 and 5: the
     * framing is the same).
     */
    static Length remainingLength(Verdict v, byte[] s, int p, int offset, String early) {
        int digits = 0;
        int value = 0;
        boolean headerComplete = false;
        boolean malformed = false;
        boolean nonMinimal = false;
        while (p + 1 + digits < s.length) {
            int d = s[p + 1 + digits] & 0xFF;
            value |= (d & 0x7F) << (7 * digits);
            digits++;
            if ((d & 0x80) == 0) {
                headerComplete = true;
                nonMinimal = digits > 1 && d == 0;
                break;
            }
            if (digits == 4) {
                malformed = true;
                break;
            }
        }
        int headerLength = 1 + digits;
        boolean whole = headerComplete && (long) p + headerLength + value <= s.length;
        if (early != null) {
            v.end(malformed || whole ? Verdict.End.PROTOCOL : Verdict.End.EITHER, early, offset);
            return null;
        }
        if (malformed) {
            v.end(Verdict.End.PROTOCOL, LENGTH_MALFORMED, offset);
            return null;
        }
        if (!headerComplete) {
            v.end(Verdict.End.EOF, null, offset);
            return null;
        }
        if (nonMinimal) {
            v.may(LENGTH_NON_MINIMAL, offset);
        }
        return new Length(headerLength, value, whole);
    }

    /** The rule the first byte alone breaks, or null. */
    static String firstByteRule(int type, int flags) {
        switch (type) {
            case 0:
            case 15:
                return RESERVED_TYPE;
            case CONNECT:
            case SUBSCRIBE:
            case UNSUBSCRIBE:
            case PINGREQ:
            case DISCONNECT:
                return CLIENT_ONLY_TYPE;
            case CONNACK:
                return SECOND_CONNACK;
            case PUBREL:
                return flags != 2 ? RESERVED_FLAGS : null;
            case PUBLISH:
                int qos = (flags >>> 1) & 3;
                boolean dup = (flags & 0x08) != 0;
                if (qos == 3) {
                    return QOS3;
                }
                if (dup && qos == 0) {
                    return DUP_QOS0;
                }
                return null;
            default: // PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK, PINGRESP
                return flags != 0 ? RESERVED_FLAGS : null;
        }
    }

    private static int u16(byte[] s, int at) {
        return (s[at] & 0xFF) << 8 | (s[at + 1] & 0xFF);
    }

    private static String publish(Verdict v, byte[] s, int body, int rem, int flags, int offset,
            java.util.Set<Integer> awaitingRelease) {
        int qos = (flags >>> 1) & 3;
        if (rem < 2) {
            return PUBLISH_MALFORMED;
        }
        int topicLength = u16(s, body);
        if (2 + topicLength + (qos > 0 ? 2 : 0) > rem) {
            return PUBLISH_MALFORMED;
        }
        if (topicLength == 0) {
            return TOPIC_EMPTY;
        }
        switch (Utf8.check(s, body + 2, topicLength)) {
            case Utf8.ILL_FORMED:
                return TOPIC_UTF8;
            case Utf8.NUL:
                return TOPIC_NUL;
            case Utf8.WILDCARD:
                return TOPIC_WILDCARD;
            case Utf8.DISCOURAGED:
                v.may(TOPIC_DISCOURAGED, offset);
                break;
            default:
                break;
        }
        int head = 2 + topicLength;
        int id = 0;
        if (qos > 0) {
            id = u16(s, body + head);
            head += 2;
            if (id == 0) {
                return PACKET_ID_ZERO;
            }
        }
        if (qos == 2) {
            v.may(QOS2_PUBLISH, offset);
            if (!awaitingRelease.add(id)) {
                return null; // received before and not released: acknowledged, not delivered again
            }
        }
        byte[] topic = java.util.Arrays.copyOfRange(s, body + 2, body + 2 + topicLength);
        byte[] payload = java.util.Arrays.copyOfRange(s, body + head, body + rem);
        v.messages.add(new Message(topic, payload, qos, (flags & 1) != 0, (flags & 0x08) != 0, id));
        return null;
    }

    private static String ack(Verdict v, Map<Integer, Integer> pending, byte[] s, int body, int rem, int type,
            int offset) {
        if (rem != 2) {
            return ACK_LENGTH;
        }
        int id = u16(s, body);
        Integer awaited = pending.get(id);
        if (awaited == null) {
            v.may(STRAY_ACK, offset);
            return null;
        }
        if (awaited != type) {
            return ACK_TYPE_MISMATCH;
        }
        pending.remove(id);
        v.completions.add(new Verdict.Completion(id, type, 0));
        return null;
    }

    /** PUBREC or PUBCOMP: this client starts no QoS 2 flow here, so each is stray or answers another packet. */
    private static String qos2Ack(Verdict v, Map<Integer, Integer> pending, byte[] s, int body, int rem, int type,
            int offset) {
        if (rem != 2) {
            return ACK_LENGTH;
        }
        int id = u16(s, body);
        if (id == 0) {
            return PACKET_ID_ZERO;
        }
        Integer awaited = pending.get(id);
        if (awaited == null) {
            v.may(STRAY_ACK, offset);
            return null;
        }
        return awaited != type ? ACK_TYPE_MISMATCH : null;
    }

    private static String suback(Verdict v, Map<Integer, Integer> pending, byte[] s, int body, int rem,
            int requestedQos, int offset) {
        if (rem < 3) {
            return ACK_LENGTH;
        }
        for (int i = 2; i < rem; i++) {
            int code = s[body + i] & 0xFF;
            if (code != 0 && code != 1 && code != 2 && code != 0x80) {
                return SUBACK_RETURN_CODE;
            }
        }
        int id = u16(s, body);
        Integer awaited = pending.get(id);
        if (awaited == null) {
            v.may(STRAY_ACK, offset);
            return null;
        }
        if (awaited != SUBACK) {
            return ACK_TYPE_MISMATCH;
        }
        if (rem != 3) {
            return ACK_LENGTH;
        }
        int code = s[body + 2] & 0xFF;
        if (code != 0x80 && code > requestedQos) {
            v.may(GRANTED_ABOVE_REQUESTED, offset);
        }
        pending.remove(id);
        v.completions.add(new Verdict.Completion(id, SUBACK, code));
        return null;
    }

    /** UTF-8 well-formedness (Unicode 3.9, Table 3-7) and the code points MQTT 1.5.3 restricts. */
    static final class Utf8 {
        private Utf8() {
        }

        static final int OK = 0;
        static final int ILL_FORMED = 1;
        static final int NUL = 2;
        static final int WILDCARD = 3;
        static final int DISCOURAGED = 4;

        /** The worst finding in {@code s[off..off+len)}: ILL_FORMED, else NUL, WILDCARD, DISCOURAGED, OK. */
        static int check(byte[] s, int off, int len) {
            boolean nul = false;
            boolean wildcard = false;
            boolean discouraged = false;
            int i = off;
            int end = off + len;
            while (i < end) {
                int b0 = s[i] & 0xFF;
                int cp;
                int n;
                if (b0 < 0x80) {
                    cp = b0;
                    n = 1;
                } else if (b0 >= 0xC2 && b0 <= 0xDF) {
                    if (!cont(s, i + 1, end, 0x80, 0xBF)) {
                        return ILL_FORMED;
                    }
                    cp = (b0 & 0x1F) << 6 | (s[i + 1] & 0x3F);
                    n = 2;
                } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                    int lo = b0 == 0xE0 ? 0xA0 : 0x80;
                    int hi = b0 == 0xED ? 0x9F : 0xBF;
                    if (!cont(s, i + 1, end, lo, hi) || !cont(s, i + 2, end, 0x80, 0xBF)) {
                        return ILL_FORMED;
                    }
                    cp = (b0 & 0x0F) << 12 | (s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
                    n = 3;
                } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                    int lo = b0 == 0xF0 ? 0x90 : 0x80;
                    int hi = b0 == 0xF4 ? 0x8F : 0xBF;
                    if (!cont(s, i + 1, end, lo, hi) || !cont(s, i + 2, end, 0x80, 0xBF)
                            || !cont(s, i + 3, end, 0x80, 0xBF)) {
                        return ILL_FORMED;
                    }
                    cp = (b0 & 0x07) << 18 | (s[i + 1] & 0x3F) << 12 | (s[i + 2] & 0x3F) << 6 | (s[i + 3] & 0x3F);
                    n = 4;
                } else {
                    return ILL_FORMED; // 80..C1 as a lead byte, F5..FF
                }
                if (cp == 0) {
                    nul = true;
                } else if (cp == '+' || cp == '#') {
                    wildcard = true;
                } else if (cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0xFDD0 && cp <= 0xFDEF)
                        || (cp & 0xFFFE) == 0xFFFE) {
                    discouraged = true;
                }
                i += n;
            }
            return nul ? NUL : wildcard ? WILDCARD : discouraged ? DISCOURAGED : OK;
        }

        private static boolean cont(byte[] s, int at, int end, int lo, int hi) {
            if (at >= end) {
                return false;
            }
            int b = s[at] & 0xFF;
            return b >= lo && b <= hi;
        }
    }
}
