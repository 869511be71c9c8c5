package io.umqtt.simple;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/**
 * The client's keepalive: when the last packet was sent and received, whether a PINGREQ awaits
 * its PINGRESP, and what to do about it. It has no thread: the reader asks it while it waits
 * ({@link #due}), which sends a PINGREQ before a keepalive passes without a packet sent (a
 * twentieth of it early, at most 1 s), or a keepalive after the last packet received, and declares the
 * connection dead after 1.5 &times; keepalive without any packet received.
 * <p>
 * Threading: the times and the flag are volatile; {@code lastSentNanos} is written by
 * {@link Outbound} (under its lock), {@code lastReceivedNanos} by the reader, the flag by both.
 */
final class KeepAlive {
    private final MqttClient client;
    /** The keepalive in force: the client's, or on MQTT 5 the server's (set before each connection). */
    private volatile int seconds;

    volatile long lastSentNanos;
    volatile long lastReceivedNanos;
    volatile boolean pingOutstanding;

    KeepAlive(MqttClient client, int seconds) {
        this.client = client;
        this.seconds = seconds;
    }

    /** The keepalive of the next connection (MQTT 5: the server's Server Keep Alive replaces the client's). */
    void use(int keepAliveSeconds) {
        seconds = keepAliveSeconds;
    }

    /** The keepalive in force, seconds. */
    int seconds() {
        return seconds;
    }

    /** A connection begins at {@code now}. */
    void connected(long now) {
        lastReceivedNanos = now;
        pingOutstanding = false;
    }

    /**
     * Does what keepalive needs now: declares the connection dead, or sends a PINGREQ. Returns
     * the nanoseconds until it next needs to act (Long.MAX_VALUE when keepalive is off). Reader only.
     */
    long due(long now) throws IOException {
        if (seconds == 0) {
            return Long.MAX_VALUE;
        }
        long ka = TimeUnit.SECONDS.toNanos(seconds);
        long dead = ka + ka / 2;
        long sinceReceived = now - lastReceivedNanos;
        if (sinceReceived >= dead) {
            throw client.fail(new MqttException(Reason.TIMEOUT, "no packet from " + client.settings.broker() + " for "
                    + TimeUnit.NANOSECONDS.toMillis(sinceReceived) + " ms (1.5 x keepalive of "
                    + seconds + " s): connection declared dead"));
        }
        // MQTT 3.1.1 section 3.1.2.10 / MQTT 5 section 3.1.2.10: the interval between packets sent
        // must not exceed the keepalive, so the PINGREQ goes out a little before it (a twentieth, at
        // most 1 s): the reader's wake-up and the write take their milliseconds after this decision
        long sendBy = ka - Math.min(ka / 20, TimeUnit.SECONDS.toNanos(1));
        long sinceSent = now - lastSentNanos;
        if (sinceSent >= sendBy || (sinceReceived >= ka && !pingOutstanding)) {
            client.ping();
            sinceSent = 0;
        }
        long next = dead - sinceReceived;
        next = Math.min(next, sendBy - sinceSent);
        if (!pingOutstanding) {
            next = Math.min(next, ka - sinceReceived);
        }
        return Math.max(next, TimeUnit.MILLISECONDS.toNanos(1));
    }
}
