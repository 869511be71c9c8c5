package io.umqtt.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The UTF-8 rules of MQTT strings (section 1.5.3): byte tables of well-formed and ill-formed
 * sequences through {@link TopicFilter#validateTopicName(byte[])}, the verdict compared with the
 * JDK's strict decoder over whole byte ranges, lone surrogates in filters and String topics, and
 * no allocation while checking a valid topic.
 */
class MqttUtf8Test {

    private static byte[] hex(String hex) {
        String[] parts = hex.trim().split("\\s+");
        byte[] b = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            b[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return b;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "ASCII                        | 61 2F 62",
        "2-byte lowest U+0080         | 61 C2 80",
        "2-byte highest U+07FF        | DF BF",
        "3-byte lowest U+0800         | E0 A0 80",
        "3-byte U+20AC euro           | E2 82 AC",
        "3-byte before surrogates     | ED 9F BF",
        "3-byte after surrogates      | EE 80 80",
        "U+FEFF (kept, never skipped) | EF BB BF 61",
        "U+FFFE non-character         | EF BF BE",
        "U+FFFF non-character         | EF BF BF",
        "U+FDD0 non-character         | EF B7 90",
        "4-byte lowest U+10000        | F0 90 80 80",
        "4-byte emoji U+1F600         | F0 9F 98 80",
        "4-byte highest U+10FFFF      | F4 8F BF BF",
        "control U+0001               | 01",
        "control U+001F               | 61 1F",
        "DEL U+007F                   | 7F",
        "C1 control U+0080..U+009F    | C2 80 C2 9F"})
    void wellFormedTopicsAreAccepted(String name, String bytes) {
        TopicFilter.validateTopicName(hex(bytes));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "lone continuation 80         | 61 80 62       | unexpected continuation byte 0x80 at byte 1 (80 62)",
        "lone continuation BF         | BF             | unexpected continuation byte 0xBF at byte 0",
        "overlong C0 80 (U+0000)      | C0 80          | overlong 2-byte encoding (lead byte 0xC0) at byte 0",
        "overlong C0 AF ('/')         | 61 C0 AF       | overlong 2-byte encoding (lead byte 0xC0) at byte 1",
        "overlong C1 BF               | C1 BF          | overlong 2-byte encoding (lead byte 0xC1)",
        "overlong 3-byte E0 80 AF     | E0 80 AF       | overlong 3-byte encoding at byte 0 (E0 80 AF)",
        "overlong 3-byte E0 9F BF     | E0 9F BF       | overlong 3-byte encoding",
        "overlong 4-byte F0 80 80 AF  | F0 80 80 AF    | overlong 4-byte encoding",
        "overlong 4-byte F0 8F BF BF  | F0 8F BF BF    | overlong 4-byte encoding",
        "surrogate U+D800             | 61 ED A0 80    | encoded surrogate U+D800 (surrogates are not characters) at byte 1",
        "surrogate U+DBFF             | ED AF BF       | encoded surrogate U+DBFF",
        "surrogate U+DC00             | ED B0 80       | encoded surrogate U+DC00",
        "surrogate U+DFFF             | ED BF BF       | encoded surrogate U+DFFF",
        "surrogate pair CESU-8        | ED A0 BD ED B8 80 | encoded surrogate U+D83D",
        "above U+10FFFF F4 90 80 80   | F4 90 80 80    | code point above U+10FFFF",
        "above U+10FFFF F4 BF BF BF   | F4 BF BF BF    | code point above U+10FFFF",
        "F5 lead                      | F5 80 80 80    | byte 0xF5 never occurs in UTF-8 (it would start a code point above U+10FFFF)",
        "F7 lead                      | F7 BF BF BF    | byte 0xF7 never occurs in UTF-8",
        "F8 lead                      | F8 88 80 80 80 | byte 0xF8 never occurs in UTF-8 at byte 0",
        "FE                           | FE             | byte 0xFE never occurs in UTF-8",
        "FF                           | 61 FF          | byte 0xFF never occurs in UTF-8 at byte 1",
        "truncated 2-byte at the end  | 61 C3          | truncated 2-byte sequence (the string ends after 1 of its bytes) at byte 1",
        "truncated 3-byte at the end  | E2 82          | truncated 3-byte sequence (the string ends after 2 of its bytes)",
        "truncated 4-byte at the end  | F0 9F 98       | truncated 4-byte sequence (the string ends after 3 of its bytes)",
        "3-byte cut by ASCII          | E2 82 61       | byte 0x61 where the 3-byte sequence needs a continuation byte",
        "2-byte cut by lead           | C3 C3 A9       | byte 0xC3 where the 2-byte sequence needs a continuation byte",
        "4-byte cut in its 4th byte   | F0 9F 98 2F    | byte 0x2F where the 4-byte sequence needs a continuation byte"})
    void illFormedTopicsAreRefusedNamingWhatAndWhere(String name, String bytes, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopicFilter.validateTopicName(hex(bytes)));
        assertTrue(e.getMessage().startsWith("topic is not well-formed UTF-8: "), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "empty             |             | topic must not be empty",
        "U+0000            | 61 00 62    | topic must not contain U+0000, found at byte 1",
        "'+'               | 61 2F 2B    | topic must not contain wildcards, found '+' at byte 2 in 'a/+'",
        "'#'               | 23          | topic must not contain wildcards, found '#' at byte 0",
        "'#' after UTF-8   | C3 A9 2F 23 | found '#' at byte 3"})
    void mqttRulesBeyondUtf8(String name, String bytes, String message) {
        byte[] topic = bytes == null ? new byte[0] : hex(bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopicFilter.validateTopicName(topic));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    // ------------------------------------------------------------------ against the JDK's decoder

    /** Whether the JDK's UTF-8 decoder, reporting every error, decodes {@code b} (it follows Unicode's table). */
    private static boolean jdkWellFormed(CharsetDecoder decoder, byte[] b) {
        decoder.reset();
        CharBuffer out = CharBuffer.allocate(8);
        return !decoder.decode(ByteBuffer.wrap(b), out, true).isError() && !decoder.flush(out).isError();
    }

    private static boolean wellFormed(byte[] b) {
        for (int i = 0; i < b.length;) {
            int length = MqttUtf8.sequenceLength(b, i, b.length);
            if (length == 0) {
                return false;
            }
            i += length;
        }
        return true;
    }

    private static CharsetDecoder strictDecoder() {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** Asserts the JDK and {@link MqttUtf8} agree on {@code b}; the message is made only on failure. */
    private static void agree(CharsetDecoder jdk, byte[] b) {
        boolean expected = jdkWellFormed(jdk, b);
        if (wellFormed(b) != expected) {
            throw new AssertionError("the JDK says " + (expected ? "well-formed" : "ill-formed") + ": "
                    + java.util.HexFormat.ofDelimiter(" ").formatHex(b));
        }
    }

    @Test
    void agreesWithTheJdkOnEveryOneAndTwoByteString() {
        CharsetDecoder jdk = strictDecoder();
        for (int a = 0; a < 256; a++) {
            byte[] one = {(byte) a};
            agree(jdk, one);
            for (int b = 0; b < 256; b++) {
                byte[] two = {(byte) a, (byte) b};
                agree(jdk, two);
            }
        }
    }

    @Test
    void agreesWithTheJdkOnThreeAndFourByteSequences() {
        CharsetDecoder jdk = strictDecoder();
        int[] tails = {0x00, 0x2F, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xFF};
        for (int lead = 0xC0; lead < 256; lead++) {
            for (int second = 0; second < 256; second++) {
                for (int third : tails) {
                    byte[] three = {(byte) lead, (byte) second, (byte) third};
                    agree(jdk, three);
                    for (int fourth : lead < 0xF0 ? new int[0] : new int[] {0x2F, 0x80, 0xBF, 0xC0}) {
                        byte[] four = {(byte) lead, (byte) second, (byte) third, (byte) fourth};
                        agree(jdk, four);
                    }
                }
            }
        }
    }

    @Test
    void everyCodePointIsAcceptedAsOneSequence() {
        byte[] b = new byte[4];
        for (int cp = 1; cp <= Character.MAX_CODE_POINT; cp++) {
            if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                continue;
            }
            int n = encode(cp, b);
            if (MqttUtf8.sequenceLength(b, 0, n) != n) {
                throw new AssertionError("U+" + Integer.toHexString(cp) + " refused");
            }
            if (cp % 251 == 0) { // the encoding above is the JDK's
                assertArrayEquals(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8),
                        java.util.Arrays.copyOf(b, n), Integer.toHexString(cp));
            }
        }
        TopicFilter.validateTopicName(new String(Character.toChars(0x10FFFF)).getBytes(StandardCharsets.UTF_8));
    }

    /** UTF-8 of {@code cp} into {@code b}; returns its length. */
    private static int encode(int cp, byte[] b) {
        if (cp < 0x80) {
            b[0] = (byte) cp;
            return 1;
        }
        if (cp < 0x800) {
            b[0] = (byte) (0xC0 | cp >> 6);
            b[1] = (byte) (0x80 | cp & 0x3F);
            return 2;
        }
        if (cp < 0x10000) {
            b[0] = (byte) (0xE0 | cp >> 12);
            b[1] = (byte) (0x80 | cp >> 6 & 0x3F);
            b[2] = (byte) (0x80 | cp & 0x3F);
            return 3;
        }
        b[0] = (byte) (0xF0 | cp >> 18);
        b[1] = (byte) (0x80 | cp >> 12 & 0x3F);
        b[2] = (byte) (0x80 | cp >> 6 & 0x3F);
        b[3] = (byte) (0x80 | cp & 0x3F);
        return 4;
    }

    // ------------------------------------------------------------------ Strings

    @Test
    void aFilterWithALoneSurrogateIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse("a/\uD800x"));
        assertTrue(e.getMessage().contains("lone surrogate U+D800 at index 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse("a/#\uDC00"));
        assertTrue(e.getMessage().contains("lone surrogate U+DC00 at index 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse("\uD83D"));
        assertTrue(e.getMessage().contains("lone surrogate U+D83D at index 0"), e.getMessage());
        // a pair is a character
        assertTrue(TopicFilter.parse("a/\uD83D\uDE00/+").matches("a/\uD83D\uDE00/b"));
        assertTrue(TopicFilter.parse("\uFEFFa").matches(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'a'}));
    }

    @Test
    void theStringPublishOfAConnectionRefusesALoneSurrogate() throws IOException {
        AtomicReference<byte[]> sent = new AtomicReference<>();
        MqttConnection c = new MqttConnection() {
            @Override
            public String name() {
                return "c";
            }

            @Override
            public ConnectionState state() {
                return ConnectionState.CONNECTED;
            }

            @Override
            public void publish(byte[] topic, byte[] payload, int qos, boolean retain) {
                sent.set(topic);
            }

            @Override
            public int subscribe(String filter, int qos, MessageListener listener) {
                return 0;
            }

            @Override
            public void unsubscribe(String filter) {
            }

            @Override
            public boolean unsubscribe(String filter, MessageListener listener) {
                return false;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.publish("a/\uD800x", new byte[0], 0, false));
        assertEquals("topic: lone surrogate U+D800 at index 2 (half of a UTF-16 pair without its other half: UTF-8 "
                + "cannot encode it)", e.getMessage());
        assertEquals(null, sent.get(), "nothing was published");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.publish((String) null, new byte[0], 0, false))
                .getMessage().contains("topic must not be null"));
        c.publish("a/\u00E9\uD83D\uDE00", new byte[0], 0, false);
        assertArrayEquals("a/\u00E9\uD83D\uDE00".getBytes(StandardCharsets.UTF_8), sent.get());
    }

    // ------------------------------------------------------------------ allocation

    @Test
    void checkingAValidTopicAllocatesNothing() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean)) {
            return; // not measurable on this JVM; HotSpot, which the build uses, measures it
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        long me = Thread.currentThread().getId();
        byte[] ascii = "sensors/kitchen/temperature".getBytes(StandardCharsets.UTF_8);
        byte[] mixed = "capteurs/cuisine/t\u00E9mp\u00E9rature/\u20AC/\uD83D\uDE00".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 20_000; i++) { // warm up the measurement itself too
            TopicFilter.validateTopicName(ascii);
            TopicFilter.validateTopicName(mixed);
        }
        long before = mx.getThreadAllocatedBytes(me);
        for (int i = 0; i < 100_000; i++) {
            TopicFilter.validateTopicName(ascii);
            TopicFilter.validateTopicName(mixed);
        }
        long allocated = mx.getThreadAllocatedBytes(me) - before;
        // the measurement allocates a few bytes itself; any per-call allocation would be megabytes
        assertTrue(allocated < 10_000, allocated + " bytes allocated by 200,000 checks");
    }
}
