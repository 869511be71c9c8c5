package io.umqtt.simple;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.internal.WriteWatchdog;

/**
 * The TLS part of {@link MqttClient#connect(boolean, int)} and its deadline: runs the handshake and
 * turns every way it fails into a message an operator can act on (which broker, whether this
 * client presented a client certificate, what the broker did), keeping the original failure as the
 * cause; and bounds the whole connect (TCP connect, TLS handshake, CONNACK) by closing the socket
 * when the connect timeout has passed, since a socket read timeout bounds only each single read.
 * <p>
 * Threading: the static methods run on the connecting thread. {@link Deadline}s are watched by
 * the shared {@link WriteWatchdog} thread, which only closes sockets and ends as soon as nothing
 * is watched.
 */
final class TlsConnector {
    private static final Logger LOG = System.getLogger(TlsConnector.class.getName());
    /** "Received fatal alert: unknown_ca" and the like, as JSSE words an alert from the peer. */
    private static final Pattern RECEIVED_ALERT = Pattern.compile("Received fatal alert: (\\w+)");

    private TlsConnector() {
    }

    /**
     * Wraps the connected {@code plain} socket in TLS and runs the handshake until {@code deadline}
     * ({@link System#nanoTime()}).
     *
     * @throws MqttException TIMEOUT when the handshake does not complete in time
     * @throws IOException when it fails, with what the broker did and whether this client presented
     *         a client certificate named
     */
    static SSLSocket handshake(Socket plain, String server, int port, TlsSettings tls, int timeoutMillis,
            long deadline) throws IOException {
        ClientCertificate presented = new ClientCertificate();
        SSLSocket ssl = (SSLSocket) tls.socketFactory(presented).createSocket(plain, server, port, true);
        SSLParameters params = ssl.getSSLParameters();
        if (tls.verifiesHostname()) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (!isIpLiteral(server)) {
            params.setServerNames(List.of(new SNIHostName(server)));
        }
        ssl.setSSLParameters(params);
        try {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("connect timeout used up before the handshake began");
            }
            ssl.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left))));
            ssl.startHandshake();
        } catch (SocketTimeoutException e) {
            throw handshakeTimeout(server, port, timeoutMillis, e);
        } catch (IOException e) {
            IOException explained = explain(server, port, presented, e, false);
            throw explained != null ? explained : e;
        }
        return ssl;
    }

    /**
     * A TLS connection that failed after a complete handshake and before CONNACK. With TLS 1.3 the
     * client's handshake ends before the broker has checked the client's certificate, so a broker
     * refusing it does so by an alert and a close that reach the client as whatever its next read
     * or write meets: the alert, "Broken pipe", "Connection reset" or end of stream. Returns that
     * failure explained, or null when {@code e} is none of these.
     */
    static IOException explainAfterHandshake(String server, int port, SSLSocket s, IOException e) {
        if (e instanceof MqttException || e instanceof InterruptedIOException) {
            return null;
        }
        ClientCertificate presented = new ClientCertificate();
        try {
            Certificate[] local = s.getSession().getLocalCertificates();
            presented.chosen(local != null && local.length > 0 && local[0] instanceof X509Certificate
                    ? (X509Certificate) local[0] : null);
        } catch (RuntimeException unknown) {
            LOG.log(Level.DEBUG, "no TLS session to tell whether a client certificate was presented", unknown);
        }
        return explain(server, port, presented, e, true);
    }

    /** The timeout of a handshake that the socket timeout or the {@link Deadline} ended. */
    static MqttException handshakeTimeout(String server, int port, int timeoutMillis, IOException e) {
        return new MqttException(Reason.TIMEOUT, "TLS handshake with " + server + ":" + port
                + " did not complete within the connect timeout of " + timeoutMillis + " ms", e);
    }

    /**
     * {@code e} explained when it is the broker refusing the connection (an alert, or closing it)
     * or this client refusing the broker's certificate; else null.
     */
    static IOException explain(String server, int port, ClientCertificate presented, IOException e,
            boolean afterHandshake) {
        String where = afterHandshake
                ? "the TLS connection to broker " + server + ":" + port + " failed after the handshake, before CONNACK: "
                : "TLS handshake with broker " + server + ":" + port + " failed: ";
        String alert = receivedAlert(e);
        if (alert != null) {
            return new IOException(where + "the broker sent the alert " + alert + alertMeaning(alert) + ". "
                    + presented.advice(), e);
        }
        String closed = closedBy(e);
        if (closed != null) {
            return new IOException(where + "the broker closed the connection (" + closed + "). " + presented.advice(),
                    e);
        }
        if (!afterHandshake && find(e, CertificateException.class) != null) {
            return new IOException(where + "this client does not accept the broker's certificate: " + e.getMessage()
                    + ". Check that the trust store holds the CA that signed it"
                    + " and, with host name verification on, that it is issued for " + server, e);
        }
        if (!afterHandshake && e instanceof SSLException) {
            return new IOException(where + e.getMessage(), e);
        }
        return null;
    }

    /** The alert the broker sent, as JSSE names it (e.g. {@code unknown_ca}), or null. */
    private static String receivedAlert(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            Matcher m = RECEIVED_ALERT.matcher(String.valueOf(t.getMessage()));
            if (t instanceof SSLException && m.find()) {
                return m.group(1);
            }
        }
        return null;
    }

    private static String alertMeaning(String alert) {
        switch (alert) {
        case "handshake_failure":
            return " (it found no acceptable way to complete the handshake; brokers also send it when a client "
                    + "certificate they require is missing or not accepted)";
        case "certificate_required":
            return " (it requires a client certificate)";
        case "unknown_ca":
            return " (it does not trust the CA that issued the client certificate)";
        case "bad_certificate":
            return " (it rejected the client certificate: not signed by a CA it trusts, or damaged)";
        case "certificate_unknown":
            return " (it could not accept the client certificate, e.g. not meant for client authentication)";
        case "certificate_expired":
            return " (the client certificate has expired or is not yet valid)";
        case "certificate_revoked":
            return " (the client certificate was revoked)";
        case "protocol_version":
            return " (no TLS version both sides accept)";
        case "decrypt_error":
            return " (a signature did not verify: the client certificate and its key may not match)";
        default:
            return "";
        }
    }

    /** "Broken pipe", "Connection reset" or "end of stream" when the peer closed the connection, else null. */
    private static String closedBy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof SocketException) {
                String lower = m.toLowerCase(Locale.ROOT);
                if (lower.contains("broken pipe")) {
                    return "Broken pipe";
                }
                if (lower.contains("connection reset")) {
                    return "Connection reset";
                }
            }
            if (t instanceof EOFException) {
                return "end of stream";
            }
            if (t instanceof SSLException && m.contains("Remote host terminated the handshake")) {
                return "end of stream";
            }
        }
        return null;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    // ------------------------------------------------------------------ client certificate

    /**
     * Whether this client presented a client certificate in one handshake, and which: known when
     * {@link TlsSettings} built the key managers (it records what they chose) or from the session
     * after a complete handshake; unknown for keys from an application's {@code SSLContext} or the
     * {@code javax.net.ssl.keyStore} system property. Written by the handshaking thread only.
     */
    static final class ClientCertificate {
        private boolean known = true;
        private String unknownBecause;
        private X509Certificate chosen;
        private String keyStore;
        /** The key managers record what they choose, so {@link #asked} is known. */
        private boolean recorded;
        /** The broker asked for a client certificate (a key manager was asked to choose one). */
        private boolean asked;

        /** Whether a certificate was presented cannot be told: the keys come from {@code source}. */
        void unknown(String source) {
            known = false;
            unknownBecause = source;
        }

        void keyStore(String description) {
            keyStore = description;
        }

        void chosen(X509Certificate certificate) {
            known = true;
            chosen = certificate;
        }

        /** What this client presented and what to check, in words for an operator. */
        String advice() {
            if (!known) {
                return "Whether this client presented a client certificate is not known (its keys come from "
                        + unknownBecause + "): if the broker requires one, check that those keys hold a certificate "
                        + "signed by a CA the broker trusts";
            }
            if (chosen == null && recorded && !asked) {
                return "This client presented no client certificate, and the broker had not asked for one: the "
                        + "refusal is likely about something else (TLS versions or cipher suites both sides accept; "
                        + "see the broker's log)";
            }
            if (chosen == null) {
                return "This client presented no client certificate"
                        + (keyStore != null ? " (none in key store " + keyStore + " fits what the broker asked for)"
                                : "")
                        + ": a broker that requires one (mosquitto: require_certificate true) refuses the connection "
                        + "this way; configure a key store with the client's certificate and key";
            }
            return "This client presented the client certificate '" + name(chosen.getSubjectX500Principal())
                    + "' issued by '" + name(chosen.getIssuerX500Principal()) + "'"
                    + (keyStore != null ? " from key store " + keyStore : "")
                    + ": check that the broker trusts the CA that issued it (mosquitto: cafile or capath), and that "
                    + "it is valid and meant for client authentication";
        }

        private static String name(Principal p) {
            return p == null ? "?" : p.getName();
        }

        /** {@code managers} with each X.509 key manager recording the client certificate it chooses. */
        javax.net.ssl.KeyManager[] recording(javax.net.ssl.KeyManager[] managers) {
            recorded = true;
            javax.net.ssl.KeyManager[] result = managers.clone();
            for (int i = 0; i < result.length; i++) {
                if (result[i] instanceof X509KeyManager) {
                    result[i] = new Recorder((X509KeyManager) result[i]);
                }
            }
            return result;
        }

        /** Key managers without keys that record whether the broker asked for a client certificate. */
        javax.net.ssl.KeyManager[] recordingNoKeys() {
            return recording(new javax.net.ssl.KeyManager[] { new NoKeys() });
        }

        /** No key at all. */
        private static final class NoKeys extends X509ExtendedKeyManager {
            @Override
            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return null;
            }

            @Override
            public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                return null;
            }

            @Override
            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return null;
            }

            @Override
            public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                return null;
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return null;
            }

            @Override
            public PrivateKey getPrivateKey(String alias) {
                return null;
            }
        }

        /** Delegates; remembers the certificate of the alias chosen for the client side. */
        private final class Recorder extends X509ExtendedKeyManager {
            private final X509KeyManager delegate;

            Recorder(X509KeyManager delegate) {
                this.delegate = delegate;
            }

            private String record(String alias) {
                asked = true;
                X509Certificate[] chain = alias == null ? null : delegate.getCertificateChain(alias);
                chosen(chain == null || chain.length == 0 ? null : chain[0]);
                return alias;
            }

            @Override
            public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                return record(delegate.chooseClientAlias(keyType, issuers, socket));
            }

            @Override
            public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
                return record(delegate instanceof X509ExtendedKeyManager
                        ? ((X509ExtendedKeyManager) delegate).chooseEngineClientAlias(keyType, issuers, engine)
                        : null);
            }

            @Override
            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return delegate.getClientAliases(keyType, issuers);
            }

            @Override
            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return delegate.getServerAliases(keyType, issuers);
            }

            @Override
            public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                return delegate.chooseServerAlias(keyType, issuers, socket);
            }

            @Override
            public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
                return delegate instanceof X509ExtendedKeyManager
                        ? ((X509ExtendedKeyManager) delegate).chooseEngineServerAlias(keyType, issuers, engine)
                        : null;
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return delegate.getCertificateChain(alias);
            }

            @Override
            public PrivateKey getPrivateKey(String alias) {
                return delegate.getPrivateKey(alias);
            }
        }
    }

    // ------------------------------------------------------------------ deadline

    /**
     * The deadline of one connect: closes the connection's socket when the connect timeout has
     * passed, which ends a blocked TCP connect, TLS handshake or CONNACK read at once. Connect
     * {@link #disarm() disarms} it before it reports success; exactly one of the two wins.
     * Thread-safe. It is watched by the shared {@link WriteWatchdog} thread ({@code umqtt-watchdog},
     * one daemon thread for all clients, running only while a write or a connect is watched), as
     * an operation that must end in time; firing only closes a socket.
     */
    static final class Deadline {
        private static final int ARMED = 0;
        private static final int FIRED = 1;
        private static final int DISARMED = 2;
        private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

        private final AtomicInteger state = new AtomicInteger(ARMED);
        private final WriteWatchdog.Watch watch;
        private volatile Socket socket;

        private Deadline(long delayNanos) {
            watch = WriteWatchdog.register(w -> fire());
            watch.begin(Math.max(0, delayNanos));
        }

        /**
         * A deadline at {@code deadline} ({@link System#nanoTime()}) and a short grace, so that
         * the timeouts of the phases themselves (TCP connect, socket read) usually come first and
         * this is the backstop for what they do not bound (a handshake trickling byte by byte).
         */
        static Deadline at(long deadline) {
            return new Deadline(deadline + GRACE_NANOS - System.nanoTime());
        }

        /** The socket to close at the deadline (closed at once when it has passed already). */
        void watch(Socket s) {
            socket = s;
            if (state.get() == FIRED) {
                closeQuietly(s);
            }
        }

        private void fire() {
            watch.unregister();
            if (state.compareAndSet(ARMED, FIRED)) {
                closeQuietly(socket);
            }
        }

        /**
         * The failure of a connect that this deadline ended, worded as the phase's own timeout
         * would have been.
         *
         * @param tcp the connection's TCP socket, or null
         * @param ready the socket that completed TCP connect and any TLS handshake, or null
         */
        MqttException timeout(String server, int port, int timeoutMillis, Socket tcp, Socket ready, Exception e) {
            IOException cause = e instanceof IOException ? (IOException) e : new IOException(e);
            if (ready != null) {
                return new MqttException(Reason.TIMEOUT, "no CONNACK from " + server + ":" + port + " within "
                        + timeoutMillis + " ms", cause);
            }
            if (tcp != null && tcp.isConnected()) { // TCP was up: only TLS can have been missing
                return handshakeTimeout(server, port, timeoutMillis, cause);
            }
            return new MqttException(Reason.TIMEOUT, "TCP connect to " + server + ":" + port
                    + " did not complete within " + timeoutMillis + " ms", cause);
        }

        /** Whether the deadline passed and closed the socket. */
        boolean expired() {
            return state.get() == FIRED;
        }

        /** Stops the deadline; false when it has fired already (the socket is closed). Idempotent. */
        boolean disarm() {
            if (state.compareAndSet(ARMED, DISARMED)) {
                watch.end();
            }
            watch.unregister();
            return state.get() == DISARMED;
        }

        private static void closeQuietly(Socket s) {
            if (s == null) {
                return;
            }
            try {
                s.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing a socket at the connect deadline failed", e);
            }
        }
    }
}
