package io.umqtt.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/**
 * The MQTT 5 reference parser against hand-made streams, each rule at least once, from the MQTT 5.0
 * text; and the MQTT 5 generator: its streams are judged without error, reproducibly, and reach
 * every rule.
 */
class Reference5Test {
    private static final int MAX = 1000;
    private static final int ALIASES = 3;

    private static Verdict judge(String hex) {
        return judge(hex, Map.of());
    }

    private static Verdict judge(String hex, Map<Integer, Integer> awaited) {
        return Reference5.judge(Hex.parse(hex), 0, awaited, 1, MAX, ALIASES, 0);
    }

    private static void ends(Verdict v, Verdict.End end, String rule, int messages) {
        assertEquals(end, v.full.end, v::toString);
        assertEquals(rule, v.full.rule, v::toString);
        assertEquals(messages, v.full.messages, v::toString);
    }

    /** A packet in hex: the first byte, the remaining length computed, the body. */
    private static String pkt(String first, String body) {
        int n = body.length() / 2;
        return first + (n < 128 ? String.format("%02x", n) : String.format("%02x%02x", n & 0x7F | 0x80, n >>> 7)) + body;
    }

    private static List<String> mayRules(Verdict v) {
        List<String> rules = new ArrayList<>();
        for (Verdict.Outcome o : v.mayStops) {
            rules.add(o.rule);
        }
        return rules;
    }

