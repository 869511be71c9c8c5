package io.umqtt.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;

import org.junit.jupiter.api.Test;

/**
 * The channel mode's server on its own, with a plain blocking {@code SocketChannel} as the client
 * (no {@code java.net.Socket}: the in-memory factory may be installed in this JVM): it sends the
 * case's bytes (late segments included) and then the end of stream, records what the client writes
 * until the client closes, and reports the close.
 */
class LoopbackServerTest {
    @Test
    void servesTheSegmentsThenTheEndOfStreamAndRecordsTheClientsBytes() throws Exception {
        LoopbackServer server = new LoopbackServer("fuzz-server-test");
        try {
            Case c = Case.decode("op=none reader=wait data=2002!0000|3003000161!d000");
            LoopbackServer.Stream stream = server.serve(c);
            long acceptedBefore = LoopbackServer.accepted();
            long closedBefore = LoopbackServer.clientClosedCount();
            byte[] got;
            try (SocketChannel ch = SocketChannel.open(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()))) {
                OutputStream out = Channels.newOutputStream(ch);
                out.write(new byte[] {0x10, 0x00, 0x01});
                InputStream in = Channels.newInputStream(ch);
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                byte[] b = new byte[64];
                for (int n = in.read(b); n >= 0; n = in.read(b)) { // blocks until the server's end of stream
                    all.write(b, 0, n);
                }
                got = all.toByteArray();
                out.write(new byte[] {0x40, 0x02}); // written after the server's half-close: still read
                assertFalse(stream.clientClosedWithin(100), "the client has not closed yet");
            }
            assertTrue(stream.clientClosed(), "the server saw the client's close");
            stream.end();
            assertArrayEquals(c.data, got);
            assertArrayEquals(new byte[] {0x10, 0x00, 0x01, 0x40, 0x02}, stream.written());
            assertEquals(c.data.length + 1, stream.progress(), "all sent, and half-closed");
            assertEquals(acceptedBefore + 1, LoopbackServer.accepted());
            assertEquals(closedBefore + 1, LoopbackServer.clientClosedCount());
            assertNull(server.failure());
        } finally {
            server.close();
        }
    }

    @Test
    void aStreamNobodyConnectsToEndsAtOnce() throws Exception {
        LoopbackServer server = new LoopbackServer("fuzz-server-test");
        try {
            LoopbackServer.Stream stream = server.serve(Case.decode("op=none reader=wait data=20020000"));
            assertTrue(stream.clientClosed(), "nothing was accepted, so nothing of the client is open");
            stream.end();
            assertEquals(0, stream.written().length);
            assertNull(server.failure());
        } finally {
            server.close();
        }
    }
}
