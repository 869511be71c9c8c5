package io.umqtt.simple;

import java.io.IOException;
import java.net.Socket;

import io.umqtt.simple.internal.WriteCombiner;

/**
 * One connection's byte stream to the broker, all the rest of the client sees of the network:
 * open within a deadline, read into a buffer with a timeout, write bytes, close. Plain TCP is
 * {@link TcpTransport} (a channel; {@link SocketTransport} on request), TLS {@link TlsTransport},
 * WebSocket {@link WebSocketTransport} (the same methods over its own framing).
 * <p>
 * A transport serves one connection: the client makes a new one for each connect. Threading: the
 * connecting thread {@link #open opens} it; afterwards only the thread holding the client's reader
 * role reads, and only {@link Outbound} writes (under its lock); {@link #close} and
 * {@link #abort} may be called by any thread at any time, and end a blocked open, read or write.
 */
interface Transport extends WriteCombiner.Sink {
    /**
     * Connects to the broker (name lookup, TCP connect, any handshake) by {@code deadline}
     * ({@link System#nanoTime()}); {@code guard} closes the TCP socket if the deadline passes first.
     *
     * @throws io.umqtt.api.MqttException TIMEOUT when a phase does not complete in time
     * @throws IOException when it fails (closed again)
     */
    void open(String server, int port, int timeoutMillis, long deadline, TlsConnector.Deadline guard)
            throws IOException;

    /**
     * Reads into {@code b[off..off+len)} what can be read without blocking; 0 when nothing can
     * (also at the end of stream, which only {@link #read} sees).
     */
    int readAvailable(byte[] b, int off, int len) throws IOException;

    /**
     * Reads at least one byte into {@code b[off..off+len)}, waiting at most {@code timeoutMillis}
     * (0: no limit). Returns the bytes read, 0 when the time passed, -1 at the end of stream.
     */
    int read(byte[] b, int off, int len, int timeoutMillis) throws IOException;

    /**
     * Whether {@link #readAvailable} can miss bytes that arrived (TLS decrypts records only when
     * read): then a poll reads with a short timeout instead.
     */
    boolean pollsByReading();

    /**
     * Writes all of {@code b[off..off+len)}, blocking while the peer does not read (the
     * {@link Outbound} bounds it in time by closing the transport). Called only by
     * {@link Outbound#write} (through its {@link WriteCombiner}, whose sink the transport is).
     */
    @Override
    void write(byte[] b, int off, int len) throws IOException;

    /** Closes the connection; ends a blocked open, read or write. Idempotent, never throws. */
    void close();

    /**
     * Closes the TCP connection under any protocol layer without writing to it (a TLS
     * close_notify would block behind a stalled write); {@link #close()} follows.
     */
    void abort();

    /**
     * The TCP socket the connection runs on (also while it is being opened), or null when the
     * transport has none to hand out ({@link WebSocketTransport}, which bounds its opening itself).
     */
    Socket tcp();

    /**
     * A failure of the opened connection before CONNACK explained from what the transport knows
     * (TLS: a broker refusing the client's certificate after the handshake), or null.
     */
    IOException explainFailure(String server, int port, IOException e);
}
