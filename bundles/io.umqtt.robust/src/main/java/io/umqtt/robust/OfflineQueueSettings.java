package io.umqtt.robust;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The offline queue of a {@link RobustMqttClient}, given when it is constructed
 * ({@link RobustMqttClient#RobustMqttClient(String, String, int, String, String, int,
 * io.umqtt.simple.TlsSettings, OfflineQueueSettings)}) so that the queue is built once: its bounds,
 * what happens when it is full, and optionally the directory that keeps it on disk. Immutable.
 *
 * @since 1.4
 */
public final class OfflineQueueSettings {
    /**
     * {@value RobustMqttClient#DEFAULT_QUEUE_MESSAGES} messages, 10 MiB, dropping the oldest, in
     * memory only.
     */
    public static final OfflineQueueSettings DEFAULT = new OfflineQueueSettings(
            RobustMqttClient.DEFAULT_QUEUE_MESSAGES, RobustMqttClient.DEFAULT_QUEUE_BYTES, OverflowPolicy.DROP_OLDEST,
            null);

    private final int maxMessages;
    private final long maxBytes;
    private final OverflowPolicy overflow;
    private final Path directory;

    private OfflineQueueSettings(int maxMessages, long maxBytes, OverflowPolicy overflow, Path directory) {
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.overflow = overflow;
        this.directory = directory;
    }

    /**
     * A queue in memory with these bounds.
     *
     * @param maxMessages 0 disables queueing (publishes while disconnected are refused)
     * @param maxBytes the sum of topic and payload lengths it may hold
     * @throws IllegalArgumentException for a negative bound or a null policy
     */
    public static OfflineQueueSettings of(int maxMessages, long maxBytes, OverflowPolicy overflow) {
        if (maxMessages < 0) {
            throw new IllegalArgumentException("offline queue capacity must be >= 0 messages, found " + maxMessages);
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("offline queue capacity must be >= 0 bytes, found " + maxBytes);
        }
        if (overflow == null) {
            throw new IllegalArgumentException("overflow policy must not be null");
        }
        return new OfflineQueueSettings(maxMessages, maxBytes, overflow, null);
    }

    /**
     * The same queue kept on disk in {@code directory} (created if needed; null: in memory only),
     * so that messages queued while disconnected survive a restart or a crash of the JVM. The
     * client opens and locks it when it is constructed.
     * <p>
     * What the directory holds from an earlier run is loaded first, in order, and sent after the
     * connect, before what is queued now; it counts as queued ({@link RobustMqttClient#queued()},
     * {@link RobustMqttClient#queuedTotal()}), and the queue's bounds and overflow policy apply to
     * it. Every message the queue accepts is written to the file before {@code publish} returns
     * (to the operating system: it survives the JVM being killed), and removed once sent at QoS 0
     * or acknowledged at QoS 1; messages dropped by the overflow policy are removed too. The file
     * is forced to the device (fsync) when a segment file is full, at most once a second while
     * messages are queued, and on {@code close()} / {@code disconnect()}: a power loss can lose the
     * messages of the last second. A record torn by a crash or failing its CRC is skipped with a
     * warning naming the file; the ones before it are loaded. Disk use stays near the queue's byte
     * bound plus one segment (at most 8 MiB); with nothing queued the directory holds only its
     * lock file.
     * <p>
     * One client at a time may use a directory: it is locked until {@code close()} or
     * {@code disconnect()}, which release it (and every file handle); a later {@code connect} or
     * {@code start} locks it again. A message sent but not yet acknowledged when the process ends
     * is sent again by the next run: at least once.
     */
    public OfflineQueueSettings withDirectory(Path directory) {
        return new OfflineQueueSettings(maxMessages, maxBytes, overflow, directory);
    }

    public int maxMessages() {
        return maxMessages;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public OverflowPolicy overflow() {
        return overflow;
    }

    /** The directory keeping the queue on disk, or null: in memory only. */
    public Path directory() {
        return directory;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof OfflineQueueSettings)) {
            return false;
        }
        OfflineQueueSettings s = (OfflineQueueSettings) o;
        return maxMessages == s.maxMessages && maxBytes == s.maxBytes && overflow == s.overflow
                && Objects.equals(directory, s.directory);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxMessages, maxBytes, overflow, directory);
    }

    @Override
    public String toString() {
        return "offline queue of " + maxMessages + " messages, " + maxBytes + " bytes, " + overflow
                + (directory != null ? ", kept in " + directory : ", in memory");
    }
}
