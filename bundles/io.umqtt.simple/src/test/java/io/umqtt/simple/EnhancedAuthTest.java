package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static io.umqtt.simple.ScriptedBroker.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.internal.codec.AuthCodec;

/**
 * MQTT 5 enhanced authentication (section 4.12) against a broker whose every byte the test writes:
 * the AUTH exchange between CONNECT and CONNACK, the rules on the broker's AUTH packets, and
 * re-authentication. (mosquitto needs an authentication plugin for AUTH, which the tests do not
 * build: the exchange is tested here, on the wire.)
 */
class EnhancedAuthTest {
    private static final String METHOD = "TEST-CHALLENGE";

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private ScriptedBroker broker;
    private ScriptedBroker.Peer peer;
    private MqttClient client;
    private final Recording auth = new Recording();

    /** An authenticator that answers a challenge with its bytes reversed, and records every call. */
    static final class Recording implements Authenticator {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile IOException refuse;
        volatile IOException refuseFinal;

        @Override
        public String method() {
            return METHOD;
        }

        @Override
        public byte[] initialData(boolean reauthentication) {
            calls.add("initial " + reauthentication);
            return reauthentication ? new byte[] {9} : new byte[] {1, 2};
        }

        @Override
        public byte[] challenge(byte[] data) throws IOException {
            calls.add("challenge " + (data == null ? "null" : data.length));
            if (refuse != null) {
                throw refuse;
            }
            byte[] r = new byte[data == null ? 0 : data.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = data[data.length - 1 - i];
            }
            return r;
        }

        @Override
        public void succeeded(byte[] data) throws IOException {
            calls.add("succeeded " + (data == null ? "null" : new String(data, StandardCharsets.UTF_8)));
            if (refuseFinal != null) {
                throw refuseFinal;
            }
        }

        @Override
        public void failed(int reasonCode, String reasonString) {
            calls.add(String.format("failed 0x%02X", reasonCode & 0xFF));
        }
    }

    @BeforeEach
    void start() throws IOException {
        broker = new ScriptedBroker();
        client = new MqttClient("auth5", "127.0.0.1", broker.port());
        client.setProtocolVersion(5);
    }

    @AfterEach
    void close() throws Exception {
        client.close();
        if (peer != null) {
            peer.close();
        }
        broker.close();
        pool.shutdownNow();
    }

    private static <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private static int indexOf(byte[] in, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= in.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (in[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The server's AUTH with a reason code, the method, and data. */
    private static byte[] serverAuth(int code, String method, byte[] data) {
        return AuthCodec.encode(code, method, data); // the layout is the same both ways
    }

    /** CONNACK success carrying the method and the final data. */
    private static byte[] connackWithMethod(String method, byte[] data) {
        byte[] m = method.getBytes(StandardCharsets.UTF_8);
        int props = 3 + m.length + (data == null ? 0 : 3 + data.length);
        byte[] p = concat(bytes(0x20, 3 + props, 0x00, 0x00, props, 0x15, 0, m.length), m);
        return data == null ? p : concat(p, bytes(0x16, 0, data.length), data);
    }

    private Future<Boolean> connecting() throws IOException {
        Future<Boolean> f = pool.submit(() -> client.connect(true));
        peer = broker.accept();
        return f;
    }

    @Test
    void theChallengeIsAnsweredBetweenConnectAndConnack() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        byte[] connect = peer.readPacket();
        byte[] method = METHOD.getBytes(StandardCharsets.UTF_8);
        assertTrue(indexOf(connect, concat(bytes(0x15, 0, method.length), method)) > 0, "method in CONNECT");
        assertTrue(indexOf(connect, bytes(0x16, 0, 2, 1, 2)) > 0, "initial data in CONNECT");

        peer.write(serverAuth(0x18, METHOD, new byte[] {5, 6, 7}));
        assertArrayEquals(AuthCodec.encode(0x18, METHOD, new byte[] {7, 6, 5}), peer.readPacket());
        peer.write(serverAuth(0x18, METHOD, new byte[] {8}));
        assertArrayEquals(AuthCodec.encode(0x18, METHOD, new byte[] {8}), peer.readPacket());
        peer.write(connackWithMethod(METHOD, "done".getBytes(StandardCharsets.UTF_8)));
        within(connected);
        assertTrue(client.isConnected());
        assertEquals(List.of("initial false", "challenge 3", "challenge 1", "succeeded done"), auth.calls);
    }

    @Test
    void reauthenticationRunsTheExchangeAgain() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(connackWithMethod(METHOD, null));
        within(connected);

        Future<?> again = pool.submit(() -> {
            client.reauthenticate();
            return null;
        });
        assertArrayEquals(AuthCodec.encode(0x19, METHOD, new byte[] {9}), peer.readPacket());
        peer.write(serverAuth(0x18, METHOD, new byte[] {1, 2}));
        assertArrayEquals(AuthCodec.encode(0x18, METHOD, new byte[] {2, 1}), peer.readPacket());
        peer.write(serverAuth(0x00, METHOD, "ok".getBytes(StandardCharsets.UTF_8)));
        assertNull(within(again));
        assertEquals(List.of("initial false", "succeeded null", "initial true", "challenge 2", "succeeded ok"),
                auth.calls);
        assertTrue(client.isConnected());
    }

    private void connectWithMethod() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(connackWithMethod(METHOD, null));
        within(connected);
    }

