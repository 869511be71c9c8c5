package io.umqtt.simple.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.simple.testing.FakeBundleContext;
import io.umqtt.simple.testing.FakeBundleContext.Event;
import io.umqtt.simple.testing.FakeBundleContext.Kind;
import io.umqtt.simple.testing.KuraStub;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * The component without a framework: SCR's calls made directly, a recording BundleContext, and
 * a real mosquitto (or a socket that plays broker where the test needs to break the connection).
 */
@Timeout(30)
class SimpleConnectionComponentTest {
    private static final String SECRET = "pw-4711-secret";
    private static MosquittoBroker broker;

    private final List<SimpleConnectionComponent> active = new ArrayList<>();
    private LogCapture log;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = MosquittoBroker.builder().start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void captureLog() {
        log = new LogCapture();
    }

    @AfterEach
    void cleanUp() {
        for (SimpleConnectionComponent c : active) {
            c.deactivate();
        }
        String text = log.text();
        log.close();
        assertFalse(text.contains(SECRET), "the password was logged:\n" + text);
    }

    private SimpleConnectionComponent activate(FakeBundleContext fake, String name, Object... config) {
        List<Object> kv = new ArrayList<>(List.of("name", name));
        Collections.addAll(kv, config);
        SimpleConnectionComponent c = new SimpleConnectionComponent();
        TestConfigs.activate(c, fake.context, TestConfigs.simple(kv.toArray()), Map.of("service.pid", "io.umqtt.simple~" + name));
        active.add(c);
        return c;
    }

    private SimpleConnectionComponent activateOnBroker(FakeBundleContext fake, String name, Object... config) {
        List<Object> kv = new ArrayList<>(List.of("server", broker.host(), "port", broker.port()));
        Collections.addAll(kv, config);
        return activate(fake, name, kv.toArray());
    }

    private void deactivate(SimpleConnectionComponent c) {
        active.remove(c);
        c.deactivate();
    }

    @Test
    void registersConnectedServiceAndCleansUpOnDeactivate() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        SimpleConnectionComponent c = activateOnBroker(fake, "c1", "username", "user", "password", SECRET);
        Event e = fake.next();
        assertEquals(Kind.REGISTERED, e.kind);
        assertEquals(List.of(MqttConnection.class.getName()), e.objectClasses);
        assertEquals("umqtt-simple-c1", e.thread, "registered by the connection thread");
        Map<String, Object> p = e.properties;
        assertEquals("c1", p.get(MqttConstants.NAME));
        assertEquals("simple", p.get(MqttConstants.KIND));
        assertEquals(broker.host(), p.get(MqttConstants.SERVER));
        assertEquals(broker.port(), p.get(MqttConstants.PORT));
        assertEquals(false, p.get(MqttConstants.TLS));
        assertTrue(((String) p.get(MqttConstants.CLIENT_ID)).startsWith("umqtt-"), p.toString());
        assertEquals("CONNECTED", p.get(MqttConstants.STATE));
        assertEquals(true, p.get(MqttConstants.CONNECTED));
        assertFalse(p.toString().contains(SECRET), p.toString());
        MqttConnection service = (MqttConnection) e.service;
        assertTrue(service.isConnected());
        assertEquals("c1", service.name());
        assertFalse(service.toString().contains(SECRET), service.toString());

        Thread t = c.thread();
        assertEquals("umqtt-simple-c1", t.getName());
        assertTrue(t.isAlive());

