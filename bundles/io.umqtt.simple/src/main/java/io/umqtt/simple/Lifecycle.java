package io.umqtt.simple;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/**
 * The connection's life: connect (transport, CONNECT, CONNACK within one deadline), disconnect,
 * close, and the loss of the connection ({@link #fail}). Owns the connection state with the
 * failure (fields of the client, guarded by the client's lock) and the current {@link Transport}.
 * <p>
 * Threading: {@code connect} runs on the calling thread, which holds the reader role from before
 * CONNECT is encoded until CONNACK is read; {@code disconnect}, {@code close} and {@code fail} may
 * be called by any thread at any time. State changes are made under the client's lock; sockets
 * are closed and DISCONNECT is written after it is released. Lock order: {@code Outbound.writeLock}
 * before the client's lock.
 */
final class Lifecycle {
    private final MqttClient c;
    /** The current connection, from the start of its connect; replaced under the client's lock. */
    volatile Transport transport;
    /**
     * The transport a {@link #disconnect()} is sending DISCONNECT on, which {@link #close} and a concurrent
     * {@code disconnect()} leave to it (it closes the socket after its DISCONNECT). Set under the client's lock.
     */
    private volatile Transport disconnectingOn;

    Lifecycle(MqttClient client) {
        this.c = client;
    }

    /** See {@link MqttClient#connect(boolean, int)}. */
    boolean connect(boolean cleanSession, int timeoutMillis) throws IOException {
        Settings.positive("timeout", timeoutMillis);
        if (!cleanSession && c.settings.clientId.isEmpty() && Session5.protocolVersion(c) != 5) {
            throw new IllegalArgumentException("cannot connect to " + c.settings.broker() + " without clean session: "
                    + "the client id is empty, and MQTT 3.1.1 allows an empty client id only with clean session "
                    + "(MQTT-3.1.3-7); give the client an id to keep a session");
        }
        c.settings.checkPasswordNeedsUser(Session5.protocolVersion(c));
        Session5 s5 = c.session5; // MQTT 5, null on a client that never needed it
        AuthExchange.Start auth = s5 == null ? null : s5.auth.prepare(); // sub5: enhanced authentication, null without
        byte[] connect = takeReaderToConnect(cleanSession, timeoutMillis, auth);
        s5 = c.session5; // the one the CONNECT was made with (once made, it stays)
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        TlsConnector.Deadline guard = TlsConnector.Deadline.at(deadline); // closes the socket when time is up
        String server = c.settings.server;
        int port = c.settings.port;
        Transport t = null;
        boolean opened = false;
        try {
            String webSocketPath = c.settings.webSocketPath;
            t = webSocketPath != null ? new WebSocketTransport(c.settings.tls, webSocketPath,
                    c.settings.webSocketProxy)
                    : c.settings.tls == null ? TcpTransport.plain() : new TlsTransport(c.settings.tls);
            synchronized (c.lock) {
                checkStillConnecting("aborted: the client was closed");
                transport = t; // so that close() and disconnect() can abort the TCP connect and the handshake
            }
            t.open(server, port, timeoutMillis, deadline, guard);
            opened = true;
            c.reader.reset(t);
            c.inbound.reset();
            c.inbound.qos2.forgetReceived(c.inboundAcks.connecting(cleanSession)); // QoS 2 never acknowledged: deliver its resend
            synchronized (c.lock) {
                checkStillConnecting("aborted: the client was closed");
                c.outbound.attach(t);
            }
            long now = System.nanoTime();
            c.keepAlive.connected(now);
            long left = Math.max(deadline - now, TimeUnit.MILLISECONDS.toNanos(1));
            // from now on a disconnect() sends DISCONNECT: the will must not fire
            long writeTimeout = TimeUnit.MILLISECONDS.toNanos(c.settings.writeTimeoutMillis);
            c.outbound.writeConnect(t, connect, Math.min(left, writeTimeout));
            int total;
            while (true) {
                total = c.reader.readPacket(PacketReader.CONNACK, deadline, false);
                if (total == 0) {
                    throw new MqttException(Reason.TIMEOUT, "no CONNACK from " + server + ":" + port + " within "
                            + timeoutMillis + " ms");
                }
                if (c.reader.headType() != PacketType.AUTH) { // AUTH is framed only on MQTT 5
                    break;
                }
                c.inbound.mqtt5().readAuth(total); // sub5: a step of the enhanced authentication, answered
            }
            boolean sessionPresent;
            try {
                sessionPresent = c.inbound.readConnack(total, cleanSession);
            } catch (MqttException refused) {
                // sub5: 0x8C after an authentication: AUTHENTICATION_FAILED
                throw s5 == null ? refused : s5.auth.refused(refused);
            }
            if (Session5.v5(c)) {
                ServerSettings s = s5.server; // sub5: a success must name the method; the final data
                s5.auth.connack(s.authenticationMethod(), s.authenticationData());
            }
            if (!guard.disarm()) {
                throw new SocketException("connect deadline passed");
            }
            synchronized (c.lock) {
                if (c.state != ConnectionState.CONNECTING) {
                    throw new IOException("connection to " + server + ":" + port + " was closed while connecting");
                }
                c.state = ConnectionState.CONNECTED;
            }
            return sessionPresent;
        } catch (IOException | RuntimeException e) {
            // a WebSocket (no TCP socket of its own) bounds its opening itself and words its timeouts
            IOException explained = guard.expired() && !(e instanceof MqttException) && (t == null || t.tcp() != null)
                    ? guard.timeout(server, port, timeoutMillis, t == null ? null : t.tcp(), opened ? t.tcp() : null, e)
                    : opened && e instanceof IOException ? t.explainFailure(server, port, (IOException) e) : null;
            IOException cause = explained != null ? explained : e instanceof IOException ? (IOException) e
                    : new IOException("connect to " + server + ":" + port + " failed: " + e, e);
            if (explained != null) {
                synchronized (c.lock) {
                    if (c.failure == e) { // the failed write or read recorded it already: tell the cause there too
                        c.failure = explained;
                    }
                }
            }
            fail(cause);
            if (s5 != null) {
                s5.auth.connectionEnded(cause); // sub5: an exchange under way failed
            }
            boolean closer;
            synchronized (c.lock) {
                // disconnect() or close() came meanwhile: it closes this connection (after its DISCONNECT)
                closer = c.state == ConnectionState.CLOSED && transport == t && opened;
            }
            if (!closer) {
                if (t != null) {
                    t.close();
                }
                c.outbound.detach();
            }
            if (explained != null) {
                throw explained;
            }
            throw e;
        } finally {
            guard.disarm();
            c.readers.release(true);
        }
    }