    @Test
    void aReauthenticationWhileAnotherThreadRunsTheLoopIsHandedItsEnd() throws Exception {
        connectWithMethod();
        Future<?> loop = pool.submit(() -> {
            client.loop();
            return null;
        });
        Future<?> again = pool.submit(() -> {
            client.reauthenticate();
            return null;
        });
        assertArrayEquals(AuthCodec.encode(0x19, METHOD, new byte[] {9}), peer.readPacket());
        peer.write(serverAuth(0x18, METHOD, new byte[] {3, 4}));
        assertArrayEquals(AuthCodec.encode(0x18, METHOD, new byte[] {4, 3}), peer.readPacket());
        peer.write(serverAuth(0x00, METHOD, null));
        assertNull(within(again));
        assertTrue(client.isConnected());
        client.disconnect();
        assertNull(within(loop));
    }

    @Test
    void aBrokerThatRefusesTheReauthenticationDisconnects() throws Exception {
        connectWithMethod();
        Future<?> again = pool.submit(() -> {
            client.reauthenticate();
            return null;
        });
        peer.readPacket();
        peer.write(0xE0, 0x02, 0x87, 0x00); // DISCONNECT not authorized
        IOException e = assertThrows(IOException.class, () -> within(again));
        MqttException cause = (MqttException) client.failure();
        assertEquals(Reason.DISCONNECTED_BY_SERVER, cause.reason());
        assertEquals(0x87, cause.returnCode());
        assertTrue(e.getMessage().contains("DISCONNECT reason code 0x87"), e.getMessage());
        assertTrue(auth.calls.contains("failed 0x87"), auth.calls.toString());
    }

