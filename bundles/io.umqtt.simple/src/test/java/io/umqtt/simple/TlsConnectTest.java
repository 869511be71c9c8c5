package io.umqtt.simple;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.testing.Waits;

/** TLS connect edges without a broker: a trickling server, missing key stores. */
@Timeout(value = 30, unit = SECONDS)
class TlsConnectTest {
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tls-connect-test");
        t.setDaemon(true);
        return t;
    });
    private ServerSocket server;
    private MqttClient client;

    @AfterEach
    void tearDown() throws IOException {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        pool.shutdownNow();
    }

    /**
     * A server that starts a TLS record (handshake, TLS 1.2, 16 KB long) and then sends one byte of
     * it every 500 ms: each read gets a byte well within any per-read timeout, so only a deadline for
     * the whole connect ends the handshake. Before, connect with a 1.5 s timeout was still blocked
     * after 6.5 s.
     */
    @Test
    void connectTimeoutBoundsATricklingTlsHandshake() throws Exception {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Future<?> trickling = pool.submit(() -> {
            try (Socket peer = server.accept()) {
                OutputStream out = peer.getOutputStream();
                out.write(new byte[] { 0x16, 0x03, 0x03, 0x40, 0x00 }); // handshake record of 16384 bytes
                out.flush();
                for (int i = 0; i < 16_384; i++) {
                    Waits.pace(500); // the trickle itself: one byte every 500 ms is the scenario
                    out.write(0x02); // ServerHello-ish, one byte at a time
                    out.flush();
                }
            }
            return null;
        });
        client = new MqttClient("trickle", "127.0.0.1", server.getLocalPort(), null, (byte[]) null, 0,
                TlsSettings.defaults());
        client.setConnectTimeout(1_500);

        long start = System.nanoTime();
        Future<Boolean> connecting = pool.submit(() -> client.connect(true));
        ExecutionException e = null;
        try {
            connecting.get(5, SECONDS);
            fail("connect succeeded against a server that never finishes the handshake");
        } catch (TimeoutException stillBlocked) {
            fail("connect with a 1.5 s connect timeout still blocked after 5 s of a trickling TLS handshake");
        } catch (ExecutionException failed) {
            e = failed;
        }
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        MqttException timeout = assertInstanceOfCause(e);
        assertEquals(Reason.TIMEOUT, timeout.reason(), timeout::toString);
        String message = timeout.getMessage();
        assertTrue(message.contains("127.0.0.1:" + server.getLocalPort()) && message.contains("TLS handshake")
                && message.contains("1500 ms"), message);
        assertTrue(elapsedMillis >= 1_400, "connect ended before its timeout: " + elapsedMillis + " ms");
        assertEquals(ConnectionState.LOST, client.state());
        trickling.cancel(true);
    }

    /**
     * A broker answering the ClientHello with a fatal alert: the message names the broker, the
     * alert with what it means, and that this client presented no certificate because the broker
     * never asked for one. Raw bytes, so the alert arrives every time (a real broker's alert often loses the
     * race against the client's next write, which then meets "Broken pipe"; TlsInteropTest).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({ "handshake_failure, 40", "bad_certificate, 42", "certificate_unknown, 46", "unknown_ca, 48",
            "certificate_required, 116" })
    void anAlertOfTheBrokerIsNamed(String alert, int code, @TempDir Path dir) throws Exception {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        pool.submit(() -> {
            try (Socket peer = server.accept()) {
                peer.setSoTimeout(10_000);
                InputStream in = peer.getInputStream();
                byte[] header = in.readNBytes(5); // the ClientHello's record header, then its body
                in.readNBytes(((header[3] & 0xFF) << 8) | (header[4] & 0xFF));
                OutputStream out = peer.getOutputStream();
                out.write(new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, (byte) code }); // fatal alert record
                out.flush();
                while (in.read() >= 0) {
                    // until the client closes
                }
            }
            return null;
        });
        Path trust = dir.resolve("trust.p12"); // empty: the handshake ends before any certificate
        KeyStore empty = KeyStore.getInstance("PKCS12");
        empty.load(null, null);
        try (OutputStream out = Files.newOutputStream(trust)) {
            empty.store(out, "secret".toCharArray());
        }
        TlsSettings tls = TlsSettings.fromStores(trust, "secret".toCharArray(), null, null, null);
        client = new MqttClient("alert", "127.0.0.1", server.getLocalPort(), null, (byte[]) null, 0, tls);

        IOException e = assertThrows(IOException.class, () -> client.connect(true, 10_000));

        String message = e.getMessage();
        assertTrue(message.startsWith("TLS handshake with broker 127.0.0.1:" + server.getLocalPort() + " failed: the "
                + "broker sent the alert " + alert + " ("), message);
        assertTrue(message.contains("This client presented no client certificate, and the broker had not asked for "
                + "one"), message);
        assertTrue(e.getCause() instanceof SSLException && e.getCause().getMessage().contains(alert),
                () -> "not the JSSE failure: " + e.getCause());
        assertEquals(message, client.failure().getMessage(), "failure() tells the same");
    }

    @Test
    void aMissingKeyStoreIsNamedOnce(@TempDir Path dir) {
        Path missing = dir.resolve("x.p12");
        TlsSettings tls = TlsSettings.fromStores(null, null, missing, "secret".toCharArray(), null);

        IOException e = assertThrows(IOException.class, tls::socketFactory);

        String message = e.getMessage();
        assertTrue(message.contains("key store " + missing), message);
        assertEquals(message.indexOf(missing.toString()), message.lastIndexOf(missing.toString()),
                () -> "the path is repeated: " + message);
        assertTrue(message.contains("does not exist"), message);
        assertNotNull(e.getCause(), "the original failure is kept");
    }

    @Test
    void aMissingTrustStoreIsNamedOnce(@TempDir Path dir) {
        Path missing = dir.resolve("trust.p12");
        TlsSettings tls = TlsSettings.fromStores(missing, null, null, null, null);

        IOException e = assertThrows(IOException.class, tls::socketFactory);

        String message = e.getMessage();
        assertTrue(message.contains("trust store " + missing) && message.contains("does not exist"), message);
        assertEquals(message.indexOf(missing.toString()), message.lastIndexOf(missing.toString()),
                () -> "the path is repeated: " + message);
    }

    @Test
    void anUnreadableKeyStoreKeepsItsReason(@TempDir Path dir) throws IOException {
        Path garbage = Files.write(dir.resolve("garbage.p12"), new byte[] { 1, 2, 3, 4 });
        TlsSettings tls = TlsSettings.fromStores(null, null, garbage, "secret".toCharArray(), null);

        IOException e = assertThrows(IOException.class, tls::socketFactory);

        String message = e.getMessage();
        assertTrue(message.startsWith("cannot read key store " + garbage + ": "), message);
        assertTrue(message.length() > ("cannot read key store " + garbage + ": ").length(), message);
    }

    private static MqttException assertInstanceOfCause(ExecutionException e) {
        if (e.getCause() instanceof MqttException) {
            return (MqttException) e.getCause();
        }
        fail("connect failed with something else than a timeout", e.getCause());
        return null;
    }
}