    @Test
    void publishWithoutPropertiesAndWithEachPublishProperty() {
        // QoS 0 "a" no properties, payload "hi"
        Verdict v = judge(pkt("30", "000161" + "00" + "6869"));
        ends(v, Verdict.End.EOF, null, 1);
        assertEquals("", v.messages.get(0).props);
        assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), v.messages.get(0).payload);
        // QoS 1 id 5, properties: PFI 1, expiry 60, content type "t", response topic "r/s", correlation 0102,
        // user "k"="v", subscription ids 3 and 200 (two bytes)
        String props = "0101" + "020000003c" + "03000174" + "080003722f73" + "0900020102" + "260001" + "6b" + "000176"
                + "0b03" + "0bc801";
        int propLength = props.length() / 2;
        String body = "000161" + "0005" + String.format("%02x", propLength) + props + "78";
        v = judge(String.format("32%02x", body.length() / 2) + body);
        ends(v, Verdict.End.EOF, null, 1);
        Message m = v.messages.get(0);
        assertEquals(5, m.packetId);
        assertEquals("pfi=1 expiry=60 ct=1't' rt=3'r/s' cd=0102 up=1'k':1'v' sid=[3, 200]", m.props);
    }

    @Test
    void propertyLengthAndVariableByteIntegerRules() {
        // property length 5 with one byte left in the packet
        ends(judge(pkt("30", "000161" + "05" + "01")), Verdict.End.PROTOCOL, Reference5.PROPERTY_LENGTH, 0);
        // property length missing altogether (a 3.1.1 style PUBLISH with empty payload)
        ends(judge(pkt("30", "000161")), Verdict.End.PROTOCOL, Reference5.PROPERTY_LENGTH, 0);
        // property length as a 5-byte variable byte integer
        ends(judge(pkt("30", "000161" + "8080808001")), Verdict.End.PROTOCOL, Reference5.VBI_MALFORMED, 0);
        // subscription identifier 5 bytes long
        ends(judge(pkt("30", "000161" + "06" + "0b8080808001")), Verdict.End.PROTOCOL, Reference5.VBI_MALFORMED, 0);
        // a content type whose length runs past the property section
        ends(judge(pkt("30", "000161" + "04" + "03000a61" + "62")), Verdict.End.PROTOCOL, Reference5.PROPERTY_LENGTH, 0);
        // non-minimal property length: MAY close, else delivered
        Verdict v = judge(pkt("30", "000161" + "8000" + "78"));
        ends(v, Verdict.End.EOF, null, 1);
        assertEquals(List.of(Reference.LENGTH_NON_MINIMAL), mayRules(v));
    }

    @Test
    void propertyIdentifierRules() {
        // undefined id 0x04
        ends(judge(pkt("30", "000161" + "03" + "040000")), Verdict.End.PROTOCOL, Reference5.PROPERTY_UNKNOWN, 0);
        // Reason String in PUBLISH
        ends(judge(pkt("30", "000161" + "04" + "1f000178")), Verdict.End.PROTOCOL, Reference5.PROPERTY_NOT_ALLOWED, 0);
        // Session Expiry Interval in PUBLISH
        ends(judge(pkt("30", "000161" + "05" + "1100000001")), Verdict.End.PROTOCOL, Reference5.PROPERTY_NOT_ALLOWED, 0);
        // Payload Format Indicator twice
        ends(judge(pkt("30", "000161" + "04" + "01000100")), Verdict.End.PROTOCOL, Reference5.PROPERTY_DUPLICATE, 0);
        // user property twice and subscription identifier twice are fine in PUBLISH
        Verdict v = judge(pkt("30", "000161" + "0a" + "2600000000" + "2600000000"));
        ends(v, Verdict.End.EOF, null, 1);
        v = judge(pkt("30", "000161" + "04" + "0b010b02"));
        ends(v, Verdict.End.EOF, null, 1);
        assertEquals("sid=[1, 2]", v.messages.get(0).props);
        // subscription identifier 0
        ends(judge(pkt("30", "000161" + "02" + "0b00")), Verdict.End.PROTOCOL, Reference5.SUBSCRIPTION_ID_ZERO, 0);
        // payload format indicator 2
        ends(judge(pkt("30", "000161" + "02" + "0102")), Verdict.End.PROTOCOL, Reference5.PROPERTY_VALUE, 0);
    }

    @Test
    void stringPropertiesAreWellFormedUtf8WithoutNul() {
        ends(judge(pkt("30", "000161" + "04" + "030001c0")), Verdict.End.PROTOCOL, Reference5.PROPERTY_UTF8, 0);
        ends(judge(pkt("30", "000161" + "04" + "03000100")), Verdict.End.PROTOCOL, Reference5.PROPERTY_UTF8, 0);
        ends(judge(pkt("30", "000161" + "07" + "26000161" + "0001ff")), Verdict.End.PROTOCOL, Reference5.PROPERTY_UTF8, 0);
        Verdict v = judge(pkt("30", "000161" + "04" + "03000101"));
        ends(v, Verdict.End.EOF, null, 1);
        assertEquals(List.of(Reference.TOPIC_DISCOURAGED), mayRules(v));
        // '+' and '#' are plain characters in a content type
        v = judge(pkt("30", "000161" + "04" + "0300012b"));
        ends(v, Verdict.End.EOF, null, 1);
    }

    @Test
    void topicAliases() {
        // alias 2 set with "ab", then used with an empty topic: both delivered as "ab"
        Verdict v = judge(pkt("30", "00026162" + "03" + "230002") + pkt("30", "0000" + "03" + "230002" + "78"));
        ends(v, Verdict.End.EOF, null, 2);
        assertArrayEquals("ab".getBytes(StandardCharsets.UTF_8), v.messages.get(1).topic);
        assertEquals("", v.messages.get(1).props);
        // alias 0, above the maximum (3), unknown, and an empty topic without alias
        ends(judge(pkt("30", "000161" + "03" + "230000")), Verdict.End.PROTOCOL, Reference5.TOPIC_ALIAS_INVALID, 0);
        ends(judge(pkt("30", "000161" + "03" + "230004")), Verdict.End.PROTOCOL, Reference5.TOPIC_ALIAS_INVALID, 0);
        ends(judge(pkt("30", "0000" + "03" + "230001")), Verdict.End.PROTOCOL, Reference5.TOPIC_ALIAS_UNKNOWN, 0);
        ends(judge(pkt("30", "0000" + "00")), Verdict.End.PROTOCOL, Reference.TOPIC_EMPTY, 0);
        // with a Topic Alias Maximum of 0 every alias is invalid
        v = Reference5.judge(Hex.parse(pkt("30", "000161" + "03" + "230001")), 0, Map.of(), 1, MAX, 0, 0);
        ends(v, Verdict.End.PROTOCOL, Reference5.TOPIC_ALIAS_INVALID, 0);
    }

    @Test
    void acksWithReasonCodesAndProperties() {
        Map<Integer, Integer> awaited = Map.of(1, Reference.PUBACK, 2, Reference.PUBACK, 3, Reference.PUBACK);
        // short form; code only (0x10 no matching subscribers); code and properties (0x80 with reason string)
        Verdict v = judge("40020001" + "4003000210" + pkt("40", "000380" + "05" + "1f00026e6f"), awaited);
        ends(v, Verdict.End.EOF, null, 0);
        assertEquals(3, v.completions.size());
        assertEquals(0x10, v.completions.get(1).code);
        assertEquals(0x80, v.completions.get(2).code);
        // PUBACK code 0x01 is not a PUBACK reason code
        ends(judge("4003000101", awaited), Verdict.End.PROTOCOL, Reference5.REASON_CODE, 0);
        // PUBCOMP 0x92 is fine (stray: MAY close), 0x10 is not
        v = judge("7003000992");
        ends(v, Verdict.End.EOF, null, 0);
        assertEquals(List.of(Reference.STRAY_ACK), mayRules(v));
        ends(judge("7003000910"), Verdict.End.PROTOCOL, Reference5.REASON_CODE, 0);
        // property not allowed in PUBACK, duplicate reason string, bytes after the properties
        ends(judge("4006000100020101", awaited), Verdict.End.PROTOCOL, Reference5.PROPERTY_NOT_ALLOWED, 0);
        ends(judge(pkt("40", "00010008" + "1f000161" + "1f000162"), awaited), Verdict.End.PROTOCOL,
                Reference5.PROPERTY_DUPLICATE, 0);
        ends(judge("40050001000007", awaited), Verdict.End.PROTOCOL, Reference.ACK_LENGTH, 0);
    }

    @Test
    void subackAndUnsuback() {
        Verdict v = judge("9004000100" + "01", Map.of(1, Reference.SUBACK));
        ends(v, Verdict.End.EOF, null, 0);
        assertEquals(1, v.completions.get(0).code);
        v = judge("9004000100" + "97", Map.of(1, Reference.SUBACK)); // quota exceeded: refused
        assertEquals(0x97, v.completions.get(0).code);
        ends(judge("9004000100" + "03", Map.of(1, Reference.SUBACK)), Verdict.End.PROTOCOL,
                Reference.SUBACK_RETURN_CODE, 0);
        ends(judge("9005000100" + "0000", Map.of(1, Reference.SUBACK)), Verdict.End.PROTOCOL, Reference.ACK_LENGTH, 0);
        ends(judge("90030001" + "00", Map.of(1, Reference.SUBACK)), Verdict.End.PROTOCOL, Reference.ACK_LENGTH, 0);
        v = judge("b004000100" + "11", Map.of(1, Reference.UNSUBACK)); // no subscription existed: success
        assertEquals(0x11, v.completions.get(0).code);
        ends(judge("b004000100" + "01", Map.of(1, Reference.UNSUBACK)), Verdict.End.PROTOCOL, Reference5.REASON_CODE,
                0);
        // a 3.1.1 UNSUBACK (no properties, no codes) is malformed in MQTT 5
        ends(judge("b0020001", Map.of(1, Reference.UNSUBACK)), Verdict.End.PROTOCOL, Reference.ACK_LENGTH, 0);
    }

    @Test
    void serverDisconnect() {
        Verdict v = judge(pkt("30", "000161" + "00") + "e000" + pkt("30", "000162" + "00"));
        ends(v, Verdict.End.DISCONNECTED, null, 1);
        assertEquals(0, v.full.code);
        v = judge("e0018b");
        ends(v, Verdict.End.DISCONNECTED, null, 0);
        assertEquals(0x8B, v.full.code);
        v = judge(pkt("e0", "9c" + "06" + "1c0003683a31"));
        assertEquals(Verdict.End.DISCONNECTED, v.full.end, v::toString);
        assertEquals(0x9C, v.full.code);
        // 0x04 (with will) is the client's code only; Session Expiry Interval is the client's property only
        ends(judge("e00104"), Verdict.End.PROTOCOL, Reference5.REASON_CODE, 0);
        ends(judge(pkt("e0", "80" + "05" + "110000000a")), Verdict.End.PROTOCOL, Reference5.DISCONNECT_SESSION_EXPIRY, 0);
        ends(judge("e200"), Verdict.End.PROTOCOL, Reference.RESERVED_FLAGS, 0);
    }

    @Test
    void headerRules() {
        ends(judge("f000"), Verdict.End.PROTOCOL, Reference5.AUTH_UNEXPECTED, 0);
        ends(judge("f0"), Verdict.End.EITHER, Reference5.AUTH_UNEXPECTED, 0);
        ends(judge("c000"), Verdict.End.PROTOCOL, Reference.CLIENT_ONLY_TYPE, 0);
        ends(judge("0000"), Verdict.End.PROTOCOL, Reference.RESERVED_TYPE, 0);
        ends(judge("20030000" + "00"), Verdict.End.PROTOCOL, Reference.SECOND_CONNACK, 0);
        ends(judge(pkt("38", "000161" + "00")), Verdict.End.PROTOCOL, Reference.DUP_QOS0, 0);
        // Maximum Packet Size counts the whole packet: 10 bytes allowed, a 2 + 9 byte PUBLISH is too large
        Verdict v = Reference5.judge(Hex.parse(pkt("30", "000161" + "00" + "6162636465")), 0, Map.of(), 1, 10, 0, 0);
        ends(v, Verdict.End.PROTOCOL, Reference.TOO_LARGE, 0);
        v = Reference5.judge(Hex.parse(pkt("30", "000161" + "00" + "61626364")), 0, Map.of(), 1, 10, 0, 0);
        ends(v, Verdict.End.EOF, null, 1);
    }

    @Test
    void generatedStreamsAreReproducibleAndReachEveryRule() throws IllegalAccessException {
        Set<String> reached = new TreeSet<>();
        for (long i = 0; i < 60_000; i++) {
            Case c = Generator5.generate(1, i);
            assertEquals(5, c.version);
            Verdict v = c.judge();
            if (v.full.rule != null) {
                reached.add(v.full.rule);
            }
            for (Verdict.Outcome o : v.mayStops) {
                reached.add(o.rule);
            }
            if (i < 200) {
                Case again = Case.decode(c.encode());
                assertEquals(c.encode(), again.encode());
                assertEquals(Generator5.generate(1, i).encode(), c.encode());
            }
        }
        List<String> missing = new ArrayList<>();
        for (Class<?> k : List.of(Reference.class, Reference5.class)) {
            for (Field f : k.getDeclaredFields()) {
                if (f.getType() == String.class && Modifier.isStatic(f.getModifiers())) {
                    String rule = (String) f.get(null);
                    if (!reached.contains(rule)) {
                        missing.add(rule);
                    }
                }
            }
        }
        assertTrue(missing.isEmpty(), "rules the MQTT 5 streams never reach: " + missing + " (reached " + reached + ")");
    }
}
