package io.umqtt.simple;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The plain TCP transports' own cost, side by side in one JVM: {@link SocketTransport} (a
 * {@code java.net.Socket}) and {@link TcpTransport} (a channel with a selector), alternately, each
 * doing round trips of 64 bytes (write, then a timed read that waits) with an echo peer over
 * loopback. Prints, per transport, the medians over the rounds of the reading thread's CPU per
 * round trip and of the round trip's p50 and p99. In this package because the transports are
 * package-private. Usage:
 * {@code java -cp benchmarks/target/benchmarks.jar io.umqtt.simple.TransportRoundTrip [roundTrips] [rounds]}
 * (defaults 20000 and 9).
 */
public final class TransportRoundTrip {
    private static final int SIZE = 64;

    private TransportRoundTrip() {
    }

    public static void main(String[] args) throws Exception {
        int roundTrips = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread echo = new Thread(() -> echo(server), "round-trip-echo");
            echo.setDaemon(true);
            echo.start();
            for (int round = 0; round < rounds; round++) {
                for (String kind : new String[] {"socket", "channel"}) {
                    Transport t = kind.equals("socket") ? new SocketTransport() : new TcpTransport();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    TlsConnector.Deadline guard = TlsConnector.Deadline.at(deadline);
                    try {
                        t.open("127.0.0.1", server.getLocalPort(), 5000, deadline, guard);
                    } finally {
                        guard.disarm();
                    }
                    try {
                        results.computeIfAbsent(kind, k -> new ArrayList<>()).add(run(t, roundTrips, threads));
                    } finally {
                        t.close();
                    }
                }
            }
        }
        System.out.println("medians over " + rounds + " rounds of " + roundTrips + " round trips of " + SIZE
                + " bytes; Java " + System.getProperty("java.version"));
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            System.out.printf("%-8s reading thread CPU %.2f µs, round trip p50 %.1f µs, p99 %.1f µs%n", e.getKey(),
                    median(e.getValue(), 0), median(e.getValue(), 1), median(e.getValue(), 2));
        }
    }

    /** CPU µs per round trip, p50 µs, p99 µs of {@code n} round trips after a fifth as warm-up. */
    private static double[] run(Transport t, int n, ThreadMXBean threads) throws IOException {
        byte[] out = new byte[SIZE];
        byte[] in = new byte[512];
        long[] nanos = new long[n];
        long cpu0 = 0;
        for (int i = -n / 5; i < n; i++) {
            if (i == 0) {
                cpu0 = threads.getCurrentThreadCpuTime();
            }
            long t0 = System.nanoTime();
            t.write(out, 0, SIZE);
            int got = 0;
            while (got < SIZE) {
                int r = t.read(in, got, in.length - got, 30_000);
                if (r <= 0) {
                    throw new IOException("the echo peer did not answer (read returned " + r + ")");
                }
                got += r;
            }
            if (i >= 0) {
                nanos[i] = System.nanoTime() - t0;
            }
        }
        double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1000.0 / n;
        Arrays.sort(nanos);
        return new double[] {cpu, nanos[n / 2] / 1000.0, nanos[n * 99 / 100] / 1000.0};
    }

    private static void echo(ServerSocket server) {
        while (true) {
            Socket s;
            try {
                s = server.accept();
                s.setTcpNoDelay(true);
            } catch (IOException e) {
                return; // closed at the end
            }
            Thread t = new Thread(() -> {
                try (Socket peer = s) {
                    InputStream in = peer.getInputStream();
                    OutputStream out = peer.getOutputStream();
                    byte[] b = new byte[SIZE];
                    while (in.readNBytes(b, 0, SIZE) == SIZE) {
                        out.write(b);
                    }
                } catch (IOException e) {
                    // the transport closed: this round is over
                }
            }, "round-trip-echo-peer");
            t.setDaemon(true);
            t.start();
        }
    }

    private static double median(List<double[]> rows, int column) {
        List<Double> values = new ArrayList<>();
        for (double[] r : rows) {
            values.add(r[column]);
        }
        Collections.sort(values);
        return values.get(values.size() / 2);
    }
}
