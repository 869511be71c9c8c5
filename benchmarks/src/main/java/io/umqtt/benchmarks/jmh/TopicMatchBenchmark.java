package io.umqtt.benchmarks.jmh;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.umqtt.api.TopicFilter;

/**
 * The floor under whiteboard dispatch: what finding the handlers of one message costs when every
 * registered filter is tried with {@link TopicFilter#matches(byte[])}, for 1, 100 and 10,000
 * filters (a third with '+', a third with '#', a third exact; one in 100 matches the topic). The
 * whiteboard's own dispatch benchmark belongs beside this one and should beat it for many filters.
 * Run: {@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main TopicMatch}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TopicMatchBenchmark {
    @Param({"1", "100", "10000"})
    public int filters;

    private TopicFilter[] registered;
    private byte[] topic;

    @Setup
    public void setup() {
        registered = new TopicFilter[filters];
        for (int i = 0; i < filters; i++) {
            int site = i % 100 == 0 ? 7 : 1000 + i; // one filter in 100 is about site 7
            switch (i % 3) {
                case 0:
                    registered[i] = TopicFilter.parse("site/" + site + "/+/temperature");
                    break;
                case 1:
                    registered[i] = TopicFilter.parse("site/" + site + "/#");
                    break;
                default:
                    registered[i] = TopicFilter.parse("site/" + site + "/boiler/temperature");
                    break;
            }
        }
        topic = "site/7/boiler/temperature".getBytes(StandardCharsets.UTF_8);
    }

    /** Returns the number of matching filters (returned, so the JIT cannot drop the work). */
    @Benchmark
    public int linearScan() {
        int matches = 0;
        for (TopicFilter f : registered) {
            if (f.matches(topic)) {
                matches++;
            }
        }
        return matches;
    }
}
