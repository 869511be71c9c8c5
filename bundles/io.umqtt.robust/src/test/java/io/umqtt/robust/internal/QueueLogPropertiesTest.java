package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.CRC32;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.api.MqttProperties;
import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.simple.internal.LogCapture;

/**
 * The durable queue with MQTT 5 properties: they come back with the message and the time it was
 * published, messages without properties are written exactly as before MQTT 5, and queue files
 * written by the version before MQTT 5 load unchanged (a file written by main 973c4da's code).
 */
class QueueLogPropertiesTest {
    private static final long SEGMENT = 64 * 1024;
    private static final MqttProperties ALL = MqttProperties.builder().payloadFormat(MqttProperties.FORMAT_UTF8)
            .messageExpiryInterval(0xFFFF_FFFEL).contentType("text/plain; charset=ü").responseTopic("reply/ß")
            .correlationData(new byte[] {0, 1, (byte) 0xFF}).userProperty("a", "1").userProperty("a", "2")
            .userProperty("", "").build();

    @TempDir
    Path dir;
    private final List<QueueLog> open = new ArrayList<>();
    private LogCapture log;

    @BeforeEach
    void captureLog() {
        log = new LogCapture();
    }

    @AfterEach
    void closeAll() {
        for (QueueLog l : open) {
            l.close();
        }
        log.close();
    }

    private QueueLog open() throws IOException {
        QueueLog l = QueueLog.open(dir, SEGMENT, 0);
        open.add(l);
        return l;
    }

