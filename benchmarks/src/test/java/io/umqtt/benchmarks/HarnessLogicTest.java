package io.umqtt.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The harness's pure logic; no broker, no client, no measurement. */
class HarnessLogicTest {
    @Test
    void nearestRankPercentiles() {
        long[] v = new long[1000];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1; // 1..1000
        }
        assertEquals(500, Stats.percentile(v, 50));
        assertEquals(990, Stats.percentile(v, 99));
        assertEquals(999, Stats.percentile(v, 99.9));
        assertEquals(1000, Stats.percentile(v, 100));
        assertEquals(1, Stats.percentile(v, 0.01));
        assertEquals(7, Stats.percentile(new long[] {7}, 99.9));
        long[] ten = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
        assertEquals(50, Stats.percentile(ten, 50));
        assertEquals(100, Stats.percentile(ten, 99));
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(new long[0], 50));
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(ten, 0));
    }

    @Test
    void medianMinMax() {
        assertEquals(3.0, Stats.median(List.of(5.0, 1.0, 3.0)));
        assertEquals(2.5, Stats.median(List.of(4.0, 1.0, 3.0, 2.0)));
        assertEquals(1.0, Stats.min(List.of(4.0, 1.0, 3.0)));
        assertEquals(4.0, Stats.max(List.of(4.0, 1.0, 3.0)));
    }

    @Test
    void formatting() {
        assertEquals("78,145", Stats.format(78_145.4));
        assertEquals("16.8", Stats.format(16.84));
        assertEquals("0.40", Stats.format(0.4));
        assertEquals("4", Stats.format(4.0));
        assertEquals("0", Stats.format(0.0));
        assertEquals("1.27×", Stats.ratio(127, 100));
        assertEquals("–", Stats.ratio(1, Double.NaN));
    }

    @Test
    void resultLineRoundTrip() {
        Result r = new Result().put("rate", 1234.0).put("lost", 0).put("lib", "ours");
        Result back = Result.parse(r.line());
        assertEquals("RESULT rate=1234.0 lost=0 lib=ours", r.line());
        assertEquals(1234.0, back.number("rate"));
        assertEquals(0, back.count("lost"));
        assertEquals("ours", back.get("lib"));
        assertNull(Result.parse("some log line"));
        assertThrows(IllegalArgumentException.class, () -> new Result().put("k", "has space"));
    }

    @Test
    void procIoAndTcpInfoFields() {
        long[] io = Wire.parseIo("rchar: 6976\nwchar: 80\nsyscr: 10\nsyscw: 2\nread_bytes: 0\n");
        assertEquals(2, io[0]);
        assertEquals(80, io[1]);
        assertNull(Wire.parseIo("rchar: 1\n"));
        String ss = "0      0      [::ffff:127.0.0.1]:55174 [::ffff:127.0.0.1]:39921\n"
                + "\t bbr wscale:10,10 rto:208 bytes_sent:26 bytes_acked:27 bytes_received:4 segs_out:5 segs_in:4 "
                + "data_segs_out:2 data_segs_in:1 lastsnd:264\n"
                + "0      0      127.0.0.1:40000 127.0.0.1:39921\n"
                + "\t cubic bytes_sent:100 segs_out:9 data_segs_out:7\n";
        java.util.Map<String, long[]> m = Wire.parseSs(ss);
        assertEquals(2, m.size());
        assertEquals(List.of(26L, 2L, 5L, 1L), java.util.Arrays.stream(m.get("[::ffff:127.0.0.1]:55174")).boxed().toList());
        java.util.Map<String, long[]> later = Wire.parseSs(ss.replace("bytes_sent:100 segs_out:9 data_segs_out:7",
                "bytes_sent:180 segs_out:10 data_segs_out:8"));
        later.put("127.0.0.1:40001", new long[] {999, 999, 999, 999}); // not in the first snapshot: not counted
        assertEquals(List.of(80L, 1L, 1L, 0L), java.util.Arrays.stream(Wire.delta(m, later)).boxed().toList());
    }

    @Test
    void procStatFields() {
        // pid (comm with a space) state ppid ... utime=14 stime=15 cutime=16 cstime=17
        String line = "42 (my proc) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
        // fields after ')': 3=S 4=1 ... 14=11 15=12 16=13 17=14
        assertEquals((11 + 12) * 10_000_000L, ProcStat.fromStatLine(line, false));
        assertEquals((13 + 14) * 10_000_000L, ProcStat.fromStatLine(line, true));
    }

    @Test
    void dependencyTreeClosures() {
        List<Jars.Artifact> tree = Jars.parse(List.of(
                "io.umqtt:io.umqtt.benchmarks:jar:0.1.0-SNAPSHOT",
                "+- io.umqtt:io.umqtt.api:jar:0.1.0-SNAPSHOT:compile",
                "+- io.umqtt:io.umqtt.simple:jar:0.1.0-SNAPSHOT:compile",
                "+- io.umqtt:io.umqtt.simple:test-jar:tests:0.1.0-SNAPSHOT:compile",
                "+- com.hivemq:hivemq-mqtt-client:jar:1.3.7:compile",
                "|  +- io.netty:netty-handler:jar:4.1.122.Final:runtime",
                "|  |  \\- io.netty:netty-resolver:jar:4.1.122.Final:runtime",
                "|  \\- com.google.dagger:dagger:jar:2.27:runtime",
                "\\- org.eclipse.paho:org.eclipse.paho.client.mqttv3:jar:1.2.5:compile"));
        assertEquals(8, tree.size());
        assertEquals(List.of("io.umqtt.simple-0.1.0-SNAPSHOT.jar"), Jars.closure(tree, "io.umqtt:io.umqtt.simple")
                .stream().map(Jars.Artifact::fileName).toList()); // not the test-jar the harness uses
        List<Jars.Artifact> hive = Jars.closure(tree, "com.hivemq:hivemq-mqtt-client");
        assertEquals(List.of("hivemq-mqtt-client-1.3.7.jar", "netty-handler-4.1.122.Final.jar",
                "netty-resolver-4.1.122.Final.jar", "dagger-2.27.jar"),
                hive.stream().map(Jars.Artifact::fileName).toList());
        assertEquals(List.of("org.eclipse.paho.client.mqttv3-1.2.5.jar"),
                Jars.closure(tree, "org.eclipse.paho:org.eclipse.paho.client.mqttv3").stream()
                        .map(Jars.Artifact::fileName).toList());
    }

    @Test
    void mqtt5ClientsRunTheirScenariosAndHaveTheirRatioColumns() {
        assertEquals(true, Main.applies("qos1", "ours5"));
        assertEquals(true, Main.applies("alloc", "hivemq5"));
        assertEquals(false, Main.applies("lat0", "ours5"));
        assertEquals(false, Main.applies("footprint", "hivemq5"));
        List<String> titles = new java.util.ArrayList<>();
        for (String[] col : Report.ratioColumns(List.of("ours", "hivemq", "ours5", "hivemq5"))) {
            titles.add(col[0] + "/" + col[1]);
        }
        assertEquals(List.of("ours/hivemq", "ours5/hivemq5", "ours5/ours"), titles);
        assertEquals(188_503.0, Report.simpleJarBytes(java.util.Map.of("ours",
                java.util.Map.of("io.umqtt.api-0.1.0-SNAPSHOT.jar", 10L, "io.umqtt.simple-0.1.0-SNAPSHOT.jar", 188_503L))));
    }

    @Test
    void paceDueTimesAreCountedFromTheStart() {
        assertEquals(1_000, Pace.dueNanos(1_000, 0, 5_000));
        assertEquals(1_000 + 200_000, Pace.dueNanos(1_000, 1, 5_000));
        // 1/3 s is not a whole number of nanoseconds: due times still land on whole seconds, no rounding adds up
        assertEquals(333_333_333, Pace.dueNanos(0, 1, 3));
        assertEquals(1_000_000_000, Pace.dueNanos(0, 3, 3));
        assertEquals(1_000_000L * 1_000_000_000L, Pace.dueNanos(0, 3_000_000, 3));
        assertEquals(3_600_000_000_000L, Pace.dueNanos(0, 15_000L * 3_600, 15_000)); // an hour at 15,000/s
        assertThrows(IllegalArgumentException.class, () -> Pace.dueNanos(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Pace.of(-1));
        assertEquals(false, Pace.of(0).paced());
        assertEquals(200_000, Main.pacedMessages(20_000, 10));
        assertThrows(IllegalArgumentException.class, () -> Main.pacedMessages(1_000_000_000, 10));
    }

    @Test
    void paceNeitherDriftsWithLateWakeUpsNorShiftsAfterAStall() {
        long[] now = {5_000_000};
        int overshoot = 30_000; // every park wakes 30 µs late (Linux's timer slack is 50 µs)
        Pace pace = new Pace(10_000, () -> now[0], nanos -> now[0] += nanos + overshoot); // one message per 100 µs
        long start = now[0];
        long[] sent = new long[1_000];
        for (int i = 0; i < sent.length; i++) {
            if (i == 500) {
                now[0] += 1_000_000; // the publishing thread is descheduled for 1 ms
            }
            pace.await(i);
            sent[i] = now[0];
            now[0] += 10_000; // the publish itself takes 10 µs
        }
        for (int i = 1; i < 500; i++) {
            assertEquals(start + i * 100_000L + overshoot, sent[i], "message " + i); // late by the overshoot only
        }
        // after the stall: the due ones go at once, one after the other, until the schedule is caught up
        assertEquals(sent[500] + 10_000, sent[501]);
        for (int i = 511; i < sent.length; i++) { // and then on time as before: nothing shifted
            assertEquals(start + i * 100_000L + overshoot, sent[i], "message " + i);
        }
        // message 500 went 1 ms + 30 µs + 10 µs after message 499 (due 100 µs after it): 940 µs late;
        // 501 to 509 each 90 µs less, 510 40 µs late: ten sends more than a period (100 µs) late
        assertEquals(940_000, pace.maxLateNanos());
        assertEquals(10, pace.lateSends());
    }

    @Test
    void pacedScenariosAreOptInAndRunByEveryClient() {
        assertEquals(false, Main.ALL_SCENARIOS.contains("qos0paced")); // the default run stays as long as it was
        assertEquals(true, Main.SCENARIOS.containsAll(List.of("qos0paced", "qos1paced")));
        for (String client : Main.ALL_CLIENTS) {
            assertEquals(true, Main.applies("qos0paced", client), client);
            assertEquals(true, Main.applies("qos1paced", client), client);
        }
    }

    @Test
    void alternatingOrder() {
        List<String> c = List.of("a", "b", "c");
        assertEquals(List.of("a", "b", "c"), Main.rotate(c, 0));
        assertEquals(List.of("b", "c", "a"), Main.rotate(c, 1));
        assertEquals(List.of("a", "b", "c"), Main.rotate(c, 3));
    }

    @Test
    void topicsHaveOneLength() {
        assertEquals("bench/r0001", Lib.topic(1));
        assertEquals(Lib.topic(1).length(), Lib.topic(9_999).length());
        assertEquals(Lib.topic(1).length(), Lib.topic(12_345).length());
    }
}
