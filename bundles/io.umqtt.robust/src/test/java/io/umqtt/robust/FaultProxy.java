package io.umqtt.robust;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy between a client and the broker that injects faults: it can cut the connection in
 * the middle of a packet from the broker, stall it without closing, refuse new connections, or
 * blackhole the network ({@link #blackhole(boolean)}).
 */
final class FaultProxy implements AutoCloseable {
    enum Fault {
        /** Forward everything. */
        NONE,
        /** Forward half of the next chunk from the broker, then reset both sides. */
        DROP_MID_PACKET,
        /** Forward half of the next chunk from the broker, then forward nothing more, keeping the sockets open. */
        STALL_MID_PACKET,
        /** Forward nothing more on the current connections, keeping them open. */
        STALL
    }

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile Fault fault = Fault.NONE;
    private volatile boolean refusing;
    private volatile boolean blackhole;
    private final Object stalled = new Object();
    private volatile boolean closed;

    FaultProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "fault-proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connections accepted (refused ones included). */
    int accepted() {
        return accepted.get();
    }

    /** Applies to the connections open now and to the next chunk they carry. */
    void inject(Fault f) {
        fault = f;
    }

    /** Closes new connections at once while on. */
    void refuse(boolean on) {
        refusing = on;
    }

    /**
     * A network blackhole while on: nothing is forwarded on the open connections any more (what
     * they carry is discarded, nothing is closed), and new connections are accepted but never
     * reach the broker, so a CONNECT gets no CONNACK (on loopback, the nearest to a SYN nobody
     * answers). Connections that met the blackhole stay dead when it ends; new ones work again.
     */
    void blackhole(boolean on) {
        blackhole = on;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                accepted.incrementAndGet();
                if (refusing) {
                    client.setSoLinger(true, 0);
                    client.close();
                    continue;
                }
                sockets.add(client);
                if (blackhole) {
                    sink(client);
                    continue;
                }
                fault = Fault.NONE; // a new connection starts healthy
                Socket broker = new Socket(targetHost, targetPort);
                sockets.add(broker);
                AtomicBoolean dead = new AtomicBoolean();
                pump(client, broker, false, dead);
                pump(broker, client, true, dead);
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("fault proxy: " + e);
                }
            }
        }
    }

    /** Reads and discards what {@code s} carries until it or the proxy closes. */
    private void sink(Socket s) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (InputStream in = s.getInputStream()) {
                while (in.read(buf) >= 0) {
                    // a blackhole answers nothing
                }
            } catch (IOException e) {
                // closed
            }
            closeQuietly(s);
        }, "fault-proxy-sink");
        t.setDaemon(true);
        t.start();
    }

    private void pump(Socket from, Socket to, boolean fromBroker, AtomicBoolean dead) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (blackhole) {
                        dead.set(true);
                    }
                    if (dead.get()) {
                        continue; // lost in the blackhole, for good
                    }
                    Fault f = fault;
                    if (f == Fault.STALL) {
                        stall();
                        return;
                    }
                    if (fromBroker && (f == Fault.DROP_MID_PACKET || f == Fault.STALL_MID_PACKET) && n >= 2) {
                        out.write(buf, 0, n / 2);
                        out.flush();
                        if (f == Fault.DROP_MID_PACKET) {
                            reset(from);
                            reset(to);
                        } else {
                            stall();
                        }
                        return;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed: close the other
            }
            closeQuietly(from);
            closeQuietly(to);
        }, "fault-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Holds the pump without closing anything until the proxy closes. */
    private void stall() {
        synchronized (stalled) {
            while (!closed) {
                try {
                    stalled.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        synchronized (stalled) {
            stalled.notifyAll();
        }
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
