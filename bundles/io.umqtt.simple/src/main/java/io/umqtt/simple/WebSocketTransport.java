package io.umqtt.simple;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import javax.net.ssl.SSLException;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/**
 * {@link Transport} over a WebSocket ({@code ws://} or {@code wss://}, subprotocol {@code mqtt},
 * binary frames) on the JDK's {@code java.net.http} client. To the rest of the client it is a
 * byte stream like TCP: the frames' payloads are read in order whatever their boundaries (an MQTT
 * packet may span frames, a frame may hold several packets), and each {@link #write} is sent as
 * one binary frame.
 * <p>
 * <b>Receiving, with backpressure:</b> the listener asks the WebSocket for one message part at a
 * time. A part that fits into the receive buffer (grown up to {@value #MAX_BUFFER} bytes) is copied
 * there and the next part is asked for at once; a part that does not fit is held as the JDK gave it
 * and the next part is asked for only when the reader has consumed it. So at most the buffer and
 * one part are held, and a reader that stops reading stops the WebSocket reading from the socket
 * (TCP then holds the broker back).
 * <p>
 * <b>Sending:</b> each {@link #write} goes out as one binary frame, or several of at most
 * {@value #MAX_FRAME} bytes (servers limit frame sizes; MQTT packets may span frames), and waits
 * until the JDK has written them, or the transport is closed ({@link Outbound}'s write watchdog
 * closes it when a write makes no progress).
 * <p>
 * <b>Threads:</b> none of its own; the JDK client's selector thread and the shared executor of
 * {@link WebSocketClients} (one client per TLS setting, shared by all connections) run the
 * listener. Threading as in {@link Transport}: the listener and the reader meet under
 * {@link #lock} (the buffer, the held part, the end of the stream), held only to copy bytes.
 * {@link #close} and {@link #abort} end a blocked open, read or write from any thread.
 */