    /** Throws, saying {@code why}, unless the connect under way may go on (takes the client's lock). */
    void checkStillConnecting(String why) throws IOException {
        synchronized (c.lock) {
            if (c.state != ConnectionState.CONNECTING) {
                throw new IOException("connect to " + c.settings.broker() + " " + why);
            }
        }
    }

    /**
     * Waits until the previous connection's reader, if any, has left (it leaves as soon as it sees
     * the closed socket), then takes the reader role, moves to CONNECTING and encodes CONNECT.
     */
    private byte[] takeReaderToConnect(boolean cleanSession, int timeoutMillis, AuthExchange.Start auth)
            throws IOException {
        Thread me = Thread.currentThread();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        ReaderRole readers = c.readers;
        ReaderRole.Waiter w = null;
        try {
            while (true) {
                String previous;
                synchronized (c.lock) {
                    if (c.state == ConnectionState.CONNECTED || c.state == ConnectionState.CONNECTING) {
                        throw new IllegalStateException("already " + c.state.name().toLowerCase() + " to "
                                + c.settings.broker());
                    }
                    if (readers.reader == null) {
                        c.state = ConnectionState.CONNECTING;
                        c.failure = null;
                        readers.reader = me;
                        if (c.session5 != null) {
                            c.session5.auth.begin(auth); // sub5: the method and initial data go into CONNECT
                        }
                        return Session5.connectPacket(c, cleanSession); // MQTT 3.1.1 or 5
                    }
                    previous = readers.reader.getName();
                    if (w == null) {
                        w = readers.enqueue(me, null);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("a loop step of the previous connection is still running in "
                            + previous);
                }
                LockSupport.parkNanos(c, left);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while the previous connection's reader finishes");
                }
            }
        } finally {
            if (w != null) {
                readers.leave(w);
            }
        }
    }

    /** See {@link MqttClient#disconnect()}. */
    void disconnect() throws IOException {
        disconnect(null);
    }

    /** See {@link MqttClient#disconnect(int)}: {@code packet} the MQTT 5 DISCONNECT, null for the plain one. */
    void disconnect(byte[] packet) throws IOException {
        IOException writeFailure = null;
        boolean connected;
        boolean connecting;
        Transport writingOn = null;
        synchronized (c.lock) {
            // CLOSED before DISCONNECT goes out: the broker then closing the socket is no loss
            connected = c.state == ConnectionState.CONNECTED;
            connecting = c.state == ConnectionState.CONNECTING;
            if (connected || connecting) {
                c.state = ConnectionState.CLOSED;
                // set under the lock: a disconnect() or close() that finds CLOSED next leaves this socket to us
                writingOn = transport;
                disconnectingOn = writingOn;
            }
        }
        if (connected || connecting) {
            try {
                // while connecting: only after CONNECT
                if (packet == null) {
                    c.outbound.writeDisconnect(connected);
                } else {
                    c.outbound.writeDisconnect(connected, packet);
                }
            } catch (IOException e) {
                writeFailure = e;
            }
        }
        // nothing connected or connecting above: a connect() begun since is after this disconnect(), and closing
        // it here (its CONNECT may be on the wire, no DISCONNECT follows) would make the broker publish the will.
        // Nor is the socket closed here when another disconnect() is writing its DISCONNECT on it (two threads
        // disconnecting at once, e.g. a connecting thread undoing its connect while the owner releases the
        // client): closing it would fail that write ("Socket closed"); that disconnect() closes it after.
        boolean sending = connected || connecting;
        closeConnection(new IOException("client disconnected from " + c.settings.broker()), sending, !sending);
        if (sending) {
            synchronized (c.lock) {
                if (disconnectingOn == writingOn) {
                    disconnectingOn = null;
                }
            }
        }
        if (writeFailure != null) {
            throw new IOException("DISCONNECT could not be sent to " + c.settings.broker() + ": "
                    + writeFailure.getMessage(), writeFailure);
        }
    }

