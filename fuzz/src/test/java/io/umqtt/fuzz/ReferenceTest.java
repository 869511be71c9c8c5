package io.umqtt.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The reference parser against hand-made streams, each rule once, from the MQTT 3.1.1 text. */
class ReferenceTest {
    private static final int MAX = 1000;

    private static Verdict judge(String hex) {
        return judge(hex, Map.of());
    }

    private static Verdict judge(String hex, Map<Integer, Integer> awaited) {
        return Reference.judge(Hex.parse(hex), 0, awaited, 1, MAX);
    }

    private static void ends(Verdict v, Verdict.End end, String rule, int messages) {
        assertEquals(end, v.full.end, v::toString);
        assertEquals(rule, v.full.rule, v::toString);
        assertEquals(messages, v.full.messages, v::toString);
    }

    private static List<String> mayRules(Verdict v) {
        List<String> rules = new ArrayList<>();
        for (Verdict.Outcome o : v.mayStops) {
            rules.add(o.rule);
        }
        return rules;
    }

    @Test
    void emptyStreamEndsCleanly() {
        ends(judge(""), Verdict.End.EOF, null, 0);
    }

    @Test
    void deliversQos0AndQos1WithTheirFlags() {
        // PUBLISH QoS 0 retain "a/b" payload "hi"; PUBLISH QoS 1 DUP id 7 "t" payload "x"
        Verdict v = judge("3107" + "0003612f62" + "6869" + "3a06" + "000174" + "0007" + "78");
        ends(v, Verdict.End.EOF, null, 2);
        Message m0 = v.messages.get(0);
        assertArrayEquals("a/b".getBytes(StandardCharsets.UTF_8), m0.topic);
        assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), m0.payload);
        assertEquals(0, m0.qos);
        assertEquals(true, m0.retain);
        Message m1 = v.messages.get(1);
        assertEquals(1, m1.qos);
        assertEquals(true, m1.dup);
        assertEquals(7, m1.packetId);
        assertArrayEquals(new byte[] {'x'}, m1.payload);
    }

    @Test
    void aTruncatedPacketIsEndOfStreamAfterTheMessagesBeforeIt() {
        ends(judge("3003000161" + "3005000161"), Verdict.End.EOF, null, 1);
        ends(judge("30"), Verdict.End.EOF, null, 0);
        ends(judge("3080"), Verdict.End.EOF, null, 0);
    }

    @Test
    void topicRulesOfSection1_5_3And3_3_2() {
        ends(judge("3003000161" + "300400022b61"), Verdict.End.PROTOCOL, Reference.TOPIC_WILDCARD, 1);
        ends(judge("3003000123"), Verdict.End.PROTOCOL, Reference.TOPIC_WILDCARD, 0);
        ends(judge("300400026100"), Verdict.End.PROTOCOL, Reference.TOPIC_NUL, 0);
        ends(judge("30040002c080"), Verdict.End.PROTOCOL, Reference.TOPIC_UTF8, 0); // overlong U+0000
        ends(judge("30050003eda080"), Verdict.End.PROTOCOL, Reference.TOPIC_UTF8, 0); // surrogate U+D800
        ends(judge("30060004f4908080"), Verdict.End.PROTOCOL, Reference.TOPIC_UTF8, 0); // above U+10FFFF
        ends(judge("30040002e282"), Verdict.End.PROTOCOL, Reference.TOPIC_UTF8, 0); // truncated sequence
        ends(judge("300200" + "00"), Verdict.End.PROTOCOL, Reference.TOPIC_EMPTY, 0);
        ends(judge("30060004f09d849e"), Verdict.End.EOF, null, 1); // U+1D11E is fine
        Verdict bom = judge("30050003efbbbf");
        ends(bom, Verdict.End.EOF, null, 1); // U+FEFF is delivered as it is [MQTT-1.5.3-3]
        assertArrayEquals(Hex.parse("efbbbf"), bom.messages.get(0).topic);
        Verdict control = judge("300400026101");
        ends(control, Verdict.End.EOF, null, 1);
        assertEquals(List.of(Reference.TOPIC_DISCOURAGED), mayRules(control));
        assertEquals(List.of(Reference.TOPIC_DISCOURAGED), mayRules(judge("30050003efbfbf")));
    }

    @Test
    void publishFlagsAndPacketId() {
        ends(judge("3803000161"), Verdict.End.PROTOCOL, Reference.DUP_QOS0, 0);
        ends(judge("38"), Verdict.End.EITHER, Reference.DUP_QOS0, 0);
        ends(judge("3605000161" + "0001"), Verdict.End.PROTOCOL, Reference.QOS3, 0);
        Verdict qos2 = judge("3405000161" + "0001");
        ends(qos2, Verdict.End.EOF, null, 1); // delivered; a client subscribed at QoS <= 1 may close instead
        assertEquals(List.of(Reference.QOS2_PUBLISH), mayRules(qos2));
        ends(judge("3405000161" + "0000"), Verdict.End.PROTOCOL, Reference.PACKET_ID_ZERO, 0);
        ends(judge("3205000161" + "0000"), Verdict.End.PROTOCOL, Reference.PACKET_ID_ZERO, 0);
        ends(judge("3203000161"), Verdict.End.PROTOCOL, Reference.PUBLISH_MALFORMED, 0); // no room for the id
        ends(judge("3003000561"), Verdict.End.PROTOCOL, Reference.PUBLISH_MALFORMED, 0); // topic longer than packet
        ends(judge("300100"), Verdict.End.PROTOCOL, Reference.PUBLISH_MALFORMED, 0);
    }

    @Test
    void packetTypesAClientNeverReceives() {
        ends(judge("1000"), Verdict.End.PROTOCOL, Reference.CLIENT_ONLY_TYPE, 0);
        ends(judge("8205"), Verdict.End.EITHER, Reference.CLIENT_ONLY_TYPE, 0);
        ends(judge("c000"), Verdict.End.PROTOCOL, Reference.CLIENT_ONLY_TYPE, 0);
        ends(judge("e000"), Verdict.End.PROTOCOL, Reference.CLIENT_ONLY_TYPE, 0);
        ends(judge("0000"), Verdict.End.PROTOCOL, Reference.RESERVED_TYPE, 0);
        ends(judge("f000"), Verdict.End.PROTOCOL, Reference.RESERVED_TYPE, 0);
        ends(judge("20020000"), Verdict.End.PROTOCOL, Reference.SECOND_CONNACK, 0);
    }

    @Test
    void qos2IsDeliveredOncePerPacketIdUntilItsPubrel() {
        // QoS 2 id 1 "a"; again with DUP (not delivered); PUBREL 1; QoS 2 id 1 "b" (a new message)
        Verdict v = judge("3406000161" + "0001" + "78" + "3c06000161" + "0001" + "78" + "62020001"
                + "3406000161" + "0001" + "79");
        ends(v, Verdict.End.EOF, null, 2);
        assertEquals(2, v.messages.get(0).qos);
        assertArrayEquals(Hex.parse("79"), v.messages.get(1).payload);
    }

    @Test
    void qos2AcksAreJudgedAsAcks() {
        ends(judge("62020001"), Verdict.End.EOF, null, 0); // PUBREL for any id: answered with PUBCOMP
        ends(judge("60020001"), Verdict.End.PROTOCOL, Reference.RESERVED_FLAGS, 0);
        ends(judge("52020001"), Verdict.End.PROTOCOL, Reference.RESERVED_FLAGS, 0);
        ends(judge("70030001" + "00"), Verdict.End.PROTOCOL, Reference.ACK_LENGTH, 0);
        ends(judge("62020000"), Verdict.End.PROTOCOL, Reference.PACKET_ID_ZERO, 0);
        ends(judge("50020000"), Verdict.End.PROTOCOL, Reference.PACKET_ID_ZERO, 0);
        Verdict stray = judge("50020001");
        ends(stray, Verdict.End.EOF, null, 0);
        assertEquals(List.of(Reference.STRAY_ACK), mayRules(stray));
        ends(judge("50020001", Map.of(1, Reference.PUBACK)), Verdict.End.PROTOCOL, Reference.ACK_TYPE_MISMATCH, 0);
        ends(judge("70020001", Map.of(1, Reference.SUBACK)), Verdict.End.PROTOCOL, Reference.ACK_TYPE_MISMATCH, 0);
    }

    @Test
    void remainingLength() {
        ends(judge("30ffffff7f"), Verdict.End.EITHER, Reference.TOO_LARGE, 0);
        ends(judge("3080808080"), Verdict.End.PROTOCOL, Reference.LENGTH_MALFORMED, 0);
        Verdict nonMinimal = judge("308300" + "000161");
        ends(nonMinimal, Verdict.End.EOF, null, 1);
        assertEquals(List.of(Reference.LENGTH_NON_MINIMAL), mayRules(nonMinimal));
        byte[] big = new byte[3 + 1001];
        big[0] = 0x30;
        big[1] = (byte) (1001 % 128 | 0x80);
        big[2] = (byte) (1001 / 128);
        big[4] = 1;
        big[5] = 'a';
        assertEquals(Reference.TOO_LARGE, Reference.judge(big, 0, Map.of(), 1, MAX).full.rule);
        assertEquals(Verdict.End.PROTOCOL, Reference.judge(big, 0, Map.of(), 1, MAX).full.end);
    }

    @Test
    void acksMatchTheClientsRequests() {
        Map<Integer, Integer> puback1 = Map.of(1, Reference.PUBACK);
        Verdict v = judge("40020001" + "40020001", puback1);
        ends(v, Verdict.End.EOF, null, 0);
        assertEquals(1, v.completions.size());
        assertEquals(List.of(Reference.STRAY_ACK), mayRules(v)); // the second is a stray ack
        ends(judge("41020001", puback1), Verdict.End.PROTOCOL, Reference.RESERVED_FLAGS, 0);
        ends(judge("4003000100", puback1), Verdict.End.PROTOCOL, Reference.ACK_LENGTH, 0);
        ends(judge("b0020001", puback1), Verdict.End.PROTOCOL, Reference.ACK_TYPE_MISMATCH, 0);
        ends(judge("9003000100", puback1), Verdict.End.PROTOCOL, Reference.ACK_TYPE_MISMATCH, 0);
    }

    @Test
    void subackReturnCodes() {
        Map<Integer, Integer> suback1 = Map.of(1, Reference.SUBACK);
        Verdict refused = judge("9003000180", suback1);
        assertEquals(0x80, refused.completions.get(0).code);
        assertEquals(List.of(), mayRules(refused));
        ends(judge("9003000103", suback1), Verdict.End.PROTOCOL, Reference.SUBACK_RETURN_CODE, 0);
        ends(judge("900400010001", suback1), Verdict.End.PROTOCOL, Reference.ACK_LENGTH, 0);
        ends(judge("90020001", suback1), Verdict.End.PROTOCOL, Reference.ACK_LENGTH, 0);
        assertEquals(List.of(Reference.GRANTED_ABOVE_REQUESTED), mayRules(judge("9003000102", suback1)));
        assertEquals(List.of(Reference.STRAY_ACK), mayRules(judge("900400090001", suback1)));
    }

    @Test
    void pingresp() {
        assertEquals(List.of(Reference.UNSOLICITED_PINGRESP), mayRules(judge("d000")));
        ends(judge("d00100"), Verdict.End.PROTOCOL, Reference.ACK_LENGTH, 0);
        ends(judge("d100"), Verdict.End.PROTOCOL, Reference.RESERVED_FLAGS, 0);
    }

    /** The well-formedness check agrees with the JDK's strict UTF-8 decoder (not the client's code). */
    @Test
    void utf8AgreesWithTheJdkDecoder() {
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < 50_000; i++) {
            byte[] b = new byte[1 + r.nextInt(6)];
            for (int j = 0; j < b.length; j++) {
                int pick = r.nextInt(4);
                b[j] = (byte) (pick == 0 ? r.nextInt(0x80) : pick == 1 ? 0x80 + r.nextInt(0x40) : 0xC0 + r.nextInt(0x40));
            }
            boolean jdk;
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
                jdk = true;
            } catch (CharacterCodingException e) {
                jdk = false;
            }
            boolean ours = Reference.Utf8.check(b, 0, b.length) != Reference.Utf8.ILL_FORMED;
            assertEquals(jdk, ours, () -> "well-formedness of " + Hex.of(b));
        }
    }

    @Test
    void casesAreReproducible() {
        for (long i = 0; i < 2000; i++) {
            Case c = Generator.generate(7, i);
            assertEquals(c.encode(), Generator.generate(7, i).encode());
            assertEquals(c.encode(), Case.decode(c.encode()).encode());
        }
    }

    @Test
    void theJudgeNamesWhatTheClientGotWrong() {
        Case c = Case.decode("op=none reader=wait max=1000 data=20020000" + "3003000161" + "3003000123");
        Verdict v = c.judge();
        Observed ok = new Observed();
        ok.delivered.add(v.messages.get(0));
        ok.end = Observed.PROTOCOL;
        assertNull(Judge.compare(c, v, ok));
        Observed accepted = new Observed();
        accepted.delivered.add(v.messages.get(0));
        accepted.delivered.add(new Message(new byte[] {'#'}, new byte[0], 0, false, false, 0));
        accepted.end = Observed.EOF;
        assertEquals("accepts:" + Reference.TOPIC_WILDCARD, Judge.compare(c, v, accepted).category);
        Observed early = new Observed();
        early.end = Observed.PROTOCOL;
        assertEquals("rejects-valid", Judge.compare(c, v, early).category);
    }
}
