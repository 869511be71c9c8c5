package io.umqtt.simple;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.internal.MqttStrings;
import io.umqtt.simple.internal.codec.AuthCodec;
import io.umqtt.simple.internal.codec.Properties;

/**
 * MQTT 5 enhanced authentication (section 4.12) for one client: what CONNECT carries, the AUTH
 * exchange between CONNECT and CONNACK, the check of the CONNACK, and re-authentication
 * (4.12.1). The {@link Authenticator} computes; this class keeps the exchange's state and enforces
 * the rules on the broker's AUTH packets:
 * <ul>
 * <li>no AUTH without an Authentication Method in CONNECT (MQTT-4.12.0-6);</li>
 * <li>every AUTH, and a successful CONNACK, carries the method of CONNECT (MQTT-4.12.0-5);</li>
 * <li>the broker sends 0x18 (continue) only while an exchange runs, 0x00 (success) only to end a
 *     re-authentication (a connect ends with CONNACK), never 0x19 (re-authenticate: the client's
 *     code, table 3.15.2.1).</li>
 * </ul>
 * A broken rule is a PROTOCOL_ERROR; an authenticator that throws ends the exchange with
 * AUTHENTICATION_FAILED. Either way the caller fails the connection.
 * <p>
 * Threading: {@link #prepare} and {@link #begin} run on the connecting thread (begin under the
 * client's lock), {@link #received} and {@link #connack} on the reader, one at a time;
 * {@link #reauthenticate} on any thread (it registers its wait under the client's lock and
 * writes through the write path). The fields are guarded by this object's monitor, which is held
 * only for state changes, never while the authenticator runs or a packet is written.
 */
final class AuthExchange {
    private static final int IDLE = 0;
    /** CONNECT sent with a method; AUTH may come until CONNACK. */
    private static final int CONNECTING = 1;
    /** Authenticated; the client may re-authenticate. */
    private static final int AUTHENTICATED = 2;
    /** AUTH 0x19 sent; the broker's AUTH 0x18 or 0x00 (or DISCONNECT) comes. */
    private static final int REAUTHENTICATING = 3;

    private final MqttClient client;
    /** The client's MQTT 5 part, which holds this. */
    private final Session5 session;
    /** What {@link MqttClient#setAuthenticator} set; taken at each connect. */
    volatile Authenticator configured;
    /** The authenticator of the current connection, null without one. */
    private Authenticator active;
    private String method;
    private int state = IDLE;
    /** The wait of a re-authentication under way. */
    private Pending reauth;

    AuthExchange(MqttClient client, Session5 session) {
        this.client = client;
        this.session = session;
    }

    /** {@link MqttClient#setAuthenticator}: MQTT 5 only (refused on 3.1.1 unless null). */
    void configure(Authenticator authenticator) {
        if (authenticator != null) {
            session.requireMqtt5("an authenticator (enhanced authentication)");
        }
        configured = authenticator;
    }

    /**
     * Before a connect: the Authentication Method and the initial Authentication Data of the
     * configured authenticator for CONNECT, or null without one or on MQTT 3.1.1. Called before the
     * reader role is taken (the authenticator is the caller's code: no lock is held).
     *
     * @throws IllegalStateException when an authenticator is set but the client speaks MQTT 3.1.1
     * @throws IllegalArgumentException for a method that is null, empty or not a valid MQTT string
     * @throws MqttException AUTHENTICATION_FAILED when {@link Authenticator#initialData} throws
     */
    Start prepare() throws IOException {
        Authenticator a = configured;
        if (a == null) {
            return null;
        }
        if (session.protocolVersion != MqttConstants.MQTT_5) {
            throw new IllegalStateException("client '" + client.settings.clientId + "' has an authenticator, which "
                    + "needs MQTT 5 (enhanced authentication), but speaks MQTT 3.1.1: call setProtocolVersion(5) or "
                    + "setAuthenticator(null)");
        }
        String m = a.method();
        if (m == null || m.isEmpty()) {
            throw new IllegalArgumentException("the authenticator of client '" + client.settings.clientId
                    + "' has no authentication method (Authenticator.method() returned "
                    + (m == null ? "null" : "an empty string") + ")");
        }
        MqttStrings.utf8("authentication method", m); // refuses what MQTT strings cannot carry
        return new Start(a, m, initialData(a, m, false));
    }