final class WebSocketTransport implements Transport, WebSocket.Listener {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());
    /** The MQTT WebSocket subprotocol (MQTT 3.1.1, section 6). */
    static final String SUBPROTOCOL = "mqtt";
    /** Largest frame sent: a longer write goes out as several binary frames. */
    static final int MAX_FRAME = 32 * 1024;
    /** Largest receive buffer, in bytes. */
    static final int MAX_BUFFER = 32 * 1024;
    private static final int INITIAL_BUFFER = 2 * 1024;
    /** How long a close waits for the broker's close frame before the TCP connection is dropped. */
    private static final long CLOSE_GRACE_MILLIS = 1_000;
    /** Set, the JDK's HTTP client checks no host names at all (a JVM-wide switch). */
    static final String DISABLE_HOSTNAME_PROPERTY = "jdk.internal.httpclient.disableHostnameVerification";

    private final TlsSettings tls;
    private final String path;
    /** The HTTP proxy (unresolved), or null for the JVM's default proxy selector. */
    private final java.net.InetSocketAddress proxy;
    /** Completed by close/abort: ends a blocked open and write. */
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile WebSocket ws;
    private volatile URI uri;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    // guarded by lock
    private byte[] buf = new byte[0];
    private int head;
    private int tail;
    /** A part that did not fit into {@link #buf}, as the JDK gave it, and its release. */
    private ByteBuffer held;
    private CompletableFuture<Void> heldDone;
    /** The broker closed (or the connection failed): read returns -1 once the buffer is empty. */
    private boolean ended;
    private IOException failure;
    private boolean closedLocally;
    /** A held part was consumed: the next is asked for once the lock is released. */
    private boolean requestDue;
    private CompletableFuture<Void> releaseDue;

    /**
     * @param tls the TLS settings for {@code wss}, or null for {@code ws}
     * @param path the request path (with any query), starting with {@code /}
     */
    WebSocketTransport(TlsSettings tls, String path) {
        this(tls, path, null);
    }

    /**
     * @param tls the TLS settings for {@code wss}, or null for {@code ws}
     * @param path the request path (with any query), starting with {@code /}
     * @param proxy the HTTP proxy to tunnel through (unresolved), or null for the JVM's default proxy selector
     */
    WebSocketTransport(TlsSettings tls, String path, java.net.InetSocketAddress proxy) {
        this.tls = tls;
        this.path = path;
        this.proxy = proxy;
    }

    /** " through HTTP proxy host:port" when a proxy is set, else "", for messages. */
    private String via() {
        return proxy == null ? "" : " through HTTP proxy " + proxy.getHostString() + ":" + proxy.getPort();
    }

    /** The URI of a WebSocket connection to {@code host:port} with {@code path}. */
    static URI uri(boolean secure, String host, int port, String path) {
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return URI.create((secure ? "wss://" : "ws://") + h + ":" + port + path);
    }

    @Override
    public void open(String server, int port, int timeoutMillis, long deadline, TlsConnector.Deadline guard)
            throws IOException {
        URI target = uri(tls != null, server, port, path);
        uri = target;
        if (tls != null && tls.verifiesHostname() && System.getProperty(DISABLE_HOSTNAME_PROPERTY) != null) {
            throw new IOException("cannot connect to " + target + " with host name verification: this JVM runs with "
                    + "the system property " + DISABLE_HOSTNAME_PROPERTY + ", which turns it off for every WebSocket "
                    + "connection; remove the property, or turn host name verification off for this connection");
        }
        HttpClient client = WebSocketClients.get(tls, proxy, target.toString());
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw timeout(target, timeoutMillis, null);
        }
        CompletableFuture<WebSocket> opening = client.newWebSocketBuilder()
                .subprotocols(SUBPROTOCOL)
                .connectTimeout(Duration.ofNanos(left))
                .buildAsync(target, this);
        // a WebSocket opened after a timeout or a close is dropped at once
        opening.thenAccept(w -> {
            if (closed.isDone()) {
                w.abort();
            }
        });
        try {
            CompletableFuture.anyOf(opening, closed).get(Math.max(1, deadline - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            close();
            throw timeout(target, timeoutMillis, e);
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting to " + target);
        } catch (ExecutionException | CancellationException e) {
            close();
            throw explainOpen(target, timeoutMillis, e.getCause() != null ? e.getCause() : e);
        }
        if (!opening.isDone()) { // closed meanwhile
            throw new SocketException("WebSocket connection to " + target + " was closed while connecting");
        }
        WebSocket w = opening.getNow(null);
        attach(w);
        if (closed.isDone()) {
            w.abort();
            throw new SocketException("WebSocket connection to " + target + " was closed while connecting");
        }
        String protocol = w.getSubprotocol();
        if (!protocol.isEmpty() && !SUBPROTOCOL.equals(protocol)) {
            close();
            throw new IOException("WebSocket server " + target + " chose the subprotocol '" + protocol + "', not '"
                    + SUBPROTOCOL + "'");
        }
    }

    /** Uses the opened {@code w} (also the tests' way in, with a WebSocket of their own). */
    void attach(WebSocket w) {
        ws = w;
    }

    private MqttException timeout(URI target, int timeoutMillis, Exception cause) {
        return new MqttException(Reason.TIMEOUT, "WebSocket connect to " + target + via() + " did not complete within "
                + timeoutMillis + " ms", cause);
    }

    /** A failed opening handshake in words an operator can act on. */
    private IOException explainOpen(URI target, int timeoutMillis, Throwable e) {
        Throwable cause = e;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof WebSocketHandshakeException) {
            int status = ((WebSocketHandshakeException) cause).getResponse().statusCode();
            String hint = status == 404 ? " (no WebSocket endpoint at " + target.getRawPath()
                    + ": check the path, websocket.path)"
                    : status == 101 ? " (the broker accepted the upgrade but its answer is not a valid WebSocket "
                            + "handshake for subprotocol '" + SUBPROTOCOL + "')"
                    : status == 401 || status == 403 ? " (the server requires authorisation)"
                    : status == 407 ? " (the HTTP proxy requires authentication, which this client does not answer: "
                            + "use a proxy that lets it through, or a JVM-wide java.net.Authenticator)"
                    : "";
            return new IOException("WebSocket handshake with " + target + via() + " refused: HTTP " + status + hint,
                    cause);
        }
        if (cause instanceof HttpTimeoutException) {
            return timeout(target, timeoutMillis, (Exception) cause);
        }
        if (cause instanceof ConnectException && proxy != null) {
            // the JDK connects to the proxy only: it is the proxy that is not there
            return new ConnectException("WebSocket connect to " + target + via() + " failed: the proxy refused the "
                    + "connection (" + (cause.getMessage() == null ? "connection refused" : cause.getMessage())
                    + "; is it listening there?)");
        }
        String message = String.valueOf(cause.getMessage());
        if (proxy != null && cause instanceof IOException && message.startsWith("Tunnel failed")) {
            // the JDK's words for a CONNECT answered with a status other than 200 (and 407)
            return new IOException("WebSocket connect to " + target + via() + " failed: the proxy refused the tunnel "
                    + "(CONNECT " + target.getHost() + ":" + target.getPort() + "): " + message, cause);
        }
        if (cause instanceof ConnectException) {
            return new ConnectException("WebSocket connect to " + target + " failed: "
                    + (cause.getMessage() == null ? "connection refused" : cause.getMessage()));
        }
        SSLException ssl = find(cause, SSLException.class);
        if (ssl != null) {
            TlsConnector.ClientCertificate presented = new TlsConnector.ClientCertificate();
            String source = tls.clientKeySource();
            if (source != null) {
                presented.unknown(source);
            }
            IOException explained = TlsConnector.explain(target.getHost(), target.getPort(), presented, ssl, false);
            return explained != null ? explained
                    : new IOException("TLS handshake with " + target + " failed: " + ssl.getMessage(), ssl);
        }
        if (cause instanceof IOException && String.valueOf(cause.getMessage()).contains("received no bytes")) {
            // Moquette, for one, closes the connection on a wrong path without an HTTP answer
            return new IOException("WebSocket connect to " + target + " failed: the server closed the connection "
                    + "without answering the opening handshake (is it a WebSocket endpoint, and is the path "
                    + target.getRawPath() + " right? websocket.path)", cause);
        }
        if (cause instanceof IOException) {
            return new IOException("WebSocket connect to " + target + via() + " failed: " + cause.getMessage(), cause);
        }
        return new IOException("WebSocket connect to " + target + via() + " failed: " + cause, cause);
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ listener (JDK threads)

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        int n = data.remaining();
        CompletableFuture<Void> release = null;
        lock.lock();
        try {
            if (closedLocally || failure != null) {
                return null;
            }
            if (held == null && fits(n)) {
                data.get(buf, tail, n);
                tail += n;
            } else {
                held = data;
                heldDone = release = new CompletableFuture<>();
            }
            readable.signalAll();
        } finally {
            lock.unlock();
        }
        if (release == null) {
            webSocket.request(1); // copied: the next part may come
        }
        return release;
    }

    /** Makes room for {@code n} bytes at {@link #tail} if the buffer can hold them; caller holds the lock. */
    private boolean fits(int n) {
        if (buf.length - tail >= n) {
            return true;
        }
        int used = tail - head;
        if (used + n > MAX_BUFFER) {
            return false;
        }
        if (buf.length < used + n) {
            byte[] bigger = new byte[Math.min(MAX_BUFFER, Math.max(INITIAL_BUFFER, Math.max(buf.length * 2, used + n)))];
            System.arraycopy(buf, head, bigger, 0, used);
            buf = bigger;
        } else {
            System.arraycopy(buf, head, buf, 0, used);
        }
        head = 0;
        tail = used;
        return true;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        fail(new IOException("the broker at " + uri + " sent a text frame: MQTT over WebSocket uses binary frames "
                + "only (MQTT 3.1.1 section 6)"));
        webSocket.abort();
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        webSocket.request(1); // the JDK answers with a Pong itself
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        lock.lock();
        try {
            ended = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
        LOG.log(Level.DEBUG, () -> "WebSocket " + uri + " closed by the broker: " + statusCode
                + (reason.isEmpty() ? "" : " " + reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        fail(error instanceof IOException ? new IOException("WebSocket connection to " + uri + " failed: "
                + error.getMessage(), error) : new IOException("WebSocket connection to " + uri + " failed: " + error,
                        error));
    }

    private void fail(IOException e) {
        lock.lock();
        try {
            if (failure == null) {
                failure = e;
            }
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ reader

    @Override
    public int readAvailable(byte[] b, int off, int len) throws IOException {
        lock.lock();
        try {
            return take(b, off, len);
        } finally {
            unlockAndRequest();
        }
    }

    /** Releases the lock, then asks for the next part if the reader consumed a held one (no JDK call under the lock). */
    private void unlockAndRequest() {
        boolean due = requestDue;
        CompletableFuture<Void> release = releaseDue;
        requestDue = false;
        releaseDue = null;
        lock.unlock();
        if (release != null) {
            release.complete(null);
        }
        WebSocket w = ws;
        if (due && w != null) {
            w.request(1);
        }
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        long nanos = timeoutMillis == 0 ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (true) {
                int n = take(b, off, len);
                if (n > 0) {
                    return n;
                }
                if (closedLocally) {
                    throw new SocketException("WebSocket closed");
                }
                if (failure != null) {
                    throw new IOException(failure.getMessage(), failure);
                }
                if (ended) {
                    return -1;
                }
                if (nanos <= 0) {
                    return 0;
                }
                try {
                    nanos = timeoutMillis == 0 ? readableAwait() : readable.awaitNanos(nanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading from " + uri);
                }
            }
        } finally {
            unlockAndRequest();
        }
    }

    private long readableAwait() throws InterruptedException {
        readable.await();
        return Long.MAX_VALUE;
    }

    /** Copies what is buffered (then the held part) into {@code b}; caller holds the lock. */
    private int take(byte[] b, int off, int len) {
        int n = 0;
        if (tail > head) {
            n = Math.min(len, tail - head);
            System.arraycopy(buf, head, b, off, n);
            head += n;
            if (head == tail) {
                head = 0;
                tail = 0;
            }
        }
        if (n < len && held != null) {
            int m = Math.min(len - n, held.remaining());
            held.get(b, off + n, m);
            n += m;
            if (!held.hasRemaining()) {
                CompletableFuture<Void> done = heldDone;
                held = null;
                heldDone = null;
                releaseDue = done; // gives the JDK its buffer back, after unlocking
                requestDue = true; // the held part is consumed: the next may come (asked for after unlocking)
            }
        }
        return n;
    }

    @Override
    public boolean pollsByReading() {
        return false; // what arrived is in the buffer, where readAvailable sees it
    }

    // ------------------------------------------------------------------ writer

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        // servers limit the frame size (Netty's default: 64 KiB); MQTT packets may span frames
        for (int done = 0; done < len; done += MAX_FRAME) {
            writeFrame(b, off + done, Math.min(MAX_FRAME, len - done));
        }
    }

    /** Sends one binary frame and waits until it is written or the transport is closed. */
    private void writeFrame(byte[] b, int off, int len) throws IOException {
        WebSocket w = ws;
        if (w == null || closed.isDone()) {
            throw new SocketException("WebSocket closed");
        }
        CompletableFuture<WebSocket> sent;
        try {
            sent = w.sendBinary(ByteBuffer.wrap(b, off, len), true);
        } catch (IllegalStateException e) {
            throw new IOException("WebSocket to " + uri + " cannot send: " + e.getMessage(), e);
        }
        try {
            CompletableFuture.anyOf(sent, closed).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new InterruptedIOException("interrupted while writing to " + uri);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IOException("WebSocket write to " + uri + " failed: " + cause.getMessage(), cause);
        }
        if (!sent.isDone()) {
            throw new SocketException("WebSocket closed while writing");
        }
        if (sent.isCompletedExceptionally()) {
            try {
                sent.join();
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                throw new IOException("WebSocket write to " + uri + " failed: " + cause.getMessage(), cause);
            }
        }
    }

    // ------------------------------------------------------------------ close

    @Override
    public void close() {
        if (!markClosed()) {
            return;
        }
        WebSocket w = ws; // read after marking: open() aborts what it sets after the mark
        if (w == null) {
            return; // not open: the opening is dropped when it completes
        }
        if (w.isOutputClosed()) {
            w.abort();
            return;
        }
        try {
            // the closing handshake; the TCP connection is dropped once the broker answered, or after a grace
            w.sendClose(WebSocket.NORMAL_CLOSURE, "").whenComplete((x, e) -> CompletableFuture.runAsync(w::abort,
                    CompletableFuture.delayedExecutor(CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS,
                            WebSocketClients.EXECUTOR)));
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "WebSocket close frame not sent", e);
            w.abort();
        }
    }

    @Override
    public void abort() {
        markClosed();
        WebSocket w = ws;
        if (w != null) {
            w.abort();
        }
    }

    /** Ends blocked reads and writes; false when already closed. */
    private boolean markClosed() {
        CompletableFuture<Void> release;
        lock.lock();
        try {
            if (closedLocally) {
                return false;
            }
            closedLocally = true;
            release = heldDone;
            held = null;
            heldDone = null;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
        if (release != null) {
            release.complete(null);
        }
        closed.complete(null);
        return true;
    }

    /** A WebSocket has no socket of its own to hand out: null. */
    @Override
    public Socket tcp() {
        return null;
    }

    @Override
    public IOException explainFailure(String server, int port, IOException e) {
        return null;
    }

    /** The connection's URI (once opening), for messages and tests. */
    URI uri() {
        return uri;
    }
}
