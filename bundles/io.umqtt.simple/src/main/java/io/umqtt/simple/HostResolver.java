package io.umqtt.simple;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/**
 * Looks up a broker's host name within the connect timeout. {@link InetAddress#getByName} blocks
 * for as long as the system's resolver takes and cannot be interrupted, so a name (not an IP
 * literal) is looked up on a shared daemon thread, {@code umqtt-dns}, while the connecting thread
 * waits at most until its deadline. A lookup that outlives the deadline is left to finish on its
 * own thread; the threads end 10 s after their last lookup, so nothing lingers.
 */
final class HostResolver {
    private static final long IDLE_SECONDS = 10;
    private static final ExecutorService LOOKUPS = lookups();

    private HostResolver() {
    }

    private static ExecutorService lookups() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_SECONDS, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "umqtt-dns");
                    t.setDaemon(true);
                    return t;
                });
        return pool;
    }

    /**
     * The address of {@code host:port}, looked up before {@code deadline} ({@link System#nanoTime()}).
     *
     * @throws UnknownHostException "unknown host X: the name does not resolve (...)" naming the host
     *         and port, with the resolver's exception as the cause
     * @throws MqttException {@link Reason#TIMEOUT} when the lookup did not complete by the deadline
     */
    static InetSocketAddress resolve(String host, int port, int timeoutMillis, long deadline) throws IOException {
        if (isIpLiteral(host)) {
            return new InetSocketAddress(host, port); // parsed, no lookup
        }
        Future<InetAddress> lookup = LOOKUPS.submit(() -> InetAddress.getByName(host));
        try {
            return new InetSocketAddress(lookup.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS),
                    port);
        } catch (TimeoutException e) {
            lookup.cancel(true);
            throw new MqttException(Reason.TIMEOUT, "DNS lookup of " + host + " did not complete within the connect "
                    + "timeout of " + timeoutMillis + " ms (connecting to " + host + ":" + port + ")", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UnknownHostException) {
                UnknownHostException unknown = new UnknownHostException("unknown host " + host
                        + ": the name does not resolve (connecting to " + host + ":" + port + ")");
                unknown.initCause(cause);
                throw unknown;
            }
            throw new IOException("DNS lookup of " + host + " failed (connecting to " + host + ":" + port + "): "
                    + cause, cause);
        } catch (InterruptedException e) {
            lookup.cancel(true);
            Thread.currentThread().interrupt();
            InterruptedIOException stop = new InterruptedIOException("connect to " + host + ":" + port
                    + " interrupted during the DNS lookup");
            stop.initCause(e);
            throw stop;
        }
    }

    /** Whether {@code host} is an IPv4 or IPv6 literal, which {@link InetSocketAddress} parses without a lookup. */
    static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true; // IPv6 (a host name cannot contain ':')
        }
        int dots = 0;
        int digits = 0;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c == '.') {
                if (digits == 0) {
                    return false;
                }
                dots++;
                digits = 0;
            } else if (c >= '0' && c <= '9' && ++digits <= 3) {
                continue;
            } else {
                return false;
            }
        }
        return dots == 3 && digits > 0;
    }
}