    /**
     * The connect takes the reader role ({@code start} from {@link #prepare}, null for none): the
     * exchange of this connection begins; the method and data go into CONNECT. Caller holds the
     * client's lock.
     */
    void begin(Start start) {
        session.authenticationMethod = start == null ? null : start.method;
        session.authenticationData = start == null ? null : start.data;
        synchronized (this) {
            active = start == null ? null : start.authenticator;
            method = start == null ? null : start.method;
            state = start == null ? IDLE : CONNECTING;
            reauth = null;
        }
    }

    /** The authenticator, Authentication Method and Data of a CONNECT. */
    static final class Start {
        final Authenticator authenticator;
        final String method;
        /** Null: none. */
        final byte[] data;

        Start(Authenticator authenticator, String method, byte[] data) {
            this.authenticator = authenticator;
            this.method = method;
            this.data = data;
        }
    }

    /** Whether the current connection authenticates with a method (AUTH packets are allowed). */
    synchronized boolean active() {
        return active != null && method != null;
    }

    /**
     * The reader read the broker's AUTH: checks it against the exchange, lets the authenticator
     * answer a challenge, and returns the AUTH to write back, or null when there is none (the
     * broker's success ended a re-authentication, whose waiter is then released).
     *
     * @throws MqttException PROTOCOL_ERROR for an AUTH the exchange does not allow;
     *         AUTHENTICATION_FAILED when the authenticator threw
     */
    byte[] received(AuthCodec auth) throws IOException {
        Authenticator a;
        int s;
        String m;
        synchronized (this) {
            a = active;
            s = state;
            m = method;
        }
        if (a == null || m == null) {
            throw Properties.protocolError("unexpected AUTH from the broker " + client.settings.broker()
                    + " to client '" + client.settings.clientId + "', which sent no Authentication Method in CONNECT "
                    + "(MQTT-4.12.0-6)");
        }
        if (!m.equals(auth.method)) {
            throw Properties.protocolError("the broker " + client.settings.broker() + " sent AUTH with "
                    + (auth.method == null ? "no Authentication Method" : "Authentication Method '" + auth.method + "'")
                    + ", but client '" + client.settings.clientId + "' authenticates with '" + m
                    + "' (every AUTH carries the method of CONNECT, MQTT-4.12.0-5)");
        }
        switch (auth.reasonCode) {
            case AuthCodec.CONTINUE:
                if (s != CONNECTING && s != REAUTHENTICATING) {
                    throw Properties.protocolError("the broker " + client.settings.broker() + " sent AUTH 0x18 "
                            + "(continue authentication) to client '" + client.settings.clientId + "', which is not "
                            + "authenticating (only the client starts a re-authentication, section 4.12.1)");
                }
                byte[] answer;
                try {
                    answer = a.challenge(auth.data);
                } catch (IOException | RuntimeException e) {
                    throw failed(a, "its authenticator refused the broker's challenge: " + e, e);
                }
                return AuthCodec.encode(AuthCodec.CONTINUE, m, answer);
            case AuthCodec.SUCCESS:
                if (s != REAUTHENTICATING) {
                    throw Properties.protocolError("the broker " + client.settings.broker() + " sent AUTH 0x00 "
                            + "(success) to client '" + client.settings.clientId + "', which "
                            + (s == CONNECTING ? "is connecting (CONNACK ends that exchange, section 4.12)"
                                    : "is not re-authenticating"));
                }
                try {
                    a.succeeded(auth.data);
                } catch (IOException | RuntimeException e) {
                    throw failed(a, "its authenticator did not accept the broker's final data: " + e, e);
                }
                Pending p;
                synchronized (this) {
                    state = AUTHENTICATED;
                    p = reauth;
                    reauth = null;
                }
                if (p != null) {
                    session.unnumbered.complete(p, 0);
                }
                return null;
            default: // REAUTHENTICATE
                throw Properties.protocolError("the broker " + client.settings.broker() + " sent AUTH 0x19 "
                        + "(re-authenticate), which only clients send (table 3.15.2.1)");
        }
    }

