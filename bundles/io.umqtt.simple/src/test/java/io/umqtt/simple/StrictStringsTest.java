package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.ScriptedBroker.Peer;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;

/**
 * MQTT 3.1.1's string rules at the client's edges (issue 11, defects 5, 6, 7 and 15), against a
 * scripted broker: what a broker sends that breaks them closes the connection, is delivered to
 * nobody and acknowledged to nobody; what a caller gives that breaks them is refused with an
 * {@link IllegalArgumentException} naming the argument before anything reaches the socket.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StrictStringsTest {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private MqttClient client;
    private Peer peer;
    private final BlockingQueue<String> received = new ArrayBlockingQueue<>(100);

    @BeforeEach
    void setUp() throws IOException {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (client != null) {
            client.close();
        }
        if (peer != null) {
            peer.close();
        }
        broker.close();
        pool.shutdownNow();
    }

    private void connect() throws Exception {
        client = new MqttClient("strict", "127.0.0.1", broker.port());
        client.setCallback((topic, msg, retain, dup, qos) -> received.add(HexFormat.of().formatHex(topic) + "="
                + new String(msg, StandardCharsets.UTF_8) + " q" + qos + (dup ? " d" : "")));
        Future<Boolean> connected = pool.submit(() -> client.connect(true));
        peer = broker.accept();
        peer.acceptConnect();
        assertFalse(connected.get(10, TimeUnit.SECONDS));
    }

    private <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }

    /** A PUBLISH with the given flags, raw topic bytes and payload "m"; packet id 7 at QoS 1. */
    private static byte[] publish(int qos, boolean dup, byte[] topic) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int rem = 2 + topic.length + (qos > 0 ? 2 : 0) + 1;
        b.write(0x30 | (dup ? 0x08 : 0) | qos << 1);
        b.write(rem); // the tests' packets stay below 128 bytes
        b.write(topic.length >> 8);
        b.write(topic.length);
        b.writeBytes(topic);
        if (qos > 0) {
            b.write(0);
            b.write(7);
        }
        b.write('m');
        return b.toByteArray();
    }

    private static byte[] hex(String hex) {
        return HexFormat.ofDelimiter(" ").parseHex(hex.trim());
    }

    /** Every byte the client writes until it closes the connection (at most 10 s). */
    private byte[] readUntilClosed() throws IOException {
        peer.setReadTimeout(10_000);
        InputStream in = peer.socket.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[256];
        try {
            for (int n; (n = in.read(buf)) >= 0;) {
                all.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the client did not close the connection; it wrote "
                    + HexFormat.of().formatHex(all.toByteArray()), e);
        } catch (IOException reset) {
            // closed by a reset: what came before counts
        }
        return all.toByteArray();
    }

    // ------------------------------------------------------------------ inbound (defect 5)

    @Nested
    class Inbound {
        /**
         * A few invalid topics end to end; every one the decoder refuses is in the byte-level
         * {@code io.umqtt.simple.internal.codec.PublishDecoderTest}.
         */
        @ParameterizedTest(name = "{0}")
        @CsvSource(delimiter = '|', value = {
            "'+' in a level            | 1 | 61 2F 2B             | topic must not contain wildcards, found '+' at byte 2 in 'a/+'",
            "overlong '/' C0 AF        | 1 | 61 C0 AF 62          | overlong 2-byte encoding (lead byte 0xC0) at byte 1 (C0 AF 62)",
            "encoded surrogate U+D800  | 1 | 61 ED A0 80          | encoded surrogate U+D800"})
        void anInvalidTopicClosesTheConnectionAndIsNeitherDeliveredNorAcknowledged(String name, int qos, String topic,
                String message) throws Exception {
            connect();
            peer.write(publish(qos, false, hex(topic)));
            MqttException e = assertThrows(MqttException.class, () -> within(pool.submit(client::waitMsg)));
            assertEquals(Reason.PROTOCOL_ERROR, e.reason());
            assertTrue(e.getMessage().startsWith("PUBLISH from 127.0.0.1:" + broker.port() + " with an invalid topic "
                    + "name: "), e.getMessage());
            assertTrue(e.getMessage().contains(message), e.getMessage());
            assertEquals(ConnectionState.LOST, client.state());
            assertEquals(e, client.failure());
            assertArrayEquals(new byte[0], readUntilClosed(), "no PUBACK, nothing at all: the client just closes");
            assertTrue(received.isEmpty(), () -> "delivered: " + received);
        }

        @ParameterizedTest(name = "retain {0}")
        @CsvSource({"false", "true"})
        void dupAtQos0ClosesTheConnection(boolean retain) throws Exception {
            connect();
            byte[] packet = publish(0, true, "a/b".getBytes(StandardCharsets.UTF_8));
            packet[0] |= retain ? 0x01 : 0;
            peer.write(packet);
            MqttException e = assertThrows(MqttException.class, () -> within(pool.submit(client::waitMsg)));
            assertEquals(Reason.PROTOCOL_ERROR, e.reason());
            assertEquals("PUBLISH from 127.0.0.1:" + broker.port() + " at QoS 0 with the DUP flag set: DUP must be 0 "
                    + "at QoS 0 (MQTT-3.3.1-2)", e.getMessage());
            assertEquals(ConnectionState.LOST, client.state());
            assertArrayEquals(new byte[0], readUntilClosed());
            assertTrue(received.isEmpty(), () -> "delivered: " + received);
        }

        @Test
        void anEmptyTopicClosesTheConnectionWithoutPuback() throws Exception {
            connect();
            peer.write(publish(1, false, new byte[0]));
            MqttException e = assertThrows(MqttException.class, () -> within(pool.submit(client::waitMsg)));
            assertEquals(Reason.PROTOCOL_ERROR, e.reason());
            assertTrue(e.getMessage().contains("empty topic name"), e.getMessage());
            assertArrayEquals(new byte[0], readUntilClosed());
            assertTrue(received.isEmpty());
        }

        @Test
        void checkMsgAndLoopRefuseAnInvalidTopicToo() throws Exception {
            connect();
            peer.write(publish(1, false, hex("61 2F 23")));
            // checkMsg polls: wait until the packet is there and processed
            MqttException e = assertThrows(MqttException.class, () -> within(pool.submit(() -> {
                while (client.checkMsg() == PacketType.NONE) {
                    Thread.onSpinWait();
                }
                return null;
            })));
            assertEquals(Reason.PROTOCOL_ERROR, e.reason());
            assertArrayEquals(new byte[0], readUntilClosed());
            assertTrue(received.isEmpty());
        }

        @Test
        void aValidMessageBeforeTheInvalidOneIsDeliveredAndAcknowledged() throws Exception {
            connect();
            peer.write(publish(1, false, "ok".getBytes(StandardCharsets.UTF_8)), publish(1, false, hex("6F 6B C0 80")));
            IOException e = assertThrows(IOException.class, () -> within(pool.submit(() -> {
                client.loop();
                return null;
            })));
            assertTrue(e.getMessage().contains("overlong 2-byte encoding"), e.getMessage());
            assertEquals("6f6b=m q1", received.poll());
            assertArrayEquals(bytes(0x40, 0x02, 0x00, 0x07), readUntilClosed(), "only the valid message's PUBACK");
            assertTrue(received.isEmpty());
        }

        @Test
        void anInvalidTopicReadWhileACallbackWaitsForItsPubackIsNotDeferredButFailsTheConnection() throws Exception {
            connect();
            BlockingQueue<IOException> callbackFailures = new ArrayBlockingQueue<>(1);
            client.setCallback((topic, msg, retain, dup, qos) -> {
                received.add(new String(topic, StandardCharsets.UTF_8));
                try {
                    client.publish("echo", "x", false, 1); // reads on until its PUBACK: meets the bad PUBLISH
                } catch (IOException e) {
                    callbackFailures.add(e);
                }
            });
            peer.write(publish(0, false, "ok".getBytes(StandardCharsets.UTF_8)));
            Future<PacketType> step = pool.submit(client::waitMsg);
            byte[] echo = peer.readPacket();
            assertEquals(0x32, echo[0] & 0xFF, "the callback's QoS 1 PUBLISH");
            peer.write(publish(1, false, hex("65 2F ED A0 80")));
            assertEquals(PacketType.PUBLISH, within(step));
            IOException e = callbackFailures.poll(10, TimeUnit.SECONDS);
            assertTrue(e != null && e.getMessage().contains("with an invalid topic name: topic is not well-formed UTF-8: "
                    + "encoded surrogate U+D800"), String.valueOf(e));
            assertEquals("ok", received.poll());
            assertTrue(received.isEmpty(), () -> "delivered: " + received);
            assertArrayEquals(new byte[0], readUntilClosed(), "no PUBACK for the bad PUBLISH");
            assertEquals(ConnectionState.LOST, client.state());
        }

        @Test
        void wellFormedUnusualTopicsAreDeliveredByteForByte() throws Exception {
            connect();
            byte[][] topics = {
                hex("EF BB BF 61"),                 // U+FEFF first: kept, never skipped (MQTT-1.5.3-3)
                hex("61 2F EF BB BF 2F 62"),        // U+FEFF inside
                hex("01 1F 7F C2 80 C2 9F"),        // control characters (MAY be refused: accepted)
                hex("EF BF BF 2F EF B7 90"),        // non-characters U+FFFF, U+FDD0 (accepted)
                hex("F0 9F 98 80 2F F4 8F BF BF"),  // U+1F600 and U+10FFFF
                hex("63 61 66 C3 A9 2F E2 82 AC"),  // café/€
                hex("24 53 59 53 2F 61"),           // $SYS/a
                hex("2F 2F")};                      // "//": empty levels
            for (byte[] t : topics) {
                peer.write(publish(1, false, t));
                assertEquals(PacketType.PUBLISH, within(pool.submit(client::waitMsg)));
                assertEquals(HexFormat.of().formatHex(t) + "=m q1", received.poll());
                assertArrayEquals(bytes(0x40, 0x02, 0x00, 0x07), peer.readPacket());
            }
            assertTrue(client.isConnected());
        }
    }

    // ------------------------------------------------------------------ outbound (defect 6)

    @Nested
    class Outbound {
        /** Asserts the call throws IllegalArgumentException with {@code message} in it. */
        private void refused(String message, Executable call) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
            assertTrue(e.getMessage().contains(message), e.getMessage());
        }

        /** Nothing was written: the next packet the broker reads is the marker publish sent now. */
        private void nothingWasWritten() throws Exception {
            client.publish("marker", "x", false, 0);
            byte[] next = peer.readPacket();
            assertArrayEquals(bytes(0x30, 0x09, 0x00, 0x06, 'm', 'a', 'r', 'k', 'e', 'r', 'x'), next,
                    HexFormat.of().formatHex(next));
            assertTrue(client.isConnected());
        }

        @Test
        void topicsWithALoneSurrogateAreRefusedNotSentAsQuestionMarks() throws Exception {
            connect();
            String loneHigh = "a/\uD800x";
            String expected = "topic: lone surrogate U+D800 at index 2";
            refused(expected, () -> client.publish(loneHigh, "m", false, 0));
            refused(expected, () -> client.publish(loneHigh, "m", false, 1));
            refused(expected, () -> client.publish(loneHigh, new byte[0], false, 0));
            refused(expected, () -> client.publishAsync(loneHigh, "m", false, 1));
            refused("topic: lone surrogate U+DC00 at index 0", () -> client.publish("\uDC00", "m", false, 0));
            refused("topic: lone surrogate U+D83D at index 3", () -> client.publish("end\uD83D", "m", false, 0));
            refused("msg: lone surrogate U+DFFF at index 1", () -> client.publish("t", "m\uDFFF", false, 0));
            nothingWasWritten();
        }

        @ParameterizedTest(name = "{0}")
        @CsvSource(delimiter = '|', value = {
            "overlong         | 61 2F C0 AF   | topic is not well-formed UTF-8: overlong 2-byte encoding (lead byte 0xC0) at byte 2 (C0 AF)",
            "surrogate        | ED A0 80      | topic is not well-formed UTF-8: encoded surrogate U+D800",
            "truncated        | 61 E2 82      | topic is not well-formed UTF-8: truncated 3-byte sequence",
            "above U+10FFFF   | F4 90 80 80   | code point above U+10FFFF",
            "lone continuation| 80            | unexpected continuation byte 0x80",
            "byte FF          | 61 FF         | byte 0xFF never occurs in UTF-8",
            "U+0000           | 61 00         | topic must not contain U+0000",
            "wildcard         | 61 2F 2B      | topic must not contain wildcards"})
        void byteTopicsThatAreNotValidTopicNamesAreRefused(String name, String topic, String message) throws Exception {
            connect();
            byte[] t = hex(topic);
            refused(message, () -> client.publish(t, new byte[0], false, 0));
            refused(message, () -> client.publish(t, new byte[0], false, 1));
            refused(message, () -> client.publishAsync(t, new byte[0], false, 0));
            refused(message, () -> client.publishAsync(t, new byte[0], false, 1));
            refused(message, () -> client.setLastWill(t, new byte[0], false, 0));
            nothingWasWritten();
        }

        @Test
        void filtersAreCheckedAsUtf8AndAsFilters() throws Exception {
            connect();
            refused("filter is not well-formed UTF-8: ill-formed sequence at byte 2 (C0 AF)",
                    () -> client.subscribe(hex("61 2F C0 AF"), 0));
            refused("filter is not well-formed UTF-8: ill-formed sequence at byte 0 (ED A0 80 2F)",
                    () -> client.subscribe(hex("ED A0 80 2F 23"), 1));
            refused("filter is not well-formed UTF-8", () -> client.subscribe(hex("61 2F E2 82"), 0));
            refused("filter is not well-formed UTF-8", () -> client.unsubscribe(hex("61 2F FF")));
            refused("'#' is allowed only as the last level", () -> client.subscribe(hex("61 2F 23 2F 62"), 0));
            refused("must occupy a whole level", () -> client.subscribe(hex("61 2B"), 0));
            refused("must not contain U+0000", () -> client.subscribe(hex("61 00"), 0));
            refused("lone surrogate U+D800 at index 2", () -> client.subscribe("a/\uD800/#", 0));
            refused("lone surrogate U+DC00 at index 0", () -> client.unsubscribe("\uDC00"));
            refused("filter must not be null", () -> client.subscribe((byte[]) null, 0));
            nothingWasWritten();
        }

        @Test
        void aByteFilterIsSubscribedAsItWasGiven() throws Exception {
            connect();
            byte[] filter = hex("EF BB BF 63 61 66 C3 A9 2F 2B 2F F0 9F 98 80 2F 23"); // U+FEFF café/+/😀/#
            Future<Integer> subscribing = pool.submit(() -> client.subscribe(filter, 1));
            byte[] subscribe = peer.readPacket();
            byte[] sent = java.util.Arrays.copyOfRange(subscribe, 6, 6 + filter.length);
            assertArrayEquals(filter, sent, HexFormat.of().formatHex(subscribe));
            peer.write(bytes(0x90, 0x03, subscribe[2], subscribe[3], 0x01));
            assertEquals(1, within(subscribing));
        }

        @Test
        void willTopicsAndConnectStringsAreChecked() {
            refused("topic: lone surrogate U+D800 at index 1",
                    () -> new MqttClient("c", "h").setLastWill("w\uD800", "m", false, 0));
            refused("msg: lone surrogate U+DBFF at index 0",
                    () -> new MqttClient("c", "h").setLastWill("w", "\uDBFF", false, 0));
            refused("clientId: lone surrogate U+DC01 at index 2", () -> new MqttClient("id\uDC01", "h"));
            refused("clientId must not contain U+0000 (MQTT-1.5.3-2), found at index 1", () -> new MqttClient("a\u0000", "h"));
            refused("clientId must not be null", () -> new MqttClient(null, "h"));
            refused("clientId is 65536 bytes long", () -> new MqttClient("x".repeat(65_536), "h"));
            refused("user: lone surrogate U+D801 at index 3",
                    () -> new MqttClient("c", "h", 0, "usr\uD801", (String) null, 0, null));
            refused("user must not contain U+0000",
                    () -> new MqttClient("c", "h", 0, "u\u0000", (String) null, 0, null));
            refused("user is 65536 bytes long",
                    () -> new MqttClient("c", "h", 0, "u".repeat(65_536), (String) null, 0, null));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new MqttClient("c", "h", 0, "u", "s3cr\uD800t", 0, null));
            assertTrue(e.getMessage().startsWith("password: lone surrogate U+D800 at index 4"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cr"), "the password is not shown");
            refused("password is 65536 bytes long",
                    () -> new MqttClient("c", "h", 0, "u", new byte[65_536], 0, null));
            // what is valid stays valid: pairs, U+FEFF, non-ASCII, controls in a password
            new MqttClient("\uFEFFcaf\u00E9-\uD83D\uDE00", "h", 0, "\u00FCser", "p\u0001\uFFFF", 0, null)
                    .setLastWill("w/\uFEFF/\uD83D\uDE00", "\u00E9", false, 1);
        }

        @Test
        void aValidQos0PublishWithAByteTopicAllocatesNothingOnThePublishingThread() throws Exception {
            java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
            if (!(bean instanceof com.sun.management.ThreadMXBean)) {
                return; // not measurable on this JVM; HotSpot, which the build uses, measures it
            }
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
            connect();
            Future<Long> drained = pool.submit(() -> {
                long n = 0;
                byte[] buf = new byte[65_536];
                InputStream in = peer.socket.getInputStream();
                for (int r; (r = in.read(buf)) >= 0;) {
                    n += r;
                }
                return n;
            });
            byte[] topic = "capteurs/cuisine/t\u00E9mp\u00E9rature/\uFEFF".getBytes(StandardCharsets.UTF_8);
            byte[] payload = new byte[32];
            long me = Thread.currentThread().getId();
            for (int i = 0; i < 20_000; i++) {
                client.publish(topic, payload, false, 0);
            }
            long before = mx.getThreadAllocatedBytes(me);
            int count = 50_000;
            for (int i = 0; i < count; i++) {
                client.publish(topic, payload, false, 0);
            }
            long allocated = mx.getThreadAllocatedBytes(me) - before;
            client.disconnect();
            int rem = 2 + topic.length + payload.length;
            assertTrue(rem < 128, "one byte of remaining length");
            assertEquals(70_000L * (2 + rem) + 2, (long) within(drained), "every PUBLISH and the DISCONNECT arrived");
            // one small object per publish would be 800 KB; the measurement itself allocates a little
            assertTrue(allocated < 64 * 1024, allocated + " bytes allocated by " + count + " QoS 0 publishes");
        }
    }

    // ------------------------------------------------------------------ connect (defects 7, 15)

    @Nested
    class Connect {
        @Test
        void anEmptyClientIdWithoutCleanSessionIsRefusedBeforeAnythingIsSent() throws Exception {
            client = new MqttClient("", "127.0.0.1", broker.port());
            client.setConnectTimeout(2_000);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.connect(false));
            assertEquals("cannot connect to 127.0.0.1:" + broker.port() + " without clean session: the client id is "
                    + "empty, and MQTT 3.1.1 allows an empty client id only with clean session (MQTT-3.1.3-7); give "
                    + "the client an id to keep a session", e.getMessage());
            assertEquals(ConnectionState.CLOSED, client.state());
            // nothing reached the broker: the next connection it accepts is the clean one below
            Future<Boolean> clean = pool.submit(() -> client.connect(true));
            peer = broker.accept();
            byte[] connect = peer.acceptConnect();
            assertEquals(0x02, connect[9], "clean session");
            assertEquals(0, connect[12] << 8 | connect[13], "empty client id");
            assertFalse(within(clean));
        }

        @ParameterizedTest(name = "return code {0}")
        @CsvSource({"6", "127", "255"})
        void aReservedConnackReturnCodeIsReportedAsItCame(int code) throws Exception {
            client = new MqttClient("c", "127.0.0.1", broker.port());
            Future<Boolean> connecting = pool.submit(() -> client.connect(true));
            peer = broker.accept();
            peer.readPacket();
            peer.write(ScriptedBroker.connack(0, code));
            MqttException e = assertThrows(MqttException.class, () -> within(connecting));
            assertEquals(Reason.CONNECTION_REFUSED, e.reason());
            assertEquals(code, e.returnCode());
            assertEquals("broker 127.0.0.1:" + broker.port() + " refused the connection: unknown return code " + code
                    + " (CONNACK return code " + code + ")", e.getMessage());
            assertEquals("unknown return code " + code, MqttException.connackReturnCodeName(code));
        }
    }

    // ------------------------------------------------------------------ a real broker

    @Test
    void unusualValidTopicsRoundTripThroughMosquitto() throws Exception {
        try (MosquittoBroker mosquitto = MosquittoBroker.start()) {
            // no control characters or non-characters: mosquitto 2.0.11 closes the connection for
            // them, as MQTT 3.1.1 allows a receiver to (see docs/strict-strings.md)
            String base = "strict/\uFEFF/caf\u00E9/\u20AC/\uD83D\uDE00/\uFEFFx";
            MqttClient sub = new MqttClient("strict-sub", mosquitto.host(), mosquitto.port());
            try (ReceivingClient receiver = ReceivingClient.connect(sub, true)) {
                assertEquals(1, sub.subscribe(base + "/+", 1));
                MqttClient pub = new MqttClient("strict-pub", mosquitto.host(), mosquitto.port());
                pub.connect(true);
                try {
                    pub.publish(base + "/t", "1", false, 1);
                    pub.publish((base + "/\uFEFF").getBytes(StandardCharsets.UTF_8), "2".getBytes(StandardCharsets.UTF_8),
                            false, 1);
                } finally {
                    pub.disconnect();
                }
                ReceivingClient.Message first = receiver.next();
                assertArrayEquals((base + "/t").getBytes(StandardCharsets.UTF_8), first.topic());
                assertEquals("1", first.payloadString());
                ReceivingClient.Message second = receiver.next();
                assertArrayEquals((base + "/\uFEFF").getBytes(StandardCharsets.UTF_8), second.topic(),
                        "U+FEFF arrives as it was sent: neither stripped nor skipped");
                assertEquals("2", second.payloadString());
            }
        }
    }
}
