package io.umqtt.simple.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy in front of a broker that understands MQTT framing: it forwards whole packets in
 * both directions and, when armed, drops the connection (closes both sockets) at a given packet
 * type in a given direction, either after forwarding it (the peer got it, its answer is lost) or
 * instead of forwarding it (the packet is lost). Each {@link #dropAt} fires once, on the first
 * matching packet; later connections are forwarded untouched until armed again. For QoS 2 tests:
 * a drop after each step of the flow, in each direction.
 * <p>
 * Threads: one accept thread, two pump threads per connection (daemons, named
 * {@code packet-fault-proxy-*}); everything ends on {@link #close()}.
 */
public final class PacketFaultProxy implements AutoCloseable {
    /** Which way a packet travels. */
    public enum Direction {
        TO_BROKER, FROM_BROKER
    }

    /** An armed fault. */
    private static final class Fault {
        final Direction direction;
        final int type;
        final boolean forward;

        Fault(Direction direction, int type, boolean forward) {
            this.direction = direction;
            this.type = type;
            this.forward = forward;
        }
    }

    private final ServerSocket server;
    private final String host;
    private final int port;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicReference<Fault> armed = new AtomicReference<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile CountDownLatch dropped = new CountDownLatch(1);
    private volatile boolean closed;

    /** A proxy on a free loopback port forwarding to {@code host:port}. */
    public PacketFaultProxy(String host, int port) throws IOException {
        this.host = host;
        this.port = port;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "packet-fault-proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    /** The port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /**
     * Arms a drop at the next packet of {@code packetType} (the 4-bit MQTT type, e.g. 5 for
     * PUBREC) travelling {@code direction}: after forwarding it when {@code forward}, else instead.
     */
    public void dropAt(Direction direction, int packetType, boolean forward) {
        dropped = new CountDownLatch(1);
        armed.set(new Fault(direction, packetType, forward));
    }

    /** Waits until the armed drop happened. */
    public boolean awaitDrop(long timeout, TimeUnit unit) throws InterruptedException {
        return dropped.await(timeout, unit);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                accepted.incrementAndGet();
                Socket broker = new Socket(host, port);
                client.setTcpNoDelay(true);
                broker.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(broker);
                pump(client, broker, Direction.TO_BROKER);
                pump(broker, client, Direction.FROM_BROKER);
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("packet-fault-proxy: " + e);
                }
            }
        }
    }

    private void pump(Socket from, Socket to, Direction direction) {
        Thread t = new Thread(() -> {
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    byte[] packet = readPacket(in);
                    if (packet == null) {
                        break;
                    }
                    Fault f = armed.get();
                    boolean hit = f != null && f.direction == direction && ((packet[0] & 0xFF) >>> 4) == f.type
                            && armed.compareAndSet(f, null);
                    if (!hit || f.forward) {
                        out.write(packet);
                        out.flush();
                    }
                    if (hit) {
                        drop(from, to);
                        dropped.countDown();
                        return;
                    }
                }
            } catch (IOException e) {
                // the other side closed or was dropped
            }
            drop(from, to);
        }, "packet-fault-proxy-" + direction);
        t.setDaemon(true);
        t.start();
    }

    /** One whole MQTT packet, or null at the end of the stream. */
    private static byte[] readPacket(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        byte[] head = new byte[5];
        head[0] = (byte) first;
        int rem = 0;
        int n = 1;
        int digit;
        do {
            digit = in.read();
            if (digit < 0) {
                return null;
            }
            head[n] = (byte) digit;
            rem |= (digit & 0x7F) << (7 * (n - 1));
            n++;
        } while ((digit & 0x80) != 0 && n < 5);
        byte[] packet = new byte[n + rem];
        System.arraycopy(head, 0, packet, 0, n);
        int off = n;
        while (off < packet.length) {
            int r = in.read(packet, off, packet.length - off);
            if (r < 0) {
                return null;
            }
            off += r;
        }
        return packet;
    }

    private static void drop(Socket a, Socket b) {
        closeQuietly(a);
        closeQuietly(b);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