    private static Entry msg(String topic, String payload, int qos, MqttProperties p, long queuedAt) {
        return new Entry(topic.getBytes(StandardCharsets.UTF_8), payload.getBytes(StandardCharsets.UTF_8), qos, false,
                0, 0, null, false, p, queuedAt);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private byte[] segmentBytes() throws IOException {
        try (var files = Files.list(dir)) {
            Path seg = files.filter(p -> p.getFileName().toString().startsWith(QueueLog.SEGMENT_PREFIX)).findFirst()
                    .orElseThrow();
            return Files.readAllBytes(seg);
        }
    }

    @Test
    void propertiesAndTheTimeOfPublishingComeBackWithTheMessage() throws IOException {
        QueueLog l = open();
        OfflineQueue q = new OfflineQueue(100, 100_000, OverflowPolicy.DROP_OLDEST, l);
        List<Entry> none = new ArrayList<>();
        q.offer(msg("t/all", "with", 2, ALL, 1_700_000_000_123L), none);
        q.offer(msg("t/none", "without", 1, MqttProperties.EMPTY, 0), none);
        MqttProperties expiryOnly = MqttProperties.builder().messageExpiryInterval(0).build();
        q.offer(msg("t/expiry", "expiry", 0, expiryOnly, 42L), none);
        Entry first = q.take(1).get(0);
        l.step(first.seq, 513, true); // the QoS 2 step of an ADD5 message is kept as for any other
        q.requeue(List.of(first));
        l.close();

        List<Entry> back = open().recovered();
        assertEquals(List.of("t/all", "t/none", "t/expiry"),
                back.stream().map(e -> text(e.topic)).collect(Collectors.toList()));
        Entry all = back.get(0);
        assertEquals(ALL, all.properties);
        assertEquals("with", text(all.payload));
        assertEquals(2, all.qos);
        assertEquals(1_700_000_000_123L, all.queuedAtMillis);
        assertEquals(513, all.packetId);
        assertTrue(all.released);
        assertSame(MqttProperties.EMPTY, back.get(1).properties, "no properties: the shared EMPTY");
        assertEquals(0, back.get(2).properties.messageExpiryInterval());
        assertEquals(42L, back.get(2).queuedAtMillis);
        assertTrue(log.text().isEmpty(), log.text());
    }

    @Test
    void aMessageWithoutPropertiesIsWrittenAsBeforeMqtt5() throws IOException {
        QueueLog l = open();
        l.append(msg("t", "p", 1, MqttProperties.EMPTY, 0), List.of());
        byte[] file = segmentBytes();
        ByteBuffer b = ByteBuffer.wrap(file);
        assertEquals(QueueRecords.MAGIC, b.getInt());
        int length = b.getInt();
        b.getInt();
        assertEquals(QueueRecords.TYPE_ADD, b.get(), "the ADD record of the version before MQTT 5");
        assertEquals(QueueRecords.ADD_FIXED_BYTES + 1 + 1, length);
        assertEquals(QueueRecords.MAGIC_BYTES + QueueRecords.RECORD_HEADER_BYTES + length, file.length);
    }

    @Test
    void aMessageWithPropertiesIsAnAdd5Record() throws IOException {
        QueueLog l = open();
        Entry e = msg("t", "p", 1, ALL, 7);
        l.append(e, List.of());
        ByteBuffer b = ByteBuffer.wrap(segmentBytes());
        b.position(QueueRecords.MAGIC_BYTES);
        int length = b.getInt();
        b.getInt();
        assertEquals(QueueRecords.TYPE_ADD5, b.get());
        assertEquals(QueueRecords.ADD5_FIXED_BYTES + 1 + e.storedProperties.length + 1, length);
        assertEquals(StoredProperties.VERSION, e.storedProperties[0], "the properties carry their own version");
    }

    /** The file in src/test/resources was written by main 973c4da's QueueLog (see the README next to it). */
    @Test
    void queueFilesOfTheVersionBeforeMqtt5LoadUnchanged() throws IOException {
        String name = "segment-0000000000000001.log";
        try (InputStream in = getClass().getResourceAsStream("queue-before-mqtt5/" + name)) {
            Files.copy(in, dir.resolve(name));
        }
        QueueLog l = open();
        List<Entry> back = l.recovered();
        assertEquals(List.of("old/0", "old/1", "old/2", "old/2b"),
                back.stream().map(e -> text(e.topic)).collect(Collectors.toList()));
        assertEquals(List.of("zero", "one", "two", "two-b"),
                back.stream().map(e -> text(e.payload)).collect(Collectors.toList()));
        assertEquals(List.of(0, 1, 2, 2), back.stream().map(e -> e.qos).collect(Collectors.toList()));
        assertTrue(back.get(0).retain);
        assertFalse(back.get(1).retain);
        assertEquals(7, back.get(2).packetId);
        assertFalse(back.get(2).released);
        assertEquals(8, back.get(3).packetId);
        assertTrue(back.get(3).released);
        for (Entry e : back) {
            assertSame(MqttProperties.EMPTY, e.properties);
            assertEquals(0, e.queuedAtMillis);
        }
        assertTrue(log.text().isEmpty(), log.text());

        // the same directory goes on with messages of both kinds
        Entry added = l.append(msg("new/5", "five", 1, ALL, 99), List.of(back.get(0)));
        assertEquals(6, added.seq, "sequence numbers go on after the old file's");
        l.close();
        List<Entry> again = open().recovered();
        assertEquals(List.of("old/1", "old/2", "old/2b", "new/5"),
                again.stream().map(e -> text(e.topic)).collect(Collectors.toList()));
        assertEquals(ALL, again.get(3).properties);
    }

    @Test
    void propertiesThisVersionCannotReadSkipTheRecordWithAWarning() throws IOException {
        QueueLog l = open();
        l.append(msg("t/1", "1", 1, MqttProperties.EMPTY, 0), List.of());
        l.close();
        // an ADD5 record, CRC intact, whose properties hold an id no version writes (a later version's)
        byte[] topic = "t/2".getBytes(StandardCharsets.UTF_8);
        byte[] props = {StoredProperties.VERSION, 0x7F, 0};
        int length = QueueRecords.ADD5_FIXED_BYTES + topic.length + props.length + 1;
        ByteBuffer r = ByteBuffer.allocate(QueueRecords.RECORD_HEADER_BYTES + length);
        r.putInt(length).putInt(0).put(QueueRecords.TYPE_ADD5).putLong(2).put((byte) 1).putInt(topic.length).put(topic)
                .putLong(5).putInt(props.length).put(props).put((byte) 'x');
        CRC32 crc = new CRC32();
        crc.update(r.array(), QueueRecords.RECORD_HEADER_BYTES, length);
        r.putInt(4, (int) crc.getValue());
        Path seg;
        try (var files = Files.list(dir)) {
            seg = files.filter(p -> p.getFileName().toString().startsWith(QueueLog.SEGMENT_PREFIX)).findFirst()
                    .orElseThrow();
        }
        Files.write(seg, r.array(), StandardOpenOption.APPEND);
        List<Entry> back = open().recovered();
        assertEquals(List.of("t/1"), back.stream().map(e -> text(e.topic)).collect(Collectors.toList()));
        assertTrue(log.text().contains("holds properties this version cannot read (stored properties hold unknown "
                + "property id 0x7f"), log.text());
    }

    @Test
    void storedPropertiesRoundTripAndRefuseWhatTheyDoNotKnow() {
        byte[] b = StoredProperties.encode(ALL);
        assertEquals(ALL, StoredProperties.decode(b, 0, b.length));
        assertEquals(0, StoredProperties.encode(MqttProperties.EMPTY).length);
        assertSame(MqttProperties.EMPTY, StoredProperties.decode(new byte[0], 0, 0));
        IllegalArgumentException version = assertThrows(IllegalArgumentException.class,
                () -> StoredProperties.decode(new byte[] {2}, 0, 1));
        assertTrue(version.getMessage().contains("version 2"), version.getMessage());
        byte[] cut = java.util.Arrays.copyOf(b, b.length - 1);
        IllegalArgumentException torn = assertThrows(IllegalArgumentException.class,
                () -> StoredProperties.decode(cut, 0, cut.length));
        assertTrue(torn.getMessage().contains("end in the middle"), torn.getMessage());
    }
}
