package io.umqtt.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The MQTT 5 reference: what a correct MQTT 5 client does with the bytes a server sends after a
 * valid CONNACK, written from the specification (OASIS MQTT Version 5.0, 7 March 2019) and
 * independent of the client's codec (it shares only the UTF-8 check of {@link Reference.Utf8} with
 * the 3.1.1 reference, which is the fuzzer's own code too). It parses the stream packet by packet,
 * properties included, and returns a {@link Verdict}: the messages a correct client delivers (with
 * their properties, in a canonical text form: {@link Props#canonical()}) and the acks it matches with
 * their reason codes, up to the first protocol violation, where a correct client closes the
 * connection ([MQTT-4.13.1-1]: it MAY send DISCONNECT 0x81/0x82 first) and delivers nothing more, or
 * up to a server DISCONNECT, which ends the connection with the server's reason code.
 * <p>
 * The client's state the rules depend on is given: the packet ids it awaits an ack for, the QoS of
 * its one-filter SUBSCRIBE, its Maximum Packet Size (the whole packet, fixed header included:
 * 3.1.2.11.4; {@code setMaxPacketSize}) and its Topic Alias Maximum (3.1.2.11.5;
 * {@code setTopicAliasMaximum}). It sent no Authentication Method, so any AUTH is a protocol error
 * (4.12: the server MUST NOT send AUTH then, [MQTT-4.12.0-7]... 3.15).
 * <p>
 * Rules beyond the 3.1.1 reference's (whose names it reuses for the same rules):
 * <ul>
 * <li>{@value #PROPERTY_LENGTH}: a property length, or a property value, that runs past its packet, or
 * an ack/DISCONNECT whose properties do not end where the packet ends (2.2.2.1, 1.5.5: Malformed).</li>
 * <li>{@value #VBI_MALFORMED}: a variable byte integer in the properties with the continuation bit in
 * its 4th byte (1.5.5).</li>
 * <li>{@value #PROPERTY_UNKNOWN}: a property identifier that MQTT 5 does not define (2.2.2.2).</li>
 * <li>{@value #PROPERTY_NOT_ALLOWED}: a property defined, but not for this packet (2.2.2.2: "a Control
 * Packet which contains an Identifier which is not valid for its packet type ... is a Malformed Packet").</li>
 * <li>{@value #PROPERTY_DUPLICATE}: a property other than User Property (and Subscription Identifier
 * in PUBLISH) more than once ("It is a Protocol Error to include ... more than once", each property's
 * section).</li>
 * <li>{@value #PROPERTY_UTF8}: ill-formed UTF-8 or U+0000 in a string property or user property
 * ([MQTT-1.5.4-1], [MQTT-1.5.4-2]); discouraged code points are {@value Reference#TOPIC_DISCOURAGED}
 * (MAY close, 1.5.4).</li>
 * <li>{@value #PROPERTY_VALUE}: a Payload Format Indicator other than 0 or 1 (3.3.2.3.2 defines only
 * those two; the client's API cannot show another).</li>
 * <li>{@value #SUBSCRIPTION_ID_ZERO}: a Subscription Identifier of 0 (3.3.2.3.8).</li>
 * <li>{@value #TOPIC_ALIAS_INVALID}: a Topic Alias of 0 or above the client's Topic Alias Maximum
 * ([MQTT-3.3.2-8], [MQTT-3.3.2-9]).</li>
 * <li>{@value #TOPIC_ALIAS_UNKNOWN}: an empty topic with a Topic Alias that has no mapping
 * (3.3.2.3.4: a Protocol Error).</li>
 * <li>{@value Reference#TOPIC_EMPTY}: an empty topic without a Topic Alias ([MQTT-3.3.2-1]).</li>
 * <li>{@value #REASON_CODE}: a reason code the packet does not allow (3.4.2.1, 3.5.2.1, 3.6.2.1,
 * 3.7.2.1, 3.9.3, 3.11.3, 3.14.2.1; 0x04 and DISCONNECT codes of the client only are not the
 * server's).</li>
 * <li>{@value #DISCONNECT_SESSION_EXPIRY}: a server DISCONNECT with Session Expiry Interval
 * ([MQTT-3.14.2-2]).</li>
 * <li>{@value #RESPONSE_TOPIC_INVALID}: a Response Topic that is not a topic name: empty, or with
 * {@code +} or {@code #} ([MQTT-3.3.2-14]: it MUST NOT contain wildcards; 3.3.2.3.5: it is a topic
 * name, and those have at least one character, [MQTT-4.7.3-1]).</li>
 * <li>{@value #AUTH_UNEXPECTED}: AUTH although the client sent no Authentication Method
 * ([MQTT-4.12.0-7]: the server MUST NOT send AUTH).</li>
 * <li>{@value Reference#TOO_LARGE}: a packet larger (in total) than the client's Maximum Packet Size
 * (3.1.2.11.4: "If a Client receives a packet whose size exceeds this limit, this is a Protocol Error").</li>
 * </ul>
 * DISCONNECT is no longer a client-only type (3.14: the server may send it); type 15 is AUTH; type 0
 * stays reserved. Acks carry reason codes: a PUBACK with a code of 0x80 or above refuses the publish,
 * a SUBACK's code of 0x80 or above refuses the subscription, and so does an UNSUBACK's. Non-minimal
 * variable byte integers stay {@value Reference#LENGTH_NON_MINIMAL} (MAY close), as in the 3.1.1
 * reference. Stateless; thread-safe.
 */
final class Reference5 {
    private Reference5() {
    }

    static final String PROPERTY_LENGTH = "PROPERTY_LENGTH";
    static final String VBI_MALFORMED = "VBI_MALFORMED";
    static final String PROPERTY_UNKNOWN = "PROPERTY_UNKNOWN";
    static final String PROPERTY_NOT_ALLOWED = "PROPERTY_NOT_ALLOWED";
    static final String PROPERTY_DUPLICATE = "PROPERTY_DUPLICATE";
    static final String PROPERTY_UTF8 = "PROPERTY_UTF8";
    static final String PROPERTY_VALUE = "PROPERTY_VALUE";
    static final String SUBSCRIPTION_ID_ZERO = "SUBSCRIPTION_ID_ZERO";
    static final String TOPIC_ALIAS_INVALID = "TOPIC_ALIAS_INVALID";
    static final String TOPIC_ALIAS_UNKNOWN = "TOPIC_ALIAS_UNKNOWN";
    static final String REASON_CODE = "REASON_CODE";
    static final String DISCONNECT_SESSION_EXPIRY = "DISCONNECT_SESSION_EXPIRY";
    static final String AUTH_UNEXPECTED = "AUTH_UNEXPECTED";
    static final String RESPONSE_TOPIC_INVALID = "RESPONSE_TOPIC_INVALID";

    static final int DISCONNECT = 14;
    static final int AUTH = 15;

    // property identifiers (2.2.2.2, Table 2-4)
    static final int PAYLOAD_FORMAT = 0x01;
    static final int MESSAGE_EXPIRY = 0x02;
    static final int CONTENT_TYPE = 0x03;
    static final int RESPONSE_TOPIC = 0x08;
    static final int CORRELATION_DATA = 0x09;
    static final int SUBSCRIPTION_ID = 0x0B;
    static final int SESSION_EXPIRY = 0x11;
    static final int ASSIGNED_CLIENT_ID = 0x12;
    static final int SERVER_KEEP_ALIVE = 0x13;
    static final int AUTH_METHOD = 0x15;
    static final int AUTH_DATA = 0x16;
    static final int REQUEST_PROBLEM_INFO = 0x17;
    static final int WILL_DELAY = 0x18;
    static final int REQUEST_RESPONSE_INFO = 0x19;
    static final int RESPONSE_INFO = 0x1A;
    static final int SERVER_REFERENCE = 0x1C;
    static final int REASON_STRING = 0x1F;
    static final int RECEIVE_MAXIMUM = 0x21;
    static final int TOPIC_ALIAS_MAXIMUM = 0x22;
    static final int TOPIC_ALIAS = 0x23;
    static final int MAXIMUM_QOS = 0x24;
    static final int RETAIN_AVAILABLE = 0x25;
    static final int USER_PROPERTY = 0x26;
    static final int MAXIMUM_PACKET_SIZE = 0x27;
    static final int WILDCARD_AVAILABLE = 0x28;
    static final int SUBSCRIPTION_ID_AVAILABLE = 0x29;
    static final int SHARED_AVAILABLE = 0x2A;

    /** Value types (1.5). */
    static final int BYTE = 1;
    static final int TWO = 2;
    static final int FOUR = 4;
    static final int VBI = 5;
    static final int UTF8 = 6;
    static final int BINARY = 7;
    static final int PAIR = 8;

    /** Property id to its type; 0 for an id MQTT 5 does not define. */
    static int type(int id) {
        switch (id) {
            case PAYLOAD_FORMAT:
            case REQUEST_PROBLEM_INFO:
            case REQUEST_RESPONSE_INFO:
            case MAXIMUM_QOS:
            case RETAIN_AVAILABLE:
            case WILDCARD_AVAILABLE:
            case SUBSCRIPTION_ID_AVAILABLE:
            case SHARED_AVAILABLE:
                return BYTE;
            case SERVER_KEEP_ALIVE:
            case RECEIVE_MAXIMUM:
            case TOPIC_ALIAS_MAXIMUM:
            case TOPIC_ALIAS:
                return TWO;
            case MESSAGE_EXPIRY:
            case SESSION_EXPIRY:
            case WILL_DELAY:
            case MAXIMUM_PACKET_SIZE:
                return FOUR;
            case SUBSCRIPTION_ID:
                return VBI;
            case CONTENT_TYPE:
            case RESPONSE_TOPIC:
            case ASSIGNED_CLIENT_ID:
            case AUTH_METHOD:
            case RESPONSE_INFO:
            case SERVER_REFERENCE:
            case REASON_STRING:
                return UTF8;
            case CORRELATION_DATA:
            case AUTH_DATA:
                return BINARY;
            case USER_PROPERTY:
                return PAIR;
            default:
                return 0;
        }
    }

    /** Whether a server may send property {@code id} in a packet of {@code packetType} (Table 2-4). */
    static boolean allowed(int id, int packetType) {
        if (id == USER_PROPERTY) {
            return true;
        }
        switch (packetType) {
            case Reference.PUBLISH:
                return id == PAYLOAD_FORMAT || id == MESSAGE_EXPIRY || id == CONTENT_TYPE || id == RESPONSE_TOPIC
                        || id == CORRELATION_DATA || id == SUBSCRIPTION_ID || id == TOPIC_ALIAS;
            case Reference.PUBACK:
            case Reference.PUBREC:
            case Reference.PUBREL:
            case Reference.PUBCOMP:
            case Reference.SUBACK:
            case Reference.UNSUBACK:
                return id == REASON_STRING;
            case DISCONNECT:
                // Session Expiry Interval is a DISCONNECT property, but not the server's: DISCONNECT_SESSION_EXPIRY
                return id == REASON_STRING || id == SERVER_REFERENCE || id == SESSION_EXPIRY;
            case AUTH:
                return id == REASON_STRING || id == AUTH_METHOD || id == AUTH_DATA;
            default:
                return false;
        }
    }

    /** The reason codes a server may send in each packet. */
    static boolean reasonAllowed(int packetType, int code) {
        switch (packetType) {
            case Reference.PUBACK:
            case Reference.PUBREC: // 3.4.2.1, 3.5.2.1
                return code == 0x00 || code == 0x10 || code == 0x80 || code == 0x83 || code == 0x87 || code == 0x90
                        || code == 0x91 || code == 0x97 || code == 0x99;
            case Reference.PUBREL:
            case Reference.PUBCOMP: // 3.6.2.1, 3.7.2.1
                return code == 0x00 || code == 0x92;
            case Reference.SUBACK: // 3.9.3
                return code == 0x00 || code == 0x01 || code == 0x02 || code == 0x80 || code == 0x83 || code == 0x87
                        || code == 0x8F || code == 0x91 || code == 0x97 || code == 0x9E || code == 0xA1 || code == 0xA2;
            case Reference.UNSUBACK: // 3.11.3
                return code == 0x00 || code == 0x11 || code == 0x80 || code == 0x83 || code == 0x87 || code == 0x8F
                        || code == 0x91;
            case DISCONNECT: // 3.14.2.1, the codes marked Server or Client/Server
                switch (code) {
                    case 0x00: case 0x80: case 0x81: case 0x82: case 0x83: case 0x87: case 0x89: case 0x8B:
                    case 0x8D: case 0x8E: case 0x8F: case 0x90: case 0x93: case 0x94: case 0x95: case 0x96:
                    case 0x97: case 0x98: case 0x99: case 0x9A: case 0x9B: case 0x9C: case 0x9D: case 0x9E:
                    case 0x9F: case 0xA0: case 0xA1: case 0xA2:
                        return true;
                    default:
                        return false;
                }
            default:
                return false;
        }
    }

    /** The properties of one packet as parsed, and the canonical form the fuzzer compares. */
    static final class Props {
        int payloadFormat = -1;
        long messageExpiry = -1;
        String contentType;
        String responseTopic;
        byte[] correlationData;
        final List<String[]> user = new ArrayList<>();
        final List<Integer> subscriptionIds = new ArrayList<>();
        int topicAlias = -1;
        boolean sessionExpiry;
        String reasonString;

        /** The application-visible PUBLISH properties as text; "" when there are none. */
        String canonical() {
            return canonical(payloadFormat, messageExpiry, contentType, responseTopic, correlationData, user,
                    subscriptionIds);
        }

        /** The one canonical text of PUBLISH properties, for the reference and for what the client delivered. */
        static String canonical(int payloadFormat, long messageExpiry, String contentType, String responseTopic,
                byte[] correlationData, List<String[]> user, List<Integer> subscriptionIds) {
            StringBuilder b = new StringBuilder();
            if (payloadFormat >= 0) {
                b.append(" pfi=").append(payloadFormat);
            }
            if (messageExpiry >= 0) {
                b.append(" expiry=").append(messageExpiry);
            }
            if (contentType != null) {
                b.append(" ct=").append(quote(contentType));
            }
            if (responseTopic != null) {
                b.append(" rt=").append(quote(responseTopic));
            }
            if (correlationData != null) {
                b.append(" cd=").append(Hex.of(correlationData));
            }
            for (String[] u : user) {
                b.append(" up=").append(quote(u[0])).append(':').append(quote(u[1]));
            }
            if (!subscriptionIds.isEmpty()) {
                b.append(" sid=").append(subscriptionIds);
            }
            return b.length() == 0 ? "" : b.substring(1);
        }

        private static String quote(String s) {
            return s.length() + "'" + s + "'";
        }
    }

    /**
     * Judges the server bytes {@code s[from..]} (everything after the CONNACK).
     *
     * @param awaited packet identifier to the type code of the ack the client awaits for it
     * @param requestedQos the QoS of the client's SUBSCRIBE, if any
     * @param maxPacketSize the Maximum Packet Size the client announced (whole packets)
     * @param aliasMaximum the client's Topic Alias Maximum
     * @param nestedId the packet id of the callback's own QoS 1 publish for the first message, 0 for none
     */
    static Verdict judge(byte[] s, int from, Map<Integer, Integer> awaited, int requestedQos, int maxPacketSize,
            int aliasMaximum, int nestedId) {
        Map<Integer, Integer> pending = new HashMap<>(awaited);
        Set<Integer> awaitingRelease = new HashSet<>();
        Map<Integer, byte[]> aliases = new HashMap<>();
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
            Reference.Length length = Reference.remainingLength(v, s, p, offset, early);
            if (length == null) {
                return v;
            }
            int headerLength = length.headerLength;
            int value = length.value;
            boolean whole = length.whole;
            if ((long) headerLength + value > maxPacketSize) {
                v.end(whole ? Verdict.End.PROTOCOL : Verdict.End.EITHER, Reference.TOO_LARGE, offset);
                return v;
            }
            if (!whole) {
                v.end(Verdict.End.EOF, null, offset);
                return v;
            }
            int body = p + headerLength;
            Parser x = new Parser(v, s, body, body + value, offset);
            String violation;
            switch (type) {
                case Reference.PUBLISH:
                    violation = publish(x, flags, awaitingRelease, aliases, aliasMaximum);
                    if (violation == null && nestedId != 0 && v.nestIndex < 0 && v.messages.size() > 0) {
                        v.nestIndex = v.messages.size() - 1;
                        pending.put(nestedId, Reference.PUBACK);
                    }
                    break;
                case Reference.PUBACK:
                case Reference.PUBREC:
                case Reference.PUBREL:
                case Reference.PUBCOMP:
                    violation = ack(x, pending, type, awaitingRelease);
                    break;
                case Reference.SUBACK:
                case Reference.UNSUBACK:
                    violation = subOrUnsubAck(x, pending, type, requestedQos);
                    break;
                case Reference.PINGRESP:
                    if (value != 0) {
                        violation = Reference.ACK_LENGTH;
                    } else {
                        v.may(Reference.UNSOLICITED_PINGRESP, offset);
                        violation = null;
                    }
                    break;
                case DISCONNECT: {
                    int[] code = new int[1];
                    violation = disconnect(x, code);
                    if (violation == null) {
                        v.packets++;
                        v.disconnect(code[0], offset);
                        return v;
                    }
                    break;
                }
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

    /** The rule the first byte alone breaks, or null. */
    static String firstByteRule(int type, int flags) {
        switch (type) {
            case 0:
                return Reference.RESERVED_TYPE;
            case Reference.CONNECT:
            case Reference.SUBSCRIBE:
            case Reference.UNSUBSCRIBE:
            case Reference.PINGREQ:
                return Reference.CLIENT_ONLY_TYPE;
            case Reference.CONNACK:
                return Reference.SECOND_CONNACK;
            case AUTH:
                return flags != 0 ? Reference.RESERVED_FLAGS : AUTH_UNEXPECTED;
            case Reference.PUBREL:
                return flags != 2 ? Reference.RESERVED_FLAGS : null;
            case Reference.PUBLISH:
                int qos = (flags >>> 1) & 3;
                if (qos == 3) {
                    return Reference.QOS3;
                }
                if ((flags & 0x08) != 0 && qos == 0) {
                    return Reference.DUP_QOS0;
                }
                return null;
            default: // PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK, PINGRESP, DISCONNECT
                return flags != 0 ? Reference.RESERVED_FLAGS : null;
        }
    }

    /** A cursor over one packet's body {@code [at, end)}. */
    private static final class Parser {
        final Verdict v;
        final byte[] s;
        final int end;
        final int offset;
        int at;
        /** The last variable byte integer read, or -1 with {@link #vbiRule} set. */
        String vbiRule;

        Parser(Verdict v, byte[] s, int at, int end, int offset) {
            this.v = v;
            this.s = s;
            this.at = at;
            this.end = end;
            this.offset = offset;
        }

        int left() {
            return end - at;
        }

        int u8() {
            return s[at++] & 0xFF;
        }

        int u16() {
            int x = (s[at] & 0xFF) << 8 | (s[at + 1] & 0xFF);
            at += 2;
            return x;
        }

        long u32() {
            long x = (s[at] & 0xFFL) << 24 | (s[at + 1] & 0xFF) << 16 | (s[at + 2] & 0xFF) << 8 | (s[at + 3] & 0xFF);
            at += 4;
            return x;
        }

        /** A variable byte integer within {@code limit}; -1 with {@link #vbiRule} when it is malformed or cut off. */
        int vbi(int limit) {
            int value = 0;
            for (int i = 0; i < 4; i++) {
                if (at >= limit) {
                    vbiRule = PROPERTY_LENGTH;
                    return -1;
                }
                int d = s[at++] & 0xFF;
                value |= (d & 0x7F) << (7 * i);
                if ((d & 0x80) == 0) {
                    if (i > 0 && d == 0) {
                        v.may(Reference.LENGTH_NON_MINIMAL, offset);
                    }
                    return value;
                }
            }
            vbiRule = VBI_MALFORMED;
            return -1;
        }

        /**
         * The property section at the cursor: its length and the properties, checked for
         * {@code packetType}; the cursor ends after it. Returns the rule broken, or null.
         */
        String properties(int packetType, Props into) {
            int length = vbi(end);
            if (length < 0) {
                return vbiRule;
            }
            if (length > left()) {
                return PROPERTY_LENGTH;
            }
            int stop = at + length;
            boolean[] seen = new boolean[128];
            while (at < stop) {
                int id = vbi(stop);
                if (id < 0) {
                    return vbiRule;
                }
                int type = id < 128 ? type(id) : 0;
                if (type == 0) {
                    return PROPERTY_UNKNOWN;
                }
                if (!allowed(id, packetType)) {
                    return PROPERTY_NOT_ALLOWED;
                }
                boolean repeatable = id == USER_PROPERTY || (id == SUBSCRIPTION_ID && packetType == Reference.PUBLISH);
                if (seen[id] && !repeatable) {
                    return PROPERTY_DUPLICATE;
                }
                seen[id] = true;
                String rule = value(id, type, stop, into);
                if (rule != null) {
                    return rule;
                }
            }
            return null;
        }

        private String value(int id, int type, int stop, Props into) {
            switch (type) {
                case BYTE: {
                    if (stop - at < 1) {
                        return PROPERTY_LENGTH;
                    }
                    int b = u8();
                    if (id == PAYLOAD_FORMAT) {
                        if (b > 1) {
                            return PROPERTY_VALUE;
                        }
                        into.payloadFormat = b;
                    }
                    return null;
                }
                case TWO: {
                    if (stop - at < 2) {
                        return PROPERTY_LENGTH;
                    }
                    int x = u16();
                    if (id == TOPIC_ALIAS) {
                        into.topicAlias = x;
                    }
                    return null;
                }
                case FOUR: {
                    if (stop - at < 4) {
                        return PROPERTY_LENGTH;
                    }
                    long x = u32();
                    if (id == MESSAGE_EXPIRY) {
                        into.messageExpiry = x;
                    } else if (id == SESSION_EXPIRY) {
                        into.sessionExpiry = true;
                    }
                    return null;
                }
                case VBI: {
                    int x = vbi(stop);
                    if (x < 0) {
                        return vbiRule;
                    }
                    if (x == 0) {
                        return SUBSCRIPTION_ID_ZERO;
                    }
                    into.subscriptionIds.add(x);
                    return null;
                }
                case UTF8: {
                    String[] str = new String[1];
                    String rule = string(stop, str);
                    if (rule != null) {
                        return rule;
                    }
                    if (id == CONTENT_TYPE) {
                        into.contentType = str[0];
                    } else if (id == RESPONSE_TOPIC) {
                        if (str[0].isEmpty() || str[0].indexOf('+') >= 0 || str[0].indexOf('#') >= 0) {
                            return RESPONSE_TOPIC_INVALID;
                        }
                        into.responseTopic = str[0];
                    } else if (id == REASON_STRING) {
                        into.reasonString = str[0];
                    }
                    return null;
                }
                case BINARY: {
                    if (stop - at < 2) {
                        return PROPERTY_LENGTH;
                    }
                    int n = u16();
                    if (stop - at < n) {
                        return PROPERTY_LENGTH;
                    }
                    byte[] data = Arrays.copyOfRange(s, at, at + n);
                    at += n;
                    if (id == CORRELATION_DATA) {
                        into.correlationData = data;
                    }
                    return null;
                }
                default: { // PAIR
                    String[] name = new String[1];
                    String rule = string(stop, name);
                    if (rule != null) {
                        return rule;
                    }
                    String[] value = new String[1];
                    rule = string(stop, value);
                    if (rule != null) {
                        return rule;
                    }
                    into.user.add(new String[] {name[0], value[0]});
                    return null;
                }
            }
        }

        /** A UTF-8 encoded string (1.5.4) within {@code stop}. */
        private String string(int stop, String[] out) {
            if (stop - at < 2) {
                return PROPERTY_LENGTH;
            }
            int n = u16();
            if (stop - at < n) {
                return PROPERTY_LENGTH;
            }
            switch (Reference.Utf8.check(s, at, n)) {
                case Reference.Utf8.ILL_FORMED:
                case Reference.Utf8.NUL:
                    return PROPERTY_UTF8;
                case Reference.Utf8.DISCOURAGED:
                    v.may(Reference.TOPIC_DISCOURAGED, offset);
                    break;
                default: // OK, and '+'/'#' are plain characters outside topic names
                    break;
            }
            out[0] = new String(s, at, n, StandardCharsets.UTF_8);
            at += n;
            return null;
        }
    }

    private static String publish(Parser x, int flags, Set<Integer> awaitingRelease, Map<Integer, byte[]> aliases,
            int aliasMaximum) {
        int qos = (flags >>> 1) & 3;
        if (x.left() < 2) {
            return Reference.PUBLISH_MALFORMED;
        }
        int topicLength = x.u16();
        if (topicLength + (qos > 0 ? 2 : 0) > x.left()) {
            return Reference.PUBLISH_MALFORMED;
        }
        int topicAt = x.at;
        if (topicLength > 0) {
            switch (Reference.Utf8.check(x.s, topicAt, topicLength)) {
                case Reference.Utf8.ILL_FORMED:
                    return Reference.TOPIC_UTF8;
                case Reference.Utf8.NUL:
                    return Reference.TOPIC_NUL;
                case Reference.Utf8.WILDCARD:
                    return Reference.TOPIC_WILDCARD;
                case Reference.Utf8.DISCOURAGED:
                    x.v.may(Reference.TOPIC_DISCOURAGED, x.offset);
                    break;
                default:
                    break;
            }
        }
        x.at += topicLength;
        int id = 0;
        if (qos > 0) {
            id = x.u16();
            if (id == 0) {
                return Reference.PACKET_ID_ZERO;
            }
        }
        Props props = new Props();
        String rule = x.properties(Reference.PUBLISH, props);
        if (rule != null) {
            return rule;
        }
        byte[] topic;
        if (props.topicAlias >= 0) {
            if (props.topicAlias == 0 || props.topicAlias > aliasMaximum) {
                return TOPIC_ALIAS_INVALID;
            }
            if (topicLength > 0) {
                topic = Arrays.copyOfRange(x.s, topicAt, topicAt + topicLength);
                aliases.put(props.topicAlias, topic);
            } else {
                topic = aliases.get(props.topicAlias);
                if (topic == null) {
                    return TOPIC_ALIAS_UNKNOWN;
                }
            }
        } else if (topicLength == 0) {
            return Reference.TOPIC_EMPTY;
        } else {
            topic = Arrays.copyOfRange(x.s, topicAt, topicAt + topicLength);
        }
        if (qos == 2) {
            x.v.may(Reference.QOS2_PUBLISH, x.offset);
            if (!awaitingRelease.add(id)) {
                return null; // received before and not released: acknowledged, not delivered again
            }
        }
        byte[] payload = Arrays.copyOfRange(x.s, x.at, x.end);
        x.v.messages.add(new Message(topic, payload, qos, (flags & 1) != 0, (flags & 0x08) != 0, id,
                props.canonical()));
        return null;
    }

    /**
     * The reason code and properties after a packet id (acks) or at the start (DISCONNECT): none
     * (code 0), a code alone, or a code and properties that end where the packet ends.
     */
    private static String codeAndProperties(Parser x, int type, int[] code, Props props) {
        code[0] = 0;
        if (x.left() == 0) {
            return null;
        }
        code[0] = x.u8();
        if (x.left() == 0) {
            return reasonAllowed(type, code[0]) ? null : REASON_CODE;
        }
        String rule = x.properties(type, props);
        if (rule != null) {
            return rule;
        }
        if (x.left() != 0) {
            return Reference.ACK_LENGTH; // bytes after the properties
        }
        return reasonAllowed(type, code[0]) ? null : REASON_CODE;
    }

    /** PUBACK, PUBREC, PUBREL, PUBCOMP (3.4-3.7): id, then maybe a reason code and properties. */
    private static String ack(Parser x, Map<Integer, Integer> pending, int type, Set<Integer> awaitingRelease) {
        if (x.left() < 2) {
            return Reference.ACK_LENGTH;
        }
        int id = x.u16();
        int[] code = new int[1];
        String rule = codeAndProperties(x, type, code, new Props());
        if (rule != null) {
            return rule;
        }
        if (id == 0 && type != Reference.PUBACK) {
            return Reference.PACKET_ID_ZERO;
        }
        if (type == Reference.PUBREL) {
            awaitingRelease.remove(id); // answered with PUBCOMP whatever the id (4.3.3)
            return null;
        }
        Integer awaited = pending.get(id);
        if (awaited == null) {
            x.v.may(Reference.STRAY_ACK, x.offset);
            return null;
        }
        if (awaited != type) {
            return Reference.ACK_TYPE_MISMATCH;
        }
        if (type == Reference.PUBACK) {
            pending.remove(id);
            x.v.completions.add(new Verdict.Completion(id, type, code[0]));
        }
        return null;
    }

    /** SUBACK or UNSUBACK (3.9, 3.11): id, properties, one reason code per filter. */
    private static String subOrUnsubAck(Parser x, Map<Integer, Integer> pending, int type, int requestedQos) {
        if (x.left() < 2) {
            return Reference.ACK_LENGTH;
        }
        int id = x.u16();
        if (x.left() < 1) {
            return Reference.ACK_LENGTH;
        }
        String rule = x.properties(type, new Props());
        if (rule != null) {
            return rule;
        }
        if (x.left() < 1) {
            return Reference.ACK_LENGTH; // no reason code: a SUBACK/UNSUBACK answers at least one filter
        }
        int codes = x.left();
        int code = x.s[x.at] & 0xFF;
        for (int i = 0; i < codes; i++) {
            if (!reasonAllowed(type, x.s[x.at + i] & 0xFF)) {
                return type == Reference.SUBACK ? Reference.SUBACK_RETURN_CODE : REASON_CODE;
            }
        }
        Integer awaited = pending.get(id);
        if (awaited == null) {
            x.v.may(Reference.STRAY_ACK, x.offset);
            return null;
        }
        if (awaited != type) {
            return Reference.ACK_TYPE_MISMATCH;
        }
        if (codes != 1) {
            return Reference.ACK_LENGTH; // one code per filter of the client's one-filter request
        }
        if (type == Reference.SUBACK && code < 0x80 && code > requestedQos) {
            x.v.may(Reference.GRANTED_ABOVE_REQUESTED, x.offset);
        }
        pending.remove(id);
        x.v.completions.add(new Verdict.Completion(id, type, code));
        return null;
    }

    /** A server DISCONNECT (3.14): the code (or 0), properties without Session Expiry Interval. */
    private static String disconnect(Parser x, int[] code) {
        Props props = new Props();
        String rule = codeAndProperties(x, DISCONNECT, code, props);
        if (rule != null) {
            return rule;
        }
        return props.sessionExpiry ? DISCONNECT_SESSION_EXPIRY : null;
    }
}