        deactivate(c);
        assertEquals(Kind.UNREGISTERED, fake.next().kind);
        assertFalse(t.isAlive(), "the connection thread must have ended");
        assertEquals(ConnectionState.CLOSED, service.state());
        assertNull(fake.poll(), "nothing after the unregistration");
        IOException notConnected = assertThrows(IOException.class,
                () -> service.publish("t", new byte[0], 0, false));
        assertTrue(notConnected.getMessage().contains("not connected"), notConnected.getMessage());
    }

    @Test
    void failedFirstConnectRegistersLostService() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        FakeBundleContext fake = new FakeBundleContext();
        SimpleConnectionComponent c = activate(fake, "refused", "server", "127.0.0.1", "port", closedPort,
                "username", "user", "password", SECRET);
        Event e = fake.next();
        assertEquals(Kind.REGISTERED, e.kind);
        assertEquals("LOST", e.properties.get(MqttConstants.STATE));
        assertEquals(false, e.properties.get(MqttConstants.CONNECTED));
        assertFalse(((MqttConnection) e.service).isConnected());
        c.thread().join(10_000);
        assertFalse(c.thread().isAlive(), "no retry: the thread ends");
        assertTrue(log.text().contains("WARNING MQTT connection refused: connect to 127.0.0.1:" + closedPort
                + " failed"), log.text());
        deactivate(c);
        assertEquals(Kind.UNREGISTERED, fake.next().kind);
    }

    @Test
    void credentialsReachTheBrokerAndAreNeverLogged() throws Exception {
        try (MosquittoBroker secured = MosquittoBroker.builder().user("alice", SECRET).start()) {
            FakeBundleContext okContext = new FakeBundleContext();
            SimpleConnectionComponent ok = activate(okContext, "auth-ok", "server", secured.host(), "port",
                    secured.port(), "username", "alice", "password", SECRET);
            assertEquals("CONNECTED", okContext.next().properties.get(MqttConstants.STATE));

            FakeBundleContext badContext = new FakeBundleContext();
            SimpleConnectionComponent bad = activate(badContext, "auth-bad", "server", secured.host(), "port",
                    secured.port(), "username", "alice", "password", "wrong-" + SECRET);
            Event refused = badContext.next();
            assertEquals("LOST", refused.properties.get(MqttConstants.STATE));
            assertTrue(log.text().contains("CONNACK return code 5"), log.text());
            deactivate(ok);
            deactivate(bad);
            assertFalse(secured.log().contains(SECRET), "mosquitto logs no password either");
        }
        // cleanUp() checks that neither password was logged
    }

    @Test
    void anMqtt5ServersDisconnectIsReportedWithItsReasonNotAsALostSocket() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(10_000);
            FakeBundleContext fake = new FakeBundleContext();
            SimpleConnectionComponent c = activate(fake, "five", "server", "127.0.0.1", "port",
                    server.getLocalPort(), "protocol.version", 5);
            try (Socket peer = server.accept()) {
                readPacket(peer.getInputStream()); // CONNECT
                // CONNACK in MQTT 5 form (with its property length), which an MQTT 3.1.1 client refuses
                peer.getOutputStream().write(new byte[] {0x20, 0x03, 0x00, 0x00, 0x00});
                Event registered = fake.next();
                assertEquals("CONNECTED", registered.properties.get(MqttConstants.STATE));
                assertEquals(5, registered.properties.get(MqttConstants.PROTOCOL_VERSION));
                assertNull(registered.properties.get(MqttConstants.DISCONNECT_REASON));
                byte[] reason = "maintenance".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                java.io.ByteArrayOutputStream d = new java.io.ByteArrayOutputStream();
                d.write(new byte[] {(byte) 0xE0, (byte) (2 + 3 + reason.length), (byte) 0x8B, (byte) (3 + reason.length),
                    0x1F, 0x00, (byte) reason.length});
                d.write(reason);
                peer.getOutputStream().write(d.toByteArray()); // DISCONNECT 0x8B with a reason string
                Event modified = fake.next();
                assertEquals(Kind.MODIFIED, modified.kind);
                assertEquals("LOST", modified.properties.get(MqttConstants.STATE));
                assertEquals("0x8B server shutting down: maintenance",
                        modified.properties.get(MqttConstants.DISCONNECT_REASON));
            }
            assertTrue(log.text().contains("WARNING MQTT connection five to 127.0.0.1:" + server.getLocalPort()
                    + " was ended by the server with DISCONNECT 0x8B server shutting down: maintenance"), log.text());
            assertFalse(log.text().contains("five to 127.0.0.1:" + server.getLocalPort() + " lost"), log.text());
        }
    }

    @Test
    void lostConnectionUpdatesPropertiesAndEndsThread() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(10_000);
            FakeBundleContext fake = new FakeBundleContext();
            SimpleConnectionComponent c = activate(fake, "lossy", "server", "127.0.0.1", "port",
                    server.getLocalPort());
            try (Socket peer = server.accept()) {
                readPacket(peer.getInputStream()); // CONNECT
                peer.getOutputStream().write(new byte[] {0x20, 0x02, 0x00, 0x00}); // CONNACK accepted
                Event registered = fake.next();
                assertEquals(Kind.REGISTERED, registered.kind);
                assertEquals("CONNECTED", registered.properties.get(MqttConstants.STATE));
            }
            Event modified = fake.next();
            assertEquals(Kind.MODIFIED, modified.kind);
            assertEquals("LOST", modified.properties.get(MqttConstants.STATE));
            assertEquals(false, modified.properties.get(MqttConstants.CONNECTED));
            assertEquals("lossy", modified.properties.get(MqttConstants.NAME));
            c.thread().join(10_000);
            assertFalse(c.thread().isAlive(), "the simple component does not reconnect");
            assertTrue(log.text().contains("WARNING MQTT connection lossy to 127.0.0.1:" + server.getLocalPort()
                    + " lost; the simple connection does not reconnect"), log.text());
            assertNull(fake.poll());
            deactivate(c);
            assertEquals(Kind.UNREGISTERED, fake.next().kind);
        }
    }

    @Test
    void deactivateWhileConnectingRegistersNothing() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(10_000);
            FakeBundleContext fake = new FakeBundleContext();
            SimpleConnectionComponent c = activate(fake, "slow", "server", "127.0.0.1", "port", server.getLocalPort());
            try (Socket peer = server.accept()) {
                readPacket(peer.getInputStream()); // CONNECT, left unanswered
                deactivate(c);
            }
            assertFalse(c.thread().isAlive());
            assertNull(fake.poll(), "stopped before CONNACK: never registered");
        }
    }

    @Test
    void badConfigurationRegistersTheServiceOutOfServiceAndAFixRecoversIt() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        SimpleConnectionComponent c = new SimpleConnectionComponent();
        Map<String, Object> props = Map.of("service.pid", "io.umqtt.simple~0815", "kura.service.pid", "plant-a");
        TestConfigs.activate(c, fake.context, TestConfigs.simple("port", 70000), props);
        active.add(c);
        assertNull(c.thread(), "no connection thread for an invalid configuration");
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("umqtt-simple-")
                && t.getName().contains("plant-a")));

        Event failed = fake.next();
        assertEquals(Kind.REGISTERED, failed.kind);
        assertEquals(Thread.currentThread().getName(), failed.thread, "registered by activate itself");
        String error = "invalid configuration of io.umqtt.simple~0815: port=70000 is outside 0..65535 "
                + "(0 = 1883, or 8883 with TLS)";
        assertEquals(error, failed.get(MqttConstants.ERROR));
        assertEquals("CLOSED", failed.get(MqttConstants.STATE));
        assertEquals(false, failed.get(MqttConstants.CONNECTED));
        assertEquals("plant-a", failed.get(MqttConstants.NAME), "named after Kura's name, not the PID");
        MqttConnection service = (MqttConnection) failed.service;
        assertEquals(ConnectionState.CLOSED, service.state());
        IOException publish = assertThrows(IOException.class, () -> service.publish("t", new byte[0], 0, false));
        assertTrue(publish.getMessage().contains(error), publish.getMessage());
        IOException subscribe = assertThrows(IOException.class, () -> service.subscribe("t", 0, m -> { }));
        assertTrue(subscribe.getMessage().contains(error), subscribe.getMessage());
        assertEquals(1, log.text().split(java.util.regex.Pattern.quote("SEVERE MQTT connection plant-a is out of service: " + error),
                -1).length - 1,
                "logged once at ERROR with the connection's name:\n" + log.text());

        // the same bad configuration again (Kura rewrites it): nothing new, not even a log line
        TestConfigs.modified(c, TestConfigs.simple("port", 70000), props);
        assertNull(fake.poll());
        assertEquals(1, log.text().split("is out of service", -1).length - 1, log.text());

        // fixed: the same registration recovers, no restart
        TestConfigs.modified(c, TestConfigs.simple("server", broker.host(), "port", broker.port()), props);
        Event connecting = fake.next();
        assertEquals(Kind.MODIFIED, connecting.kind);
        assertEquals("CONNECTING", connecting.get(MqttConstants.STATE));
        assertNull(connecting.get(MqttConstants.ERROR));
        Event connected = fake.next();
        assertEquals(Kind.MODIFIED, connected.kind);
        assertEquals("CONNECTED", connected.get(MqttConstants.STATE));
        assertSame(service, connected.service);
        assertEquals("plant-a", service.name());
        assertTrue(service.isConnected());
        assertNull(c.error());
    }

    /**
     * MQTT 5 without a client id connects under a new (generated) identifier at every start, so a
     * session that never expires would stay on the broker for ever after each restart: a
     * configuration error as any other, no connection thread, the error in {@code mqtt.error} and
     * logged once; a finite expiry connects.
     */
    @Test
    void anEmptyClientIdWithANeverExpiringSessionIsOutOfServiceAndAFiniteExpiryConnects() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        SimpleConnectionComponent c = activateOnBroker(fake, "forever", "protocol.version", 5,
                "session.expiry.interval", 4294967295L);
        assertNull(c.thread(), "no connection thread: nothing connects");
        Event failed = fake.next();
        assertEquals(Kind.REGISTERED, failed.kind);
        assertEquals("CLOSED", failed.get(MqttConstants.STATE));
        String error = (String) failed.get(MqttConstants.ERROR);
        assertTrue(error != null && error.startsWith("invalid configuration of io.umqtt.simple~forever: client.id is "
                + "empty and session.expiry.interval=4294967295 asks the broker to keep the session for ever (never "
                + "expires) on protocol.version=5: "), String.valueOf(error));
        assertTrue(error.endsWith("give the connection a client.id (its session is then resumed), or a finite "
                + "session.expiry.interval (0..4294967294 seconds)"), error);
        assertEquals(1, log.text().split(java.util.regex.Pattern.quote("SEVERE MQTT connection forever is out of "
                + "service: " + error), -1).length - 1, log.text());

        TestConfigs.modified(c, TestConfigs.simple("name", "forever", "server", broker.host(), "port", broker.port(),
                "protocol.version", 5, "session.expiry.interval", 60L), Map.of("service.pid", "io.umqtt.simple~forever"));
        Event connected = fake.await("CONNECTED", e -> "CONNECTED".equals(e.get(MqttConstants.STATE)));
        assertSame(failed.service, connected.service);
        assertNull(connected.get(MqttConstants.ERROR));
        assertTrue(((String) connected.get(MqttConstants.CLIENT_ID)).startsWith("umqtt-"), connected.toString());
    }

    /**
     * An operator who reads "out of service" in the log and then lists the connections must find
     * the service with its error: the service is registered (or updated) with {@code mqtt.error}
     * before the line is logged. Checked at the moment the line is logged, for the first
     * activation (registerService) and for a valid configuration made invalid (setProperties).
     */
    @Test
    void theOutOfServiceLineIsLoggedOnlyOnceTheServiceShowsTheError() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        List<String> seenAtLogTime = Collections.synchronizedList(new ArrayList<>());
        log.onLogged(r -> {
            if (String.valueOf(r.getMessage()).contains("is out of service")) {
                Map<String, Object> p = fake.registeredProperties(MqttConnection.class.getName());
                seenAtLogTime.add(p == null ? "not registered" : String.valueOf(p.get(MqttConstants.ERROR)));
            }
        });
        try {
            SimpleConnectionComponent c = new SimpleConnectionComponent();
            Map<String, Object> props = Map.of("service.pid", "io.umqtt.simple~ops", "name", "ops");
            TestConfigs.activate(c, fake.context, TestConfigs.simple("name", "ops", "port", 70000), props);
            active.add(c);
            assertEquals(1, seenAtLogTime.size(), seenAtLogTime::toString);
            assertTrue(seenAtLogTime.get(0).contains("port=70000"), "registered with the error when logged: "
                    + seenAtLogTime);

            // valid, then invalid again: the registration already exists and is updated first
            TestConfigs.modified(c, TestConfigs.simple("name", "ops", "server", broker.host(), "port", broker.port()),
                    props);
            fake.await("CONNECTED", e -> "CONNECTED".equals(e.get(MqttConstants.STATE)));
            TestConfigs.modified(c, TestConfigs.simple("name", "ops", "port", 70001), props);
            assertEquals(2, seenAtLogTime.size(), seenAtLogTime::toString);
            assertTrue(seenAtLogTime.get(1).contains("port=70001"), "updated with the error when logged: "
                    + seenAtLogTime);
        } finally {
            log.onLogged(r -> { });
        }
    }

    @Test
    void anUnresolvableHostIsReportedAsSuch() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        SimpleConnectionComponent c = activate(fake, "nohost", "server", "no-such-host.invalid", "connect.timeout", 5);
        Event e = fake.next();
        assertEquals("LOST", e.get(MqttConstants.STATE));
        c.thread().join(10_000);
        assertTrue(log.text().contains("connect to no-such-host.invalid:1883 failed; the simple connection does not "
                + "retry (use the robust one for that), its service is registered with state LOST: unknown host "
                + "no-such-host.invalid: the name does not resolve (connecting to no-such-host.invalid:1883)"), log.text());
    }

    @Test
    void rewritingTheSameSettingsChangesNothing() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        SimpleConnectionComponent c = activateOnBroker(fake, "same", "username", "user", "password", SECRET);
        Event registered = fake.next();
        assertEquals("CONNECTED", registered.get(MqttConstants.STATE));
        Thread thread = c.thread();
        String clientId = (String) registered.get(MqttConstants.CLIENT_ID);

        // what Kura and ConfigAdmin do: the same values, other bookkeeping properties
        for (int i = 0; i < 5; i++) {
            TestConfigs.modified(c, TestConfigs.simple("name", "same", "server", broker.host(), "port", broker.port(),
                    "username", "user", "password", SECRET),
                    Map.of("service.pid", "io.umqtt.simple~same", "felix.fileinstall.filename", "file:/x" + i,
                            "service.changecount", (long) i));
        }
        assertNull(fake.poll(), "no re-registration, no property change");
        assertSame(thread, c.thread(), "no reconnect");
        assertTrue(thread.isAlive());
        assertTrue(((MqttConnection) registered.service).isConnected());
        assertEquals(clientId, c.settings().clientId(), "the generated client id stays");
    }

    @Test
    void changedSettingsReconnectOnceKeepingTheServiceAndItsSubscriptions() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        SimpleConnectionComponent c = activateOnBroker(fake, "chg", "keepalive", 60);
        Event registered = fake.next();
        MqttConnection service = (MqttConnection) registered.service;
        BlockingQueue<MqttMessage> received = new ArrayBlockingQueue<>(10);
        service.subscribe("chg/#", 1, received::add);
        Thread before = c.thread();

        TestConfigs.modified(c, TestConfigs.simple("name", "chg", "server", broker.host(), "port", broker.port(),
                "keepalive", 30), Map.of("service.pid", "io.umqtt.simple~chg"));
        assertFalse(before.isAlive(), "the old connection thread ended before modified returned");
        Event closing = fake.next();
        assertEquals(Kind.MODIFIED, closing.kind);
        assertEquals("CLOSED", closing.get(MqttConstants.STATE), "users hear first that the old client goes");
        Event connecting = fake.next();
        assertEquals(Kind.MODIFIED, connecting.kind);
        assertEquals("CONNECTING", connecting.get(MqttConstants.STATE));
        Event connected = fake.next();
        assertEquals(Kind.MODIFIED, connected.kind, "the registration stays");
        assertEquals("CONNECTED", connected.get(MqttConstants.STATE));
        assertSame(service, connected.service, "the same service object");
        assertEquals(30, c.settings().keepAliveSeconds());

        // the listener's subscription was made again on the new client before it said CONNECTED
        service.publish("chg/a", "after".getBytes(StandardCharsets.UTF_8), 1, false);
        MqttMessage m = received.poll(10, TimeUnit.SECONDS);
        assertTrue(m != null, "the subscription did not survive the settings change");
        assertEquals("chg/a", m.topicString());
        assertNull(fake.poll(), "one reconnect: nothing else happened");
    }

    @Test
    void theNameDefaultsToKurasName() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        SimpleConnectionComponent c = new SimpleConnectionComponent();
        TestConfigs.activate(c, fake.context, TestConfigs.simple("server", broker.host(), "port", broker.port()),
                Map.of("service.pid", "io.umqtt.simple~4711", "kura.service.pid", "kura-name"));
        active.add(c);
        Event e = fake.next();
        assertEquals("kura-name", e.get(MqttConstants.NAME));
        assertEquals("umqtt-simple-kura-name", c.thread().getName());
    }

    @Test
    void passwordsEncryptedByKurasCryptoServiceAreDecryptedAndPlainOnesKept() throws Exception {
        try (MosquittoBroker secured = MosquittoBroker.builder().user("user", SECRET).start()) {
            FakeBundleContext fake = new FakeBundleContext();
            fake.addService(KuraStub.CRYPTO_INTERFACE, KuraStub.crypto(org.eclipse.kura.crypto.CryptoService.class));
            String encrypted = KuraStub.encrypt(SECRET);
            SimpleConnectionComponent c = activate(fake, "enc", "server", secured.host(), "port", secured.port(),
                    "username", "user", "password", encrypted);
            Event e = fake.next();
            assertEquals("CONNECTED", e.get(MqttConstants.STATE), "the decrypted password was accepted: " + e);
            deactivate(c);
            fake.next();

            // stored unencrypted (some of Kura's paths): does not decrypt, used as it is
            FakeBundleContext plain = new FakeBundleContext();
            plain.addService(KuraStub.CRYPTO_INTERFACE, KuraStub.crypto(org.eclipse.kura.crypto.CryptoService.class));
            activate(plain, "plain", "server", secured.host(), "port", secured.port(), "username", "user",
                    "password", SECRET);
            assertEquals("CONNECTED", plain.next().get(MqttConstants.STATE));

            // without a CryptoService the ciphertext goes to the broker, which refuses it
            FakeBundleContext none = new FakeBundleContext();
            activate(none, "none", "server", secured.host(), "port", secured.port(), "username", "user",
                    "password", encrypted);
            assertEquals("LOST", none.next().get(MqttConstants.STATE));
            String text = log.text();
            assertFalse(text.contains(encrypted), "the encrypted password was logged:\n" + text);
        }
    }

    @Test
    void setPropertiesNeverOverlapsUnregister() throws Exception {
        // a registration that notices when unregister comes while setProperties is still running
        // (Felix's log bundle then fails with a NullPointerException on the MODIFIED event)
        java.util.concurrent.CountDownLatch inSetProperties = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean overlapped = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean unregistered = new java.util.concurrent.atomic.AtomicBoolean();
        org.osgi.framework.ServiceRegistration<?> reg = (org.osgi.framework.ServiceRegistration<?>)
                java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] {org.osgi.framework.ServiceRegistration.class}, (p, m, args) -> {
                            switch (m.getName()) {
                                case "setProperties":
                                    busy.set(true);
                                    inSetProperties.countDown();
                                    release.await(10, TimeUnit.SECONDS);
                                    busy.set(false);
                                    return null;
                                case "unregister":
                                    overlapped.compareAndSet(false, busy.get());
                                    unregistered.set(true);
                                    return null;
                                default:
                                    return null;
                            }
                        });
        FakeBundleContext fake = new FakeBundleContext();
        org.osgi.framework.BundleContext context = (org.osgi.framework.BundleContext) java.lang.reflect.Proxy
                .newProxyInstance(getClass().getClassLoader(), new Class<?>[] {org.osgi.framework.BundleContext.class},
                        (p, m, args) -> "registerService".equals(m.getName()) ? reg : m.invoke(fake.context, args));
        SimpleConnectionComponent c = new SimpleConnectionComponent();
        Map<String, Object> props = Map.of("service.pid", "io.umqtt.simple~race");
        TestConfigs.activate(c, context, TestConfigs.simple("name", "race", "port", 70000), props); // registered out of service
        active.add(c);
        Thread fixer = new Thread(() -> TestConfigs.modified(c, TestConfigs.simple("name", "race", "server", broker.host(),
                "port", broker.port()), props)); // setProperties(CONNECTING), held in it
        fixer.start();
        assertTrue(inSetProperties.await(10, TimeUnit.SECONDS));
        Thread stopper = new Thread(() -> {
            active.remove(c);
            c.deactivate();
        });
        stopper.start();
        // the stopper must wait for setProperties to return: it blocks (or unregisters: the defect)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (stopper.getState() != Thread.State.BLOCKED && !unregistered.get() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        release.countDown();
        fixer.join(10_000);
        stopper.join(20_000);
        assertTrue(unregistered.get(), "deactivate unregistered the service");
        assertFalse(overlapped.get(), "unregister ran while setProperties was still running");
    }

    @Test
    void publishSubscribeRoundTripThroughTheService() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        activateOnBroker(fake, "rt");
        MqttConnection conn = (MqttConnection) fake.next().service;

        // one subscription per topic: mosquitto 2 sends one copy per overlapping subscription
        BlockingQueue<MqttMessage> received = new ArrayBlockingQueue<>(10);
        assertEquals(1, conn.subscribe("rt/+/x", 1, received::add));
        byte[] payload = "hello \u00e9 umqtt".getBytes(StandardCharsets.UTF_8);
        conn.publish("rt/a/x", payload, 1, false);
        MqttMessage m = received.poll(10, TimeUnit.SECONDS);
        assertTrue(m != null, "no message within 10 s");
        assertEquals("rt/a/x", m.topicString());
        assertSame(m.topicString(), m.topicString(), "decoded once");
        assertTrue(java.util.Arrays.equals(payload, m.payload()));
        assertEquals(1, m.qos());
        assertFalse(m.retain());
        assertFalse(m.dup());
        assertSame(conn, m.connection());

        // a retained message arrives right after the SUBACK, possibly before subscribe returns
        conn.publish("rt/retained", payload, 1, true);
        BlockingQueue<MqttMessage> retained = new ArrayBlockingQueue<>(10);
        conn.subscribe("rt/retained", 1, retained::add);
        MqttMessage r = retained.poll(10, TimeUnit.SECONDS);
        assertTrue(r != null && r.retain(), "the retained message must reach the new listener: " + r);
        conn.publish("rt/retained", new byte[0], 1, true); // clear it
    }

    @Test
    void unsubscribeDropsTheFiltersListeners() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        activateOnBroker(fake, "unsub");
        MqttConnection conn = (MqttConnection) fake.next().service;
        BlockingQueue<MqttMessage> dropped = new ArrayBlockingQueue<>(10);
        BlockingQueue<MqttMessage> kept = new ArrayBlockingQueue<>(10);
        conn.subscribe("un/1", 1, dropped::add);
        conn.subscribe("un/#", 1, kept::add);
        conn.unsubscribe("un/1");
        conn.publish("un/1", new byte[] {7}, 1, false);
        MqttMessage m = kept.poll(10, TimeUnit.SECONDS);
        assertTrue(m != null && m.topicString().equals("un/1"), "the remaining subscription still receives");
        assertTrue(dropped.isEmpty(), "the unsubscribed listener must get nothing");
        assertThrows(IllegalArgumentException.class, () -> conn.subscribe("a/#/b", 0, dropped::add));
        assertThrows(IllegalArgumentException.class, () -> conn.subscribe("a", 0, null));
    }

    @Test
    void lastWillIsConfiguredAndCleanDisconnectDoesNotSendIt() throws Exception {
        FakeBundleContext watcherContext = new FakeBundleContext();
        activateOnBroker(watcherContext, "watcher");
        MqttConnection watcher = (MqttConnection) watcherContext.next().service;
        BlockingQueue<MqttMessage> wills = new ArrayBlockingQueue<>(10);
        watcher.subscribe("will/#", 1, wills::add);

        // clean stop: DISCONNECT, so no will; a marker proves the watcher would have seen it
        FakeBundleContext cleanContext = new FakeBundleContext();
        SimpleConnectionComponent clean = activateOnBroker(cleanContext, "clean", "lwt.topic", "will/clean",
                "lwt.message", "gone", "lwt.qos", 1);
        assertEquals(Kind.REGISTERED, cleanContext.next().kind);
        deactivate(clean);
        watcher.publish("will/marker", new byte[0], 1, false);
        MqttMessage first = wills.poll(10, TimeUnit.SECONDS);
        assertTrue(first != null, "no marker within 10 s");
        assertEquals("will/marker", first.topicString(), "a clean stop must not publish the last will");

        // dropped without DISCONNECT: the broker publishes the configured will
        FakeBundleContext dirtyContext = new FakeBundleContext();
        SimpleConnectionComponent dirty = activateOnBroker(dirtyContext, "dirty", "lwt.topic", "will/dirty",
                "lwt.message", "gone", "lwt.qos", 1);
        assertEquals(Kind.REGISTERED, dirtyContext.next().kind);
        dirty.connection().client().close();
        MqttMessage will = wills.poll(10, TimeUnit.SECONDS);
        assertTrue(will != null, "no last will within 10 s");
        assertEquals("will/dirty", will.topicString());
        assertEquals("gone", new String(will.payload(), StandardCharsets.UTF_8));
        Event closed = dirtyContext.next();
        assertEquals(Kind.MODIFIED, closed.kind);
        assertEquals("CLOSED", closed.properties.get(MqttConstants.STATE));
    }

    /** Reads one MQTT packet whole and returns its first byte. */
    private static int readPacket(InputStream in) throws IOException {
        int first = in.read();
        int rem = 0;
        int shift = 0;
        int digit;
        do {
            digit = in.read();
            if (digit < 0) {
                throw new IOException("closed in the fixed header");
            }
            rem |= (digit & 0x7F) << shift;
            shift += 7;
        } while ((digit & 0x80) != 0);
        if (in.readNBytes(rem).length != rem) {
            throw new IOException("closed mid-packet");
        }
        return first;
    }
}