    /**
     * The successful CONNACK of an MQTT 5 connect was read, with its Authentication Method and
     * Data. With a method in CONNECT the CONNACK must name the same (MQTT-4.12.0-5), and the
     * authenticator verifies the final data; without one, the CONNACK must name none
     * (MQTT-4.12.0-6). (A refusing CONNACK fails the connect: {@link #connectionEnded}.)
     *
     * @throws MqttException PROTOCOL_ERROR for a method where none or another is due;
     *         AUTHENTICATION_FAILED when the authenticator does not accept the final data
     */
    void connack(String connackMethod, byte[] data) throws IOException {
        Authenticator a;
        String m;
        synchronized (this) {
            a = active;
            m = method;
        }
        if (a == null || m == null) {
            if (connackMethod != null) {
                throw Properties.protocolError("the broker " + client.settings.broker() + " sent an Authentication "
                        + "Method in CONNACK to client '" + client.settings.clientId + "', which sent none in CONNECT "
                        + "(MQTT-4.12.0-6)");
            }
            return;
        }
        if (!m.equals(connackMethod)) {
            throw Properties.protocolError("the broker " + client.settings.broker() + " accepted client '"
                    + client.settings.clientId + "' with " + (connackMethod == null ? "no Authentication Method"
                            : "Authentication Method '" + connackMethod + "'") + " in CONNACK, but it authenticates "
                    + "with '" + m + "' (a successful CONNACK carries the method of CONNECT, MQTT-4.12.0-5)");
        }
        try {
            a.succeeded(data);
        } catch (IOException | RuntimeException e) {
            throw failed(a, "its authenticator did not accept the broker's final data in CONNACK: " + e, e);
        }
        synchronized (this) {
            state = AUTHENTICATED;
        }
    }

    /**
     * The CONNACK of this connect failed it with {@code e}: a refusal with reason code 0x8C (bad
     * authentication method) of a connect that sent a method becomes AUTHENTICATION_FAILED (code
     * and reason string kept), also as the client's {@link MqttClient#failure()}; anything else is
     * returned as it is.
     */
    MqttException refused(MqttException e) {
        boolean withMethod;
        synchronized (this) {
            withMethod = active != null && method != null;
        }
        if (!withMethod || e.reason() != Reason.CONNECTION_REFUSED || e.returnCode() != 0x8C) {
            return e;
        }
        MqttException mapped = new MqttException(Reason.AUTHENTICATION_FAILED, e.returnCode(), e.reasonString(),
                e.getMessage() + " (enhanced authentication with '" + method + "')");
        synchronized (client.lock) {
            if (client.failure == e) {
                client.failure = mapped;
            }
        }
        return mapped;
    }

