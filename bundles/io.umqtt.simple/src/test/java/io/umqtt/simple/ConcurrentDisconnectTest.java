package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.simple.ScriptedBroker.Peer;
import io.umqtt.simple.testing.Waits;

/**
 * Two threads disconnect the same client at once: the first sends DISCONNECT and closes the
 * socket, the second must leave the socket to it. The robust DS component does this when a
 * connection is deleted while it is connecting: {@code Run.stop} releases the client (a DISCONNECT)
 * while the connecting thread, whose connect completed just then, undoes it with its own
 * DISCONNECT. The second one used to close the socket at once, so the first one's DISCONNECT
 * failed with "Socket closed" and a routine deletion was logged at WARNING
 * (ConnectionLifecycleLogIT).
 */
@Timeout(60)
class ConcurrentDisconnectTest {

    @Test
    void aSecondDisconnectLeavesTheSocketToTheOneSendingDisconnect() throws Exception {
        try (ScriptedBroker broker = new ScriptedBroker()) {
            MqttClient c = new MqttClient("twice", "127.0.0.1", broker.port());
            CompletableFuture<Boolean> connect = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.connect(true, 30_000);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (Peer peer = broker.accept()) {
                peer.acceptConnect();
                connect.get(30, TimeUnit.SECONDS);
                // a publish the peer does not read yet holds the write path, so the first DISCONNECT waits behind it
                byte[] big = new byte[32 << 20];
                AtomicReference<Throwable> publishFailure = new AtomicReference<>();
                Thread publisher = new Thread(() -> {
                    try {
                        c.publish("big".getBytes(), big, false, 0);
                    } catch (Throwable e) {
                        publishFailure.set(e);
                    }
                }, "publisher");
                publisher.start();
                Waits.until(c.outbound::writing, 30, TimeUnit.SECONDS, "the big PUBLISH is being written");
                AtomicReference<Throwable> firstFailure = new AtomicReference<>();
                Thread first = new Thread(() -> {
                    try {
                        c.disconnect();
                    } catch (Throwable e) {
                        firstFailure.set(e);
                    }
                }, "first-disconnect");
                first.start();
                Waits.until(() -> first.getState() == Thread.State.BLOCKED, 30, TimeUnit.SECONDS,
                        "the first disconnect waits to write its DISCONNECT");

                c.disconnect(); // the second: finds the client closing, leaves the socket to the first

                CompletableFuture<byte[][]> read = CompletableFuture.supplyAsync(() -> {
                    try {
                        return new byte[][] {peer.readPacket(), peer.readPacket()};
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                first.join(30_000);
                publisher.join(30_000);
                assertEquals(null, firstFailure.get(), "the first disconnect's DISCONNECT was written");
                assertEquals(null, publishFailure.get(), "the PUBLISH was written");
                byte[][] packets = read.get(30, TimeUnit.SECONDS);
                assertEquals(0x30, packets[0][0] & 0xF0, "the PUBLISH written before the DISCONNECT");
                assertArrayEquals(new byte[] {(byte) 0xE0, 0x00}, packets[1], "then DISCONNECT");
                assertTrue(peer.awaitClosed(30_000), "the first disconnect closed the socket after its DISCONNECT");
                assertEquals(io.umqtt.api.ConnectionState.CLOSED, c.state());
            }
        }
    }
}
