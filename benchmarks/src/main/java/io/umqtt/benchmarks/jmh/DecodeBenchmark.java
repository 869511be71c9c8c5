package io.umqtt.benchmarks.jmh;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.simple.internal.codec.FixedHeader;
import io.umqtt.simple.internal.codec.PublishDecoder;
import io.umqtt.simple.internal.codec.PublishEncoder;
import io.umqtt.simple.internal.codec.ShortPackets;

/**
 * The client's decode path without a socket: framing a packet out of the read buffer and decoding
 * it, as {@code MqttClient.process} does. For a PUBLISH that includes copying the topic (validated)
 * and the payload, the two arrays a received message costs; run with {@code -prof gc} to see that
 * nothing else is allocated. Run:
 * {@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main Decode -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecodeBenchmark {
    private final PublishDecoder publish = new PublishDecoder();
    private byte[] qos0;
    private byte[] qos1;
    private byte[] puback;

    @Setup
    public void setup() {
        byte[] topic = "site/7/boiler/temperature".getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[32];
        qos0 = PublishEncoder.encode(topic, payload, 0, false, false, 0);
        qos1 = PublishEncoder.encode(topic, payload, 1, false, false, 4711);
        puback = new byte[] {0x40, 0x02, 0x12, 0x67};
    }

    private int receive(byte[] buf) throws MqttException {
        long framed = FixedHeader.frame(buf, 0, buf.length, MqttConstants.MAX_REMAINING_LENGTH);
        int total = (int) framed;
        publish.decode(buf, 0, total, "localhost", 1883);
        byte[] payload = Arrays.copyOfRange(buf, publish.payloadOffset(), publish.payloadEnd());
        return publish.topic().length + payload.length + publish.packetId();
    }

    /** A QoS 0 PUBLISH: frame, decode, copy topic and payload. */
    @Benchmark
    public int publishQos0() throws MqttException {
        return receive(qos0);
    }

    /** A QoS 1 PUBLISH: frame, decode, copy topic and payload. */
    @Benchmark
    public int publishQos1() throws MqttException {
        return receive(qos1);
    }

    /** A PUBACK: frame and read its packet id (allocates nothing). */
    @Benchmark
    public int puback() throws MqttException {
        long framed = FixedHeader.frame(puback, 0, puback.length, MqttConstants.MAX_REMAINING_LENGTH);
        return ShortPackets.decodePuback(puback, 0, (int) framed);
    }
}