    /**
     * {@link MqttClient#reauthenticate()}: sends AUTH 0x19 with the method and the authenticator's
     * initial data, then waits (reading while no other thread reads) until the broker's AUTH 0x00
     * ends the exchange, at most the ack timeout.
     */
    void reauthenticate() throws IOException {
        client.lifecycle.checkConnected();
        Authenticator a;
        String m;
        synchronized (this) {
            a = active;
            m = method;
            if (a == null || m == null) {
                throw new IllegalStateException("client '" + client.settings.clientId + "' at "
                        + client.settings.broker() + " cannot re-authenticate: it connected without an "
                        + "authenticator (MQTT-4.12.1-1: only a connection made with an Authentication Method can)");
            }
            if (state != AUTHENTICATED) {
                throw new IllegalStateException("client '" + client.settings.clientId + "' at "
                        + client.settings.broker() + " is " + (state == REAUTHENTICATING ? "already re-authenticating"
                                : "not authenticated yet"));
            }
            state = REAUTHENTICATING;
        }
        Pending p = null;
        try {
            byte[] data = initialData(a, m, true);
            p = session.unnumbered.register(PacketType.AUTH,
                    ("the end of the re-authentication with '" + m + "'").getBytes(StandardCharsets.UTF_8));
            synchronized (this) {
                reauth = p;
            }
            client.outbound.writePacket(AuthCodec.encode(AuthCodec.REAUTHENTICATE, m, data));
            long deadline = System.nanoTime() + client.settings.ackTimeoutMillis * 1_000_000L;
            client.acks.waits.awaitDone(p, deadline, true);
            session.unnumbered.end(p, new MqttException(Reason.TIMEOUT, "the broker " + client.settings.broker()
                    + " did not end the re-authentication of client '" + client.settings.clientId + "' within "
                    + client.settings.ackTimeoutMillis + " ms"));
        } catch (IOException | RuntimeException e) {
            if (p != null) {
                try {
                    session.unnumbered.end(p, e instanceof IOException ? (IOException) e : new IOException(e));
                    return; // the broker's success came after all
                } catch (IOException same) {
                    // the wait ended with e (or the connection's failure): handled below
                }
            }
            boolean report;
            synchronized (this) {
                report = state == REAUTHENTICATING; // else the reader reported it (failed) already
                if (report) {
                    state = IDLE;
                    reauth = null;
                }
            }
            if (report) {
                MqttException broker = fromBroker(e);
                a.failed(broker == null ? MqttException.NO_RETURN_CODE : broker.returnCode(),
                        broker == null ? e.getMessage() : broker.reasonString());
            }
            if (e instanceof IOException) {
                client.fail((IOException) e); // a failed re-authentication ends the connection (MQTT-4.12.1-2)
            }
            throw e;
        }
    }

    /** The connection ended (lost, closed or refused): an exchange under way failed. */
    void connectionEnded(IOException why) {
        Authenticator a;
        boolean under;
        synchronized (this) {
            a = active;
            under = state == CONNECTING || state == REAUTHENTICATING;
            state = IDLE;
            reauth = null;
        }
        if (a != null && under) {
            MqttException broker = fromBroker(why);
            a.failed(broker == null ? MqttException.NO_RETURN_CODE : broker.returnCode(),
                    broker == null ? why.getMessage() : broker.reasonString());
        }
    }

    /**
     * The broker's refusal (CONNACK, also one made AUTHENTICATION_FAILED by {@link #refused}) or
     * DISCONNECT behind {@code e}, or null when the client ended the exchange.
     */
    private static MqttException fromBroker(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MqttException) {
                MqttException m = (MqttException) t;
                Reason r = m.reason();
                if (r == Reason.CONNECTION_REFUSED || r == Reason.DISCONNECTED_BY_SERVER
                        || (r == Reason.AUTHENTICATION_FAILED && m.returnCode() != MqttException.NO_RETURN_CODE)) {
                    return (MqttException) t;
                }
            }
        }
        return null;
    }

    private byte[] initialData(Authenticator a, String m, boolean again) throws IOException {
        try {
            return a.initialData(again);
        } catch (IOException | RuntimeException e) {
            throw new MqttException(Reason.AUTHENTICATION_FAILED, "client '" + client.settings.clientId + "' at "
                    + client.settings.broker() + " could not " + (again ? "re-authenticate" : "connect")
                    + ": its authenticator ('" + m + "') gave no initial data: " + e, e);
        }
    }

    private MqttException failed(Authenticator a, String why, Throwable cause) {
        String m;
        synchronized (this) {
            m = method;
            state = IDLE;
        }
        MqttException e = new MqttException(Reason.AUTHENTICATION_FAILED, "authentication of client '"
                + client.settings.clientId + "' at " + client.settings.broker() + " with '" + m + "' failed: " + why,
                cause);
        a.failed(MqttException.NO_RETURN_CODE, e.getMessage());
        return e;
    }
}