    @Test
    void aReauthenticationTheBrokerDoesNotEndTimesOutAndEndsTheConnection() throws Exception {
        client.setAckTimeout(300);
        connectWithMethod();
        Future<?> again = pool.submit(() -> {
            client.reauthenticate();
            return null;
        });
        peer.readPacket();
        MqttException e = assertThrows(MqttException.class, () -> within(again));
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("did not end the re-authentication"), e.getMessage());
        assertEquals(ConnectionState.LOST, client.state());
        assertTrue(auth.calls.contains("failed 0xFF"), auth.calls.toString());
        assertTrue(peer.awaitClosed(10_000));
    }

    @Test
    void aProtocolErrorDuringTheExchangeSendsDisconnect0x82First() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(serverAuth(0x18, "OTHER", null));
        assertThrows(MqttException.class, () -> within(connected));
        byte[] disconnect = peer.readPacket();
        assertEquals(0xE0, disconnect[0] & 0xFF);
        assertEquals(0x82, disconnect[2] & 0xFF, "protocol error");
    }

    /** The connect fails with a protocol error containing {@code fragment}; the connection is closed. */
    private void expectConnectFails(Future<Boolean> connected, Reason reason, String fragment) throws Exception {
        MqttException e = assertThrows(MqttException.class, () -> within(connected));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertEquals(ConnectionState.LOST, client.state());
        assertTrue(peer.awaitClosed(10_000));
    }

    @Test
    void anAuthWithAnotherMethodIsAProtocolError() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(serverAuth(0x18, "OTHER", new byte[] {1}));
        expectConnectFails(connected, Reason.PROTOCOL_ERROR, "MQTT-4.12.0-5");
        assertEquals(List.of("initial false", "failed 0xFF"), auth.calls.subList(0, 2));
    }

    @Test
    void anAuthWithoutAnAuthenticatorIsAProtocolError() throws Exception {
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(serverAuth(0x18, METHOD, null));
        expectConnectFails(connected, Reason.PROTOCOL_ERROR, "MQTT-4.12.0-6");
    }

    @Test
    void anAuthSuccessDuringConnectIsAProtocolError() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(serverAuth(0x00, METHOD, null));
        expectConnectFails(connected, Reason.PROTOCOL_ERROR, "CONNACK ends that exchange");
    }

    @Test
    void anAuthenticatorThatRefusesTheChallengeFailsTheConnect() throws Exception {
        auth.refuse = new IOException("bad nonce");
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(serverAuth(0x18, METHOD, new byte[] {1}));
        expectConnectFails(connected, Reason.AUTHENTICATION_FAILED, "bad nonce");
    }

    @Test
    void aConnackWithoutTheMethodIsAProtocolError() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(0x20, 0x03, 0x00, 0x00, 0x00);
        expectConnectFails(connected, Reason.PROTOCOL_ERROR, "MQTT-4.12.0-5");
    }

    @Test
    void finalDataTheAuthenticatorDoesNotAcceptFailsTheConnect() throws Exception {
        auth.refuseFinal = new IOException("server signature wrong");
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(connackWithMethod(METHOD, new byte[] {0}));
        expectConnectFails(connected, Reason.AUTHENTICATION_FAILED, "server signature wrong");
    }

    @Test
    void aRefusingConnackIsReportedToTheAuthenticator() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(0x20, 0x03, 0x00, 0x8C, 0x00);
        MqttException e = assertThrows(MqttException.class, () -> within(connected));
        assertEquals(0x8C, e.returnCode());
        assertTrue(auth.calls.contains("failed 0x8C"), auth.calls.toString());
    }

    @Test
    void theServerCannotStartAReauthentication() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(connackWithMethod(METHOD, null));
        within(connected);
        Future<PacketType> step = pool.submit(client::waitMsg);
        peer.write(serverAuth(0x18, METHOD, null));
        IOException e = assertThrows(IOException.class, () -> within(step));
        assertTrue(client.failure().getMessage().contains("not authenticating"), client.failure().getMessage());
        assertTrue(peer.awaitClosed(10_000));
    }

    @Test
    void theServersReauthenticateCodeIsAProtocolError() throws Exception {
        client.setAuthenticator(auth);
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(serverAuth(0x19, METHOD, null));
        expectConnectFails(connected, Reason.PROTOCOL_ERROR, "only clients send");
    }

    @Test
    void reauthenticationNeedsAnAuthenticatedConnection() throws Exception {
        Future<Boolean> connected = connecting();
        peer.readPacket();
        peer.write(0x20, 0x03, 0x00, 0x00, 0x00);
        within(connected);
        IllegalStateException e = assertThrows(IllegalStateException.class, client::reauthenticate);
        assertTrue(e.getMessage().contains("MQTT-4.12.1-1"), e.getMessage());
    }

    @Test
    void anAuthenticatorOnMqtt311IsRefused() throws Exception {
        client.setProtocolVersion(4);
        RuntimeException e = assertThrows(RuntimeException.class, () -> client.setAuthenticator(auth));
        assertTrue(e.getMessage().contains("MQTT 5") || e.getMessage().contains("setProtocolVersion(5)"),
                e.getMessage());
        client.setAuthenticator(null); // removing one is always allowed
    }
}
