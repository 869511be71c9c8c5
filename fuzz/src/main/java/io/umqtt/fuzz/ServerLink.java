package io.umqtt.fuzz;

/**
 * The server's side of one stream's connection, as the {@link Driver} sees it: in memory
 * ({@link MemoryTransport.Connection}, the client on its {@code socket} transport) or over real
 * loopback TCP ({@link LoopbackServer.Stream}, the client on its default {@code channel}
 * transport). Used by the driving thread only.
 */
interface ServerLink {
    /**
     * How far the stream has got, for a {@code checkMsg()} reader's progress: the server bytes the
     * client read (in memory) or the server sent (over TCP, and one more once it half-closed).
     */
    long progress();

    /**
     * Whether a {@code checkMsg()} reader that made no progress for {@link Driver#CHECK_IDLE_POLLS}
     * polls and since {@code idleSinceNanos} is given up: at once in memory (every byte has arrived),
     * over TCP only after {@link LoopbackServer#CHECK_IDLE_NANOS} (bytes and the end of stream
     * take time to arrive, and the client probes for the end of stream every 100 ms).
     */
    boolean givesUp(long idleSinceNanos);

    /** Between two {@code checkMsg()} polls that found nothing: nothing in memory, a short park over TCP. */
    void pause();

    /** Why a {@code checkMsg()} reader given up stopped: "all bytes read, ..." or "stopped reading with ...". */
    String stallReason(int dataLength);

    /** Whether the client closed its socket (over TCP: the server saw it within a bounded wait). */
    boolean clientClosed();

    /** Everything the client wrote (over TCP: once the server saw its close, or gave up waiting). */
    byte[] written();

    /** Ends the server's side (over TCP: closes the connection if the client did not, within a bounded wait). */
    void end();
}