    /** See {@link MqttClient#close()}; also the end of {@link #disconnect()}. */
    void closeConnection(IOException reason, boolean disconnecting) {
        closeConnection(reason, disconnecting, false);
    }

    /**
     * {@link #closeConnection(IOException, boolean)}; with {@code unlessConnecting}, does nothing
     * when a connect is under way or done (one begun after the caller found none).
     */
    private void closeConnection(IOException reason, boolean disconnecting, boolean unlessConnecting) {
        Transport t;
        synchronized (c.lock) {
            if (unlessConnecting
                    && (c.state == ConnectionState.CONNECTING || c.state == ConnectionState.CONNECTED)) {
                return;
            }
            c.state = ConnectionState.CLOSED;
            t = transport;
            c.acks.failAll(reason);
            c.readers.wakeAll();
        }
        if (!disconnecting && t != null && disconnectingOn == t) {
            return; // the disconnect() under way closes it after its DISCONNECT
        }
        close(t);
    }

    /** See {@link MqttClient#fail(IOException)}. */
    IOException fail(IOException e) {
        Transport t = null;
        synchronized (c.lock) {
            if (c.state == ConnectionState.CONNECTED || c.state == ConnectionState.CONNECTING) {
                c.state = ConnectionState.LOST;
                c.failure = e;
                t = transport;
                c.acks.failAll(e);
                c.readers.wakeAll();
                if (t == null) {
                    return e;
                }
            } else {
                return e;
            }
        }
        // MQTT 5: DISCONNECT with the reason of a protocol error
        close(t, Session5.v5(c) ? c.session5.disconnectFor(e) : null);
        return e;
    }

    /**
     * Closes the connection on {@code t} (if any) and stops watching its writes. What the write
     * path holds goes out first, unless a write is blocked: what was published before a close,
     * and the PUBACKs of the messages delivered before a failure.
     */
    private void close(Transport t) {
        close(t, null);
    }

    /** {@link #close(Transport)}; MQTT 5: writes {@code disconnect} (why the client closes) first, when not null. */
    private void close(Transport t, byte[] disconnect) {
        if (t != null) {
            if (!Thread.holdsLock(c.lock)) {
                c.outbound.flushBeforeClose();
                if (disconnect != null) {
                    c.outbound.writeDisconnectBeforeClose(disconnect);
                }
            }
            if (c.outbound.writing()) {
                t.abort(); // a write is blocked: closing TLS first would try to write close_notify
            }
            t.close();
        }
        c.outbound.detach();
    }

    /** {@link MqttClient#setServer}: the new target, unless connected or connecting. */
    void setServer(Settings.Target target) {
        synchronized (c.lock) {
            if (c.state == ConnectionState.CONNECTED || c.state == ConnectionState.CONNECTING) {
                throw new IllegalStateException("cannot change the server while " + c.state);
            }
            c.settings.setServer(target);
        }
    }

    /** Throws {@link #notConnected()} unless the state is CONNECTED (read without the lock). */
    void checkConnected() throws IOException {
        if (c.state != ConnectionState.CONNECTED) {
            throw notConnected();
        }
    }

    /** The failure of an operation that needs a connection: why there is none. */
    IOException notConnected() {
        synchronized (c.lock) {
            if (c.failure != null && c.state == ConnectionState.LOST) {
                return new IOException("not connected to " + c.settings.broker() + ": connection lost: "
                        + c.failure.getMessage(), c.failure);
            }
            return new IOException("not connected to " + c.settings.broker() + " (state " + c.state + ")");
        }
    }

    /** {@link MqttClient#ping()}: writes PINGREQ; the reader consumes the PINGRESP. */
    void ping() throws IOException {
        checkConnected();
        c.outbound.writePacket(io.umqtt.simple.internal.codec.ShortPackets.pingreq());
        c.keepAlive.pingOutstanding = true;
    }

    /** {@link MqttClient#setLastWill(byte[], byte[], boolean, int)}: checked, set under the client's lock. */
    void setLastWill(byte[] topic, byte[] msg, boolean retain, int qos) {
        Settings.checkWill(topic, msg, qos);
        synchronized (c.lock) {
            c.settings.setWill(topic, msg, retain, qos);
            if (c.session5 != null) {
                c.session5.clearWill(); // MQTT 5: no will properties, no delay
            }
        }
    }

    /** {@link MqttClient#clearLastWill()}: under the client's lock. */
    void clearLastWill() {
        synchronized (c.lock) {
            c.settings.clearWill();
            if (c.session5 != null) {
                c.session5.clearWill();
            }
        }
    }

    /** {@link MqttClient#failure()}, read under the client's lock. */
    IOException failure() {
        synchronized (c.lock) {
            return c.failure;
        }
    }
}
