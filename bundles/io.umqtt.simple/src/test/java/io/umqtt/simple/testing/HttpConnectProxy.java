package io.umqtt.simple.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny HTTP proxy that only tunnels ({@code CONNECT host:port}, RFC 9110 section 9.3.6), for
 * tests: it reads the request line and headers, connects to the target, answers {@code 200} and
 * pipes bytes both ways until either side closes. It counts tunnels and remembers the targets it was
 * asked for; {@link #refuseWith(int)} makes it answer every CONNECT with that status instead (407
 * with a {@code Proxy-Authenticate} header). Anything but CONNECT is answered {@code 405}.
 * <p>
 * Threads: one accept thread and two daemon threads per tunnel; {@link #close} ends them all.
 */
public final class HttpConnectProxy implements AutoCloseable {
    private final ServerSocket server;
    private final Queue<Socket> sockets = new ConcurrentLinkedQueue<>();
    private volatile int refuseStatus;
    /** Tunnels opened (200 answered). */
    public final AtomicLong tunnels = new AtomicLong();
    /** CONNECT requests refused. */
    public final AtomicLong refused = new AtomicLong();
    /** The targets of the CONNECT requests, in order ("host:port"). */
    public final List<String> targets = new CopyOnWriteArrayList<>();

    private HttpConnectProxy() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "connect-proxy-" + server.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    /** Starts a proxy on a free loopback port. */
    public static HttpConnectProxy start() throws IOException {
        return new HttpConnectProxy();
    }

    /** The proxy's host (loopback). */
    public String host() {
        return server.getInetAddress().getHostAddress();
    }

    /** The proxy's port. */
    public int port() {
        return server.getLocalPort();
    }

    /** Answers every further CONNECT with {@code status} (0: tunnel again). */
    public HttpConnectProxy refuseWith(int status) {
        refuseStatus = status;
        return this;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                sockets.add(client);
                Thread t = new Thread(() -> serve(client), "connect-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try {
            client.setSoTimeout(10_000);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            String requestLine = readLine(in);
            while (!readLine(in).isEmpty()) {
                // headers: not needed
            }
            String[] parts = requestLine.split(" ");
            if (parts.length != 3 || !parts[0].equals("CONNECT")) {
                answer(out, "405 Method Not Allowed", "");
                client.close();
                return;
            }
            targets.add(parts[1]);
            int status = refuseStatus;
            if (status != 0) {
                refused.incrementAndGet();
                answer(out, status + (status == 407 ? " Proxy Authentication Required" : " Refused"),
                        status == 407 ? "Proxy-Authenticate: Basic realm=\"test\"\r\n" : "");
                client.close();
                return;
            }
            int colon = parts[1].lastIndexOf(':');
            String host = parts[1].substring(0, colon);
            if (host.startsWith("[")) {
                host = host.substring(1, host.length() - 1);
            }
            Socket target = new Socket();
            sockets.add(target);
            try {
                target.connect(new InetSocketAddress(host, Integer.parseInt(parts[1].substring(colon + 1))), 5_000);
            } catch (IOException e) {
                answer(out, "502 Bad Gateway", "");
                client.close();
                return;
            }
            answer(out, "200 Connection Established", "");
            tunnels.incrementAndGet();
            client.setSoTimeout(0);
            Thread back = new Thread(() -> pipe(target, client), "connect-proxy-back");
            back.setDaemon(true);
            back.start();
            pipe(client, target);
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    private static void answer(OutputStream out, String status, String headers) throws IOException {
        out.write(("HTTP/1.1 " + status + "\r\n" + headers + "Content-Length: 0\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Copies from {@code from} to {@code to} until either ends; then closes both. */
    private static void pipe(Socket from, Socket to) {
        byte[] b = new byte[8192];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(b)) >= 0;) {
                out.write(b, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side ended: end the other
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n';) {
            if (c < 0) {
                throw new IOException("the client closed mid-request");
            }
            if (c != '\r') {
                line.write(c);
            }
            if (line.size() > 8192) {
                throw new IOException("request line or header too long");
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
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
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s; (s = sockets.poll()) != null;) {
            closeQuietly(s);
        }
    }

    @Override
    public String toString() {
        return "HTTP CONNECT proxy on " + host() + ":" + port();
    }
}
