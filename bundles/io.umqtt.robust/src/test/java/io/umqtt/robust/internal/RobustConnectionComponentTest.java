package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.robust.OfflineQueueFullException;
import io.umqtt.robust.RobustConnection;
import io.umqtt.robust.RobustConstants;
import io.umqtt.simple.internal.LogCapture;
import io.umqtt.simple.testing.FakeBundleContext;
import io.umqtt.simple.testing.FakeBundleContext.Event;
import io.umqtt.simple.testing.FakeBundleContext.Kind;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.FreePort;

/**
 * The component without a framework: SCR's calls made directly, a recording BundleContext, and
 * real mosquitto brokers that the tests start late, kill and restart. Reconnect delays are short
 * (50..200 ms) so that recovery is quick; nothing here sleeps: every wait is on a recorded
 * service event or a message queue, with a timeout.
 */
@Timeout(60)
class RobustConnectionComponentTest {
    private static final String SECRET = "pw-4711-secret";
    private static final long WAIT_SECONDS = 10;

    private final List<RobustConnectionComponent> active = new ArrayList<>();
    private final List<MosquittoBroker> brokers = new ArrayList<>();
    private LogCapture log;

    @BeforeEach
    void captureLog() {
        log = new LogCapture();
    }

    @AfterEach
    void cleanUp() {
        for (RobustConnectionComponent c : active) {
            c.deactivate();
        }
        for (MosquittoBroker b : brokers) {
            b.close();
        }
        String text = log.text();
        log.close();
        assertFalse(text.contains(SECRET), "the password was logged:\n" + text);
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith(RobustConnectionComponent.THREAD_PREFIX) && t.isAlive()),
                "a connection thread outlived its component");
    }

    private RobustConnectionComponent activate(FakeBundleContext fake, String name, Object... config) {
        RobustConnectionComponent c = RobustConfigs.activate(fake.context, name, config);
        active.add(c);
        return c;
    }

    private void deactivate(RobustConnectionComponent c) {
        active.remove(c);
        c.deactivate();
    }

    private MosquittoBroker broker(MosquittoBroker.Builder builder) throws IOException {
        MosquittoBroker b = builder.start();
        brokers.add(b);
        return b;
    }


    private static Event awaitState(FakeBundleContext fake, String state) throws InterruptedException {
        return fake.await(MqttConstants.STATE + "=" + state, e -> e.kind != Kind.UNREGISTERED
                && state.equals(e.get(MqttConstants.STATE)));
    }

    private static MqttMessage next(BlockingQueue<MqttMessage> received) throws InterruptedException {
        MqttMessage m = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(m, "no message within " + WAIT_SECONDS + " s");
        return m;
    }

    private static String text(MqttMessage m) {
        return m.topicString() + "=" + new String(m.payload(), StandardCharsets.UTF_8);
    }

    @Test
    void registersAtOnceWhileTheBrokerIsDownQueuesAndConnectsWhenItStarts() throws Exception {
        int port = FreePort.pick();
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = activate(fake, "late", "server", MosquittoBroker.HOST, "port", port,
                "username", "user", "password", SECRET);

        Event registered = fake.next();
        assertEquals(Kind.REGISTERED, registered.kind);
        assertEquals(Thread.currentThread().getName(), registered.thread, "registered by activate itself");
        assertEquals(List.of(MqttConnection.class.getName(), RobustConnection.class.getName()),
                registered.objectClasses);
        assertEquals("CONNECTING", registered.get(MqttConstants.STATE));
        assertEquals(false, registered.get(MqttConstants.CONNECTED));
        assertEquals("robust", registered.get(MqttConstants.KIND));
        assertEquals("late", registered.get(MqttConstants.NAME));
        assertEquals(port, registered.get(MqttConstants.PORT));
        assertEquals(0, registered.get(RobustConstants.RECONNECT_ATTEMPT));
        assertArrayEquals(new String[] {MosquittoBroker.HOST + ":" + port},
                (String[]) registered.get(RobustConstants.SERVERS));
        assertFalse(registered.properties.toString().contains(SECRET));
        assertTrue(c.thread().isAlive());
        assertEquals("umqtt-robust-late", c.thread().getName());

        RobustConnection conn = (RobustConnection) registered.service;
        Event failed = fake.await("a failed attempt", e -> ((Integer) e.get(RobustConstants.RECONNECT_ATTEMPT)) >= 1);
        // the properties are read when the event is handled: the next attempt may already be under way
        assertTrue(List.of("LOST", "CONNECTING").contains(failed.get(MqttConstants.STATE)),
                String.valueOf(failed.get(MqttConstants.STATE)));
        assertEquals(false, failed.get(MqttConstants.CONNECTED));
        assertNotNull(failed.get(RobustConstants.LAST_FAILURE));

        // made while the broker is down: the subscription is kept with its listener, the publish queued
        BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
        IOException notYet = assertThrows(IOException.class, () -> conn.subscribe("late/#", 1, received::add));
        assertTrue(notYet.getMessage().contains("remembered"), notYet.getMessage());
        conn.publish("late/queued", "q1".getBytes(StandardCharsets.UTF_8), 1, false);
        assertEquals(1, conn.queued());

        MosquittoBroker b = broker(MosquittoBroker.builder().port(port));
        Event connected = awaitState(fake, "CONNECTED");
        assertEquals(true, connected.get(MqttConstants.CONNECTED));
        assertEquals(0, connected.get(RobustConstants.RECONNECT_ATTEMPT));
        assertEquals(false, connected.get(RobustConstants.SESSION_PRESENT));
        MqttMessage m = next(received);
        assertEquals("late/queued=q1", text(m));
        assertSame(conn, m.connection());
        assertEquals(0, conn.queued());
        assertEquals(0L, conn.reconnects(), "the first connect is no reconnect");
        assertTrue(conn.connectAttempts() >= 2, "attempts: " + conn.connectAttempts());
        assertTrue(b.isRunning());
        assertFalse(b.log().contains(SECRET));
    }

    @Test
    void survivesBrokerKillAndRestartWithSubscriptionsAndQueuedPublishes() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = activate(fake, "kill", "server", b.host(), "port", b.port());
        assertEquals("CONNECTING", fake.next().get(MqttConstants.STATE));
        awaitState(fake, "CONNECTED");
        RobustConnection conn = c.connection();
        BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
        assertEquals(1, conn.subscribe("kill/#", 1, received::add));
        conn.publish("kill/1", "before".getBytes(StandardCharsets.UTF_8), 1, false);
        assertEquals("kill/1=before", text(next(received)));

        b.kill();
        Event lost = awaitState(fake, "LOST");
        assertEquals(false, lost.get(MqttConstants.CONNECTED));
        assertNotNull(lost.get(RobustConstants.LAST_FAILURE));
        assertFalse(conn.isConnected(), "LOST, or CONNECTING again: " + conn.state());
        conn.publish("kill/2", "while-down".getBytes(StandardCharsets.UTF_8), 1, false);

        b.restart();
        Event back = awaitState(fake, "CONNECTED");
        assertEquals(1L, back.get(RobustConstants.RECONNECTS));
        assertEquals(false, back.get(RobustConstants.SESSION_PRESENT), "clean session: the broker forgot us");
        assertEquals("kill/2=while-down", text(next(received)), "queued while down, sent after the restart "
                + "to the subscription the client restored by itself");
        conn.publish("kill/3", "after".getBytes(StandardCharsets.UTF_8), 1, false);
        assertEquals("kill/3=after", text(next(received)));
        assertEquals(1L, conn.reconnects());
        assertNull(received.poll(), "no duplicates: " + received);
        for (Event e = fake.poll(); e != null; e = fake.poll()) {
            assertEquals(Kind.MODIFIED, e.kind, "the service stays registered throughout");
        }
    }

    @Test
    void configuredCleanSessionIsUsedOnEveryConnect() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        FakeBundleContext fake = new FakeBundleContext();
        activate(fake, "c0", "server", b.host(), "port", b.port(), "client.id", "robust-c0", "clean.session", false);
        awaitState(fake, "CONNECTED");
        String connect = "as robust-c0 (p2, c0, k60)";
        assertEquals(1, count(b.log(), connect), b.log());
        b.kill();
        awaitState(fake, "LOST");
        b.restart();
        Event back = awaitState(fake, "CONNECTED");
        assertEquals(2, count(b.log(), connect), "the reconnect asks for the session too:\n" + b.log());
        assertEquals(false, back.get(RobustConstants.SESSION_PRESENT), "mosquitto without persistence forgot it");
    }

    private static int count(String text, String fragment) {
        int n = 0;
        for (int i = text.indexOf(fragment); i >= 0; i = text.indexOf(fragment, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void failsOverToTheNextServerAndSaysWhereItIsConnected() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        int dead = FreePort.pick();
        FakeBundleContext fake = new FakeBundleContext();
        activate(fake, "failover", "server", MosquittoBroker.HOST, "port", dead, "failover.servers",
                new String[] {MosquittoBroker.HOST + ":" + b.port(), "spare.invalid"});
        Event registered = fake.next();
        assertArrayEquals(new String[] {MosquittoBroker.HOST + ":" + dead, MosquittoBroker.HOST + ":" + b.port(),
            "spare.invalid:1883"}, (String[]) registered.get(RobustConstants.SERVERS));
        Event connected = awaitState(fake, "CONNECTED");
        assertEquals(b.port(), connected.get(MqttConstants.PORT), "the server it is connected to");
        assertEquals(MosquittoBroker.HOST, connected.get(MqttConstants.SERVER));
    }

    @Test
    void deactivateWhileReconnectingEndsTheThreadAndReportsTheQueue() throws Exception {
        int port = FreePort.pick();
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = activate(fake, "stop", "server", MosquittoBroker.HOST, "port", port);
        RobustConnection conn = (RobustConnection) fake.next().service;
        fake.await("a failed attempt", e -> ((Integer) e.get(RobustConstants.RECONNECT_ATTEMPT)) >= 1);
        conn.publish("stop/1", new byte[3], 0, false);
        Thread t = c.thread();

        deactivate(c);
        assertFalse(t.isAlive(), "deactivate waits for the thread");
        fake.await("the unregistration", e -> e.kind == Kind.UNREGISTERED);
        assertEquals(ConnectionState.CLOSED, conn.state());
        assertThrows(IOException.class, () -> conn.publish("stop/2", new byte[1], 0, false));
        assertTrue(log.text().contains("MQTT connection stop stopped with 1 message(s) in its offline queue; they "
                + "were not sent and are discarded"), log.text());
    }

    @Test
    void deactivateWhileConnectedDisconnectsCleanly() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = activate(fake, "bye", "server", b.host(), "port", b.port(),
                "lwt.topic", "bye/will", "lwt.message", "died");
        String clientId = (String) awaitState(fake, "CONNECTED").get(MqttConstants.CLIENT_ID);
        deactivate(c);
        assertFalse(c.thread().isAlive());
        assertEquals(Kind.UNREGISTERED, fake.next().kind);
        // mosquitto logs "disconnected." for a DISCONNECT, "closed its connection." for a bare close
        assertTrue(b.awaitLog("Client " + clientId + " disconnected.", WAIT_SECONDS, TimeUnit.SECONDS), b.log());
    }

    @Test
    void givesUpAfterTheConfiguredAttemptsAndStaysClosed() throws Exception {
        int port = FreePort.pick();
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = activate(fake, "giveup", "server", MosquittoBroker.HOST, "port", port,
                "reconnect.max.attempts", 2);
        RobustConnection conn = (RobustConnection) fake.next().service;
        Event closed = awaitState(fake, "CLOSED");
        assertTrue(((String) closed.get(RobustConstants.LAST_FAILURE)).contains("after 2 attempts"),
                closed.toString());
        c.thread().join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertFalse(c.thread().isAlive());
        assertEquals(2L, conn.connectAttempts());
        assertEquals(ConnectionState.CLOSED, conn.state());
        IOException e = assertThrows(IOException.class, () -> conn.publish("giveup/1", new byte[1], 1, false));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertTrue(log.text().contains("SEVERE MQTT connection giveup gave up after 2 failed connect attempts"),
                log.text());
    }

    @Test
    void fullOfflineQueueRejectsTheNewestAndReportsIt() throws Exception {
        int port = FreePort.pick();
        FakeBundleContext fake = new FakeBundleContext();
        activate(fake, "full", "server", MosquittoBroker.HOST, "port", port, "queue.max.messages", 1,
                "queue.overflow", "REJECT_NEWEST");
        RobustConnection conn = (RobustConnection) fake.next().service;
        conn.publish("full/1", new byte[1], 1, false);
        OfflineQueueFullException e = assertThrows(OfflineQueueFullException.class,
                () -> conn.publish("full/2", new byte[1], 1, false));
        assertTrue(e.getMessage().contains("'full/2' refused: offline queue full"), e.getMessage());
        assertEquals(1L, conn.dropped());
        assertEquals(1, conn.queued());
        Event dropped = fake.await(RobustConstants.DROPPED + "=1",
                ev -> Long.valueOf(1).equals(ev.get(RobustConstants.DROPPED)));
        assertEquals(1, dropped.get(RobustConstants.QUEUED));
    }

    @Test
    void refusedCredentialsAreReportedAndNeverLogged() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder().user("alice", SECRET));
        FakeBundleContext fake = new FakeBundleContext();
        activate(fake, "refused", "server", b.host(), "port", b.port(), "username", "alice", "password",
                "wrong-" + SECRET);
        Event failed = fake.await("a refused attempt", e -> ((Integer) e.get(RobustConstants.RECONNECT_ATTEMPT)) >= 1);
        assertTrue(((String) failed.get(RobustConstants.LAST_FAILURE)).contains("CONNACK return code 5"),
                failed.toString());
        assertTrue(log.text().contains("(retrying only every 200 ms)"), "a refusal waits the maximum delay:\n"
                + log.text());
        assertFalse(b.log().contains(SECRET));
        // cleanUp() checks that the password was never logged
    }

    // ------------------------------------------------------------------ configuration changes (@Modified)

    @Test
    void rewritingTheSameSettingsChangesNothing() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = activate(fake, "same", "server", b.host(), "port", b.port(),
                "username", "user", "password", SECRET, "failover.servers", new String[] {"h1:1", "h2"});
        Event registered = fake.next();
        assertEquals(Kind.REGISTERED, registered.kind);
        Event connected = awaitState(fake, "CONNECTED");
        ManagedClient client = c.client();
        Thread thread = c.thread();
        long attempts = client.connectAttempts();

        // what Kura (on every marker it does not track) and ConfigAdmin do: equal values, new bookkeeping
        for (int i = 0; i < 5; i++) {
            RobustConfigs.modify(c, "same", java.util.Map.of("service.changecount", (long) i,
                    "felix.fileinstall.filename", "file:/etc/x" + i), "server", b.host(), "port", b.port(),
                    "username", "user", "password", SECRET, "failover.servers", new String[] {"h1:1", "h2"});
        }
        // activate's own refresh may publish the CONNECTED state once more after the connection thread
        // did (ServicePublisher coalesces, it does not compare): the same properties again, nothing else
        for (Event e = fake.poll(); e != null; e = fake.poll()) {
            assertEquals(Kind.MODIFIED, e.kind, "no re-registration");
            assertTrue(sameProperties(connected.properties, e.properties),
                    "no property change: " + e + " after " + connected);
        }
        assertSame(client, c.client(), "no new client");
        assertSame(thread, c.thread());
        assertEquals(attempts, client.connectAttempts(), "no reconnect");
        assertTrue(client.isConnected());
    }

    /** Equal service properties, array values (the server list) compared by their elements. */
    private static boolean sameProperties(java.util.Map<String, Object> a, java.util.Map<String, Object> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (java.util.Map.Entry<String, Object> e : a.entrySet()) {
            if (!java.util.Objects.deepEquals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void changedSettingsReconnectOnceKeepingTheRegistrationAndTheSubscriptions() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = activate(fake, "chg", "server", b.host(), "port", b.port(), "client.id", "chg-1",
                "lwt.topic", "chg/will", "lwt.message", "died");
        Event registered = fake.next();
        assertEquals(Kind.REGISTERED, registered.kind);
        awaitState(fake, "CONNECTED");
        RobustConnection service = (RobustConnection) registered.service;
        BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
        service.subscribe("chg/#", 1, received::add);
        ManagedClient before = c.client();

        RobustConfigs.modify(c, "chg", java.util.Map.of(), "server", b.host(), "port", b.port(), "client.id",
                "chg-2", "lwt.topic", "chg/will", "lwt.message", "died");
        assertTrue(before.isStopped());
        assertFalse(before.isConnected());
        // the old client left with DISCONNECT: no last will
        assertTrue(b.awaitLog("Client chg-1 disconnected.", WAIT_SECONDS, TimeUnit.SECONDS), b.log());
        Event connected = fake.await("CONNECTED as chg-2", e -> "chg-2".equals(e.get(MqttConstants.CLIENT_ID))
                && "CONNECTED".equals(e.get(MqttConstants.STATE)));
        assertEquals(Kind.MODIFIED, connected.kind, "the registration stays");
        assertSame(service, connected.service, "the same service object");
        assertNotSame(before, c.client());

        // the listener's subscription moved to the new client
        service.publish("chg/a", "after".getBytes(StandardCharsets.UTF_8), 1, false);
        assertEquals("chg/a=after", text(next(received)));
        for (Event e = fake.poll(); e != null; e = fake.poll()) {
            assertEquals(Kind.MODIFIED, e.kind, "nothing but property changes: " + e);
        }
        assertEquals(1, count(b.log(), "as chg-2 ("), "one connect with the new settings:\n" + b.log());
        assertFalse(b.log().contains("'chg/will'"), "the will was never published:\n" + b.log());
    }

    /**
     * A changed configuration while the connection thread is still publishing CONNECTED (a service
     * listener, such as the whiteboard sending its SUBSCRIBEs, holds that update): the old client is
     * disconnected only after the update went round again and published CLOSED. Before, the
     * configuration change's own update returned at once (another thread's was running), and the
     * old client was closed under users that still saw it connected (ConnectionLifecycleLogIT's
     * WARNING "SUBSCRIBE failed: Socket closed").
     */
    @Test
    void aChangedConfigurationDisconnectsTheOldClientOnlyAfterItsClosedStateIsPublished() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        FakeBundleContext fake = new FakeBundleContext();
        java.util.concurrent.CountDownLatch inUpdate = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch proceed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean();
        fake.onSetProperties(p -> {
            if ("CONNECTED".equals(p.get(MqttConstants.STATE)) && held.compareAndSet(false, true)) {
                inUpdate.countDown();
                try {
                    proceed.await(WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        RobustConnectionComponent c = activate(fake, "held", "server", b.host(), "port", b.port(), "client.id",
                "held-1");
        assertTrue(inUpdate.await(WAIT_SECONDS, TimeUnit.SECONDS), "the connection thread publishes CONNECTED");
        ManagedClient before = c.client();
        Thread scr = new Thread(() -> RobustConfigs.modify(c, "held", java.util.Map.of(), "server", b.host(), "port",
                b.port(), "client.id", "held-2"), "scr-modified");
        scr.start();
        // SCR's thread comes to a wait: for the update (now), or for the old thread after the DISCONNECT (before);
        // or it is blocked on the component's lock, which the held update holds while it publishes (under load it
        // gets there first): also a wait before any DISCONNECT, where the old client must still be up
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (scr.getState() != Thread.State.WAITING && scr.getState() != Thread.State.TIMED_WAITING
                && scr.getState() != Thread.State.BLOCKED && scr.isAlive() && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        boolean upWhileCONNECTEDWasBeingPublished = before.isConnected();
        proceed.countDown();
        scr.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertFalse(scr.isAlive(), "modified() returned");
        assertTrue(upWhileCONNECTEDWasBeingPublished,
                "the old client was disconnected while its CONNECTED was still being published");
        assertFalse(before.isConnected());
        Event last = null;
        for (Event e : fake.history()) {
            if ("held-1".equals(e.get(MqttConstants.CLIENT_ID))) {
                last = e;
            }
        }
        assertNotNull(last);
        assertEquals("CLOSED", last.get(MqttConstants.STATE), "the old client's last state published: " + last);
        assertTrue(b.awaitLog("Client held-1 disconnected.", WAIT_SECONDS, TimeUnit.SECONDS), b::log);
        awaitState(fake, "CONNECTED");
    }

    @Test
    void aBadValueIsOutOfServiceUntilFixedWithoutARestart() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = new RobustConnectionComponent();
        RobustConnectionConfig bad = RobustConfigs.of("server", b.host(), "port", b.port(), "reconnect.jitter", 1.5);
        java.util.Map<String, Object> props = java.util.Map.of("service.pid", "io.umqtt.robust~42",
                "kura.service.pid", "line-3");
        c.activate(fake.context, bad, RobustConfigs.common(bad), props);
        active.add(c);
        Event failed = fake.next();
        assertEquals(Kind.REGISTERED, failed.kind);
        assertEquals("CLOSED", failed.get(MqttConstants.STATE));
        assertEquals("line-3", failed.get(MqttConstants.NAME));
        String error = "invalid configuration of io.umqtt.robust~42: reconnect.jitter=1.5 is outside 0..1";
        assertEquals(error, failed.get(MqttConstants.ERROR));
        RobustConnection service = (RobustConnection) failed.service;
        IOException e = assertThrows(IOException.class, () -> service.publish("t", new byte[0], 1, false));
        assertTrue(e.getMessage().contains(error), e.getMessage());
        assertTrue(log.text().contains("SEVERE MQTT connection line-3 is out of service: " + error), log.text());

        RobustConnectionConfig fixed = RobustConfigs.of("server", b.host(), "port", b.port(), "reconnect.jitter", 0.5);
        c.modified(fixed, RobustConfigs.common(fixed), props);
        Event connected = awaitState(fake, "CONNECTED");
        assertEquals(Kind.MODIFIED, connected.kind);
        assertSame(service, connected.service);
        assertNull(connected.get(MqttConstants.ERROR));
        assertEquals("line-3", service.name());
        assertTrue(service.isConnected());
    }

    /**
     * An operator who reads "out of service" in the log and then runs {@code mqtt:list} must find
     * the connection with its error: the service is registered (or updated) with
     * {@code mqtt.error} before the line is logged. Checked at the moment the line is logged, on
     * activation (registerService) and when a running connection gets a bad value (setProperties).
     */
    @Test
    void theOutOfServiceLineIsLoggedOnlyOnceTheServiceShowsTheError() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        FakeBundleContext fake = new FakeBundleContext();
        java.util.List<String> seenAtLogTime = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        log.onLogged(r -> {
            if (String.valueOf(r.getMessage()).contains("is out of service")) {
                java.util.Map<String, Object> p = fake.registeredProperties(MqttConnection.class.getName());
                seenAtLogTime.add(p == null ? "not registered" : String.valueOf(p.get(MqttConstants.ERROR)));
            }
        });
        RobustConnectionComponent c = new RobustConnectionComponent();
        RobustConnectionConfig bad = RobustConfigs.of("server", b.host(), "port", b.port(), "reconnect.jitter", 1.5);
        java.util.Map<String, Object> props = java.util.Map.of("service.pid", "io.umqtt.robust~ops", "name", "ops");
        c.activate(fake.context, bad, RobustConfigs.common(bad), props);
        active.add(c);
        assertEquals(1, seenAtLogTime.size(), seenAtLogTime::toString);
        assertTrue(seenAtLogTime.get(0).contains("reconnect.jitter=1.5"), "registered with the error when logged: "
                + seenAtLogTime);

        RobustConnectionConfig fixed = RobustConfigs.of("server", b.host(), "port", b.port());
        c.modified(fixed, RobustConfigs.common(fixed), props);
        awaitState(fake, "CONNECTED");
        RobustConnectionConfig bad2 = RobustConfigs.of("server", b.host(), "port", b.port(), "reconnect.jitter", 2.5);
        c.modified(bad2, RobustConfigs.common(bad2), props);
        assertEquals(2, seenAtLogTime.size(), seenAtLogTime::toString);
        assertTrue(seenAtLogTime.get(1).contains("reconnect.jitter=2.5"), "updated with the error when logged: "
                + seenAtLogTime);
    }

    @Test
    void anUnresolvableHostIsReportedAsSuch() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        activate(fake, "nohost", "server", "no-such-host.invalid", "connect.timeout", 5);
        Event e = fake.await(RobustConstants.LAST_FAILURE, ev -> ev.get(RobustConstants.LAST_FAILURE) != null);
        assertEquals("unknown host no-such-host.invalid: the name does not resolve (connecting to "
                + "no-such-host.invalid:1883)",
                e.get(RobustConstants.LAST_FAILURE));
    }

    @Test
    void aDurableQueueInTheDataAreaIsRefusedUnderKura() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = new RobustConnectionComponent();
        RobustConnectionConfig config = RobustConfigs.of("port", 1, "queue.persistent", true);
        c.activate(fake.context, config, RobustConfigs.common(config), java.util.Map.of("service.pid",
                "io.umqtt.robust~7", "kura.service.pid", "kq"));
        active.add(c);
        Event failed = fake.next();
        assertEquals("CLOSED", failed.get(MqttConstants.STATE));
        String error = (String) failed.get(MqttConstants.ERROR);
        assertTrue(error.startsWith("invalid configuration of io.umqtt.robust~7: queue.persistent=true needs "
                + "queue.directory under Kura"), error);
        assertNull(c.thread());

        // the same outside Kura, in a framework started with osgi.clean=true
        FakeBundleContext clean = new FakeBundleContext();
        clean.setFrameworkProperty("osgi.clean", "true");
        RobustConnectionComponent d = activate(clean, "clean", "port", 1, "queue.persistent", true);
        assertTrue(((String) clean.next().get(MqttConstants.ERROR)).contains("needs queue.directory"));
        assertNull(d.thread());
    }

    @Test
    void passwordsEncryptedByKurasCryptoServiceAreDecrypted() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder().user("user", SECRET));
        FakeBundleContext fake = new FakeBundleContext();
        fake.addService(io.umqtt.simple.testing.KuraStub.CRYPTO_INTERFACE,
                io.umqtt.simple.testing.KuraStub.crypto(org.eclipse.kura.crypto.CryptoService.class));
        String encrypted = io.umqtt.simple.testing.KuraStub.encrypt(SECRET);
        activate(fake, "enc", "server", b.host(), "port", b.port(), "username", "user", "password", encrypted);
        awaitState(fake, "CONNECTED");
        assertFalse(log.text().contains(encrypted), log.text());
    }
}
