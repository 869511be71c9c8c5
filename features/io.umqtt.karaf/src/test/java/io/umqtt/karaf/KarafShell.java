package io.umqtt.karaf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;

/**
 * Runs Karaf console commands over Karaf's SSH server, as {@code ssh -p PORT karaf@127.0.0.1 'command'}
 * would: one exec channel per command, so it needs no terminal and works headless.
 * <p>
 * Karaf closes the SSH session after an exec channel ends, so every command gets a session of its
 * own (roughly 100 ms here, most of it the key exchange). What a command prints and Karaf's error message
 * ({@code Error executing command: ...}) both arrive on the channel's output, without ANSI colours
 * once {@link Result#output()} has stripped them; a failed command ends with exit status 1.
 * <p>
 * A command's return value is not printed in an exec session: Gogo functions that return objects
 * rather than print (Felix SCR's {@code scr:list}) need {@code | cat}.
 * <p>
 * Thread-safe: each {@link #exec} opens its own session on the shared client.
 */
final class KarafShell implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[A-Za-z]");

    /** What a command printed and how it ended. */
    record Result(String command, int exitStatus, String output) {
        boolean ok() {
            return exitStatus == 0 && !output.contains("Error executing command");
        }

        @Override
        public String toString() {
            return "'" + command + "' (exit " + exitStatus + "):\n" + output;
        }
    }

    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final SshClient client;
    private final AtomicLong commands = new AtomicLong();
    private final AtomicLong nanos = new AtomicLong();

    KarafShell(String host, int port, String user, String password) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.client = SshClient.setUpDefaultClient();
        // the test's own Karaf on loopback, with a host key it generated at its first start: nothing to
        // verify the key against (AcceptAllServerKeyVerifier would do the same, with a warning per session)
        client.setServerKeyVerifier((session, address, key) -> true);
        client.start();
    }

    /**
     * Runs one command line (several commands separated by {@code ;} share one console session,
     * e.g. {@code config:edit ...; config:property-set ...; config:update}).
     *
     * @throws IOException when the SSH connection, the login or the channel fails (e.g. Karaf is not
     *         up yet), or the command does not end within {@code timeout}
     */
    Result exec(String command, Duration timeout) throws IOException {
        long started = System.nanoTime();
        commands.incrementAndGet();
        try {
            return execInSession(command, timeout);
        } finally {
            nanos.addAndGet(System.nanoTime() - started);
        }
    }

    private Result execInSession(String command, Duration timeout) throws IOException {
        try (ClientSession session = client.connect(user, host, port).verify(CONNECT_TIMEOUT).getSession()) {
            session.addPasswordIdentity(password);
            session.auth().verify(CONNECT_TIMEOUT);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ClientChannel channel = session.createExecChannel(command)) {
                channel.setOut(out);
                channel.setErr(out);
                channel.open().verify(CONNECT_TIMEOUT);
                Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), timeout);
                if (!events.contains(ClientChannelEvent.CLOSED)) {
                    throw new IOException("'" + command + "' did not end within " + timeout + "; output so far:\n"
                            + text(out));
                }
                Integer status = channel.getExitStatus();
                return new Result(command, status == null ? -1 : status, text(out));
            }
        }
    }

    /** How many commands ran (or were tried) and how long they took together, for the test's timings. */
    String statistics() {
        return commands.get() + " console commands in " + nanos.get() / 1_000_000 + " ms";
    }

    private static String text(ByteArrayOutputStream out) {
        return ANSI.matcher(out.toString(StandardCharsets.UTF_8)).replaceAll("").replace("\r", "");
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
