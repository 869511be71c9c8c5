package io.umqtt.simple.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A WebSocket-to-TCP bridge in front of a broker (mosquitto here is built without WebSocket
 * support): it accepts WebSocket connections (RFC 6455 server side, subprotocol {@code mqtt}, on
 * one path; any other path gets HTTP 404), opens a TCP connection to the broker for each, and
 * copies bytes both ways. Towards the client it re-frames the broker's bytes as told: frames of at
 * most {@link Builder#maxFrame} bytes (an MQTT packet split across frames), several packets packed
 * into one frame ({@link Builder#pack}: bytes gathered up to a size), messages fragmented into
 * continuation frames, so that the client's handling of frame boundaries is tested against a real
 * broker. With {@link Builder#tls} it is a {@code wss} endpoint with the test CA's server
 * certificate. {@link #dropConnections()} closes every bridged connection (a broker dying mid-
 * connection), {@link #freeze()} stops copying while keeping the sockets open (a dead path).
 * <p>
 * Test code: two threads per bridged connection, one accept thread. Plain JDK, no test framework.
 */
public final class WebSocketBridge implements AutoCloseable {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final ServerSocket server;
    private final String brokerHost;
    private final int brokerPort;
    private final String path;
    private final int maxFrame;
    private final int pack;
    private final boolean fragment;
    private final boolean hangHandshake;
    private final boolean secure;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;
    private volatile boolean frozen;
    /** Counters, for tests. */
    public final AtomicLong handshakes = new AtomicLong();
    public final AtomicLong refused = new AtomicLong();
    public final AtomicLong framesToClient = new AtomicLong();
    public final AtomicLong framesFromClient = new AtomicLong();
    public final AtomicLong pingReqsFromClient = new AtomicLong();
    /** The subprotocols the last client offered. */
    public volatile String offeredProtocols;

    private WebSocketBridge(Builder b) throws IOException {
        this.brokerHost = b.brokerHost;
        this.brokerPort = b.brokerPort;
        this.path = b.path;
        this.maxFrame = b.maxFrame;
        this.pack = b.pack;
        this.fragment = b.fragment;
        this.hangHandshake = b.hangHandshake;
        this.secure = b.pki != null;
        if (b.pki != null) {
            server = serverContext(b.pki, b.wrongHost, b.needClientAuth).getServerSocketFactory().createServerSocket();
            ((SSLServerSocket) server).setNeedClientAuth(b.needClientAuth);
        } else {
            server = new ServerSocket();
        }
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        acceptor = new Thread(this::accept, "ws-bridge-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A bridge to the broker at {@code host:port}. */
    public static Builder builder(String brokerHost, int brokerPort) {
        return new Builder(brokerHost, brokerPort);
    }

    /** The bridge's port. */
    public int port() {
        return server.getLocalPort();
    }

    /** {@code ws://127.0.0.1:port/path} (or {@code wss://localhost:...} with TLS, the name in the test certificate). */
    public String uri() {
        return (secure ? "wss://localhost:" : "ws://127.0.0.1:") + port() + path;
    }

    /** Closes every bridged connection at once, as a broker dying would. */
    public void dropConnections() {
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }

    /** Stops copying in both directions; the connections stay open towards the client, whatever the broker does. */
    public void freeze() {
        frozen = true;
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        dropConnections();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            sockets.add(client);
            Thread t = new Thread(() -> serve(client), "ws-bridge-" + client.getPort());
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket client) {
        Socket broker = null;
        try {
            client.setTcpNoDelay(true);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            String requestLine = readHead(in, headers);
            if (hangHandshake) {
                in.read(); // never answers; ends when the client or the test closes
                return;
            }
            String[] parts = requestLine.split(" ");
            if (parts.length < 3 || !parts[0].equals("GET") || !parts[1].equals(path)) {
                refused.incrementAndGet();
                out.write(("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return;
            }
            String key = headers.get("Sec-WebSocket-Key");
            offeredProtocols = headers.get("Sec-WebSocket-Protocol");
            if (key == null || !"websocket".equalsIgnoreCase(headers.get("Upgrade"))) {
                refused.incrementAndGet();
                out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                return;
            }
            broker = new Socket(brokerHost, brokerPort);
            broker.setTcpNoDelay(true);
            sockets.add(broker);
            boolean mqtt = offeredProtocols != null && List.of(offeredProtocols.split("\\s*,\\s*")).contains("mqtt");
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept(key) + "\r\n" + (mqtt ? "Sec-WebSocket-Protocol: mqtt\r\n" : "")
                    + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            handshakes.incrementAndGet();
            Socket b = broker;
            Thread down = new Thread(() -> brokerToClient(b, client), "ws-bridge-down-" + client.getPort());
            down.setDaemon(true);
            down.start();
            clientToBroker(in, out, broker.getOutputStream());
        } catch (IOException e) {
            // the connection ends
        } finally {
            closeQuietly(client);
            closeQuietly(broker);
            sockets.remove(client);
            if (broker != null) {
                sockets.remove(broker);
            }
        }
    }

    private static String readHead(InputStream in, Map<String, String> headers) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        String requestLine = null;
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("end of stream in the HTTP request");
            }
            if (c == '\n') {
                String l = line.toString(StandardCharsets.ISO_8859_1).trim();
                line.reset();
                if (l.isEmpty()) {
                    return requestLine;
                }
                if (requestLine == null) {
                    requestLine = l;
                } else {
                    int colon = l.indexOf(':');
                    if (colon > 0) {
                        headers.put(l.substring(0, colon).trim(), l.substring(colon + 1).trim());
                    }
                }
            } else {
                line.write(c);
            }
        }
    }

    private static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Unmasks the client's frames and writes their payload to the broker; answers ping and close. */
    private void clientToBroker(InputStream in, OutputStream clientOut, OutputStream brokerOut) throws IOException {
        while (true) {
            int b0 = in.read();
            int b1 = in.read();
            if (b0 < 0 || b1 < 0) {
                return;
            }
            int opcode = b0 & 0x0F;
            if ((b1 & 0x80) == 0) {
                throw new IOException("client frame not masked");
            }
            long len = b1 & 0x7F;
            if (len == 126) {
                len = (in.read() << 8) | in.read();
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; i++) {
                    len = (len << 8) | in.read();
                }
            }
            byte[] mask = in.readNBytes(4);
            byte[] payload = in.readNBytes((int) len);
            if (payload.length != len) {
                return;
            }
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
            framesFromClient.incrementAndGet();
            while (frozen && !closed) {
                sleepQuietly(10);
            }
            switch (opcode) {
            case 0x0:
            case 0x2:
                if (payload.length == 2 && (payload[0] & 0xFF) == 0xC0 && payload[1] == 0) {
                    pingReqsFromClient.incrementAndGet();
                }
                brokerOut.write(payload);
                brokerOut.flush();
                break;
            case 0x8:
                synchronized (clientOut) {
                    writeFrame(clientOut, 0x88, payload, 0, Math.min(2, payload.length));
                }
                return;
            case 0x9:
                synchronized (clientOut) {
                    writeFrame(clientOut, 0x8A, payload, 0, payload.length);
                }
                break;
            default:
                break; // pong, text: ignored
            }
        }
    }

    /** Copies the broker's bytes to the client, re-framed as configured. */
    private void brokerToClient(Socket broker, Socket client) {
        byte[] buf = new byte[Math.max(64 * 1024, pack)];
        try {
            InputStream in = broker.getInputStream();
            OutputStream out = client.getOutputStream();
            while (true) {
                broker.setSoTimeout(0);
                int n = in.read(buf);
                if (n < 0) {
                    return;
                }
                if (pack > 0) {
                    broker.setSoTimeout(20); // gather more packets until pack bytes or 20 ms of quiet
                    while (n < pack) {
                        int m;
                        try {
                            m = in.read(buf, n, pack - n);
                        } catch (SocketTimeoutException e) {
                            break;
                        }
                        if (m < 0) {
                            break;
                        }
                        n += m;
                    }
                }
                while (frozen && !closed) {
                    sleepQuietly(10);
                }
                synchronized (out) {
                    int frame = maxFrame > 0 ? maxFrame : n;
                    for (int off = 0; off < n; off += frame) {
                        int len = Math.min(frame, n - off);
                        boolean first = off == 0;
                        boolean last = off + len >= n;
                        int b0 = fragment ? (last ? 0x80 : 0) | (first ? 0x2 : 0x0) : 0x82;
                        writeFrame(out, b0, buf, off, len);
                        framesToClient.incrementAndGet();
                    }
                    out.flush();
                }
            }
        } catch (IOException e) {
            // the connection ends
        } finally {
            while (frozen && !closed) {
                sleepQuietly(10); // a frozen path passes no close either (the broker's keepalive may close it)
            }
            closeQuietly(client);
            closeQuietly(broker);
        }
    }

    private static void writeFrame(OutputStream out, int b0, byte[] b, int off, int len) throws IOException {
        byte[] head;
        if (len < 126) {
            head = new byte[] { (byte) b0, (byte) len };
        } else if (len < 65536) {
            head = new byte[] { (byte) b0, 126, (byte) (len >>> 8), (byte) len };
        } else {
            head = new byte[10];
            head[0] = (byte) b0;
            head[1] = 127;
            for (int i = 0; i < 8; i++) {
                head[9 - i] = (byte) ((long) len >>> (8 * i));
            }
        }
        out.write(head);
        out.write(b, off, len);
    }

    private static SSLContext serverContext(TestPki pki, boolean wrongHost, boolean needClientAuth)
            throws IOException {
        Path p12 = pki.directory().resolve(wrongHost ? "bridge-wrong-host.p12" : "bridge-server.p12");
        if (!Files.exists(p12)) {
            Path cert = wrongHost ? pki.wrongHostCertificate() : pki.serverCertificate();
            Path key = wrongHost ? pki.wrongHostKey() : pki.serverKey();
            List<String> cmd = new ArrayList<>(List.of(TestPki.openssl().toString(), "pkcs12", "-export", "-in",
                    cert.toString(), "-inkey", key.toString(), "-out", p12.toString(),
                    "-passout", "pass:" + new String(pki.storePassword()), "-name", "server"));
            try {
                Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!proc.waitFor(30, TimeUnit.SECONDS) || proc.exitValue() != 0) {
                    throw new IOException("openssl pkcs12 failed: " + output);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        try (InputStream in = Files.newInputStream(p12)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, pki.storePassword());
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pki.storePassword());
            javax.net.ssl.TrustManager[] trust = null;
            if (needClientAuth) {
                javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory
                        .getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(pki.loadTrustStore());
                trust = tmf.getTrustManagers();
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), trust, null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot load " + p12 + ": " + e, e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // closing what may be closed already
            }
        }
    }

    @Override
    public String toString() {
        return "WebSocketBridge[" + uri() + " -> " + brokerHost + ":" + brokerPort + "]";
    }

    /** How the bridge frames and where it listens. */
    public static final class Builder {
        private final String brokerHost;
        private final int brokerPort;
        private String path = "/mqtt";
        private int maxFrame;
        private int pack;
        private boolean fragment;
        private boolean hangHandshake;
        private TestPki pki;
        private boolean wrongHost;
        private boolean needClientAuth;

        private Builder(String brokerHost, int brokerPort) {
            this.brokerHost = brokerHost;
            this.brokerPort = brokerPort;
        }

        /** The one path it accepts (others: 404). */
        public Builder path(String p) {
            path = p;
            return this;
        }

        /** Frames towards the client of at most this many bytes (0: as read from the broker). */
        public Builder maxFrame(int bytes) {
            maxFrame = bytes;
            return this;
        }

        /** Gathers the broker's bytes up to this many (or 20 ms of quiet) before framing them. */
        public Builder pack(int bytes) {
            pack = bytes;
            return this;
        }

        /** Sends each gathered chunk as one message in continuation frames (with {@link #maxFrame}). */
        public Builder fragment(boolean f) {
            fragment = f;
            return this;
        }

        /** Never answers the opening handshake. */
        public Builder hangHandshake(boolean hang) {
            hangHandshake = hang;
            return this;
        }

        /** wss with the test CA's server certificate (localhost, 127.0.0.1). */
        public Builder tls(TestPki p) {
            pki = p;
            return this;
        }

        /** With {@link #tls}: the certificate naming {@link TestPki#WRONG_HOST} instead of localhost. */
        public Builder wrongHost(boolean w) {
            wrongHost = w;
            return this;
        }

        /** With {@link #tls}: requires a client certificate issued by the test CA. */
        public Builder requireClientCertificate(boolean need) {
            needClientAuth = need;
            return this;
        }

        public WebSocketBridge start() throws IOException {
            return new WebSocketBridge(this);
        }
    }
}
