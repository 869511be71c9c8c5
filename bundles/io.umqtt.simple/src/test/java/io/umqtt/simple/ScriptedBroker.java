package io.umqtt.simple;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A broker whose every byte the test writes: a loopback server socket; the test accepts the
 * client's connection and reads and writes raw packets on it.
 */
public final class ScriptedBroker implements AutoCloseable {
    private final ServerSocket server;

    public ScriptedBroker() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setSoTimeout(10_000);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Accepts the next client connection (10 s at most). */
    public Peer accept() throws IOException {
        Socket s = server.accept();
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        return new Peer(s);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    /** CONNACK with the given flags and return code. */
    public static byte[] connack(int sessionPresent, int code) {
        return new byte[] {0x20, 0x02, (byte) sessionPresent, (byte) code};
    }

    /** A client connected to the broker, seen from the broker. */
    public static final class Peer implements AutoCloseable {
        final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Peer(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /** Reads one whole packet (fixed header included). */
        public byte[] readPacket() throws IOException {
            ByteArrayOutputStream packet = new ByteArrayOutputStream();
            int first = readByte();
            packet.write(first);
            int rem = 0;
            int shift = 0;
            int digit;
            do {
                digit = readByte();
                packet.write(digit);
                rem |= (digit & 0x7F) << shift;
                shift += 7;
            } while ((digit & 0x80) != 0);
            byte[] body = in.readNBytes(rem);
            if (body.length != rem) {
                throw new EOFException("client closed mid-packet");
            }
            packet.write(body);
            return packet.toByteArray();
        }

        private int readByte() throws IOException {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("client closed the connection");
            }
            return b;
        }

        /** Reads the CONNECT and answers CONNACK (accepted, no session); returns the CONNECT. */
        public byte[] acceptConnect() throws IOException {
            byte[] connect = readPacket();
            if ((connect[0] & 0xFF) != 0x10) {
                throw new IOException("expected CONNECT, got " + HexFormat.of().formatHex(connect));
            }
            write(connack(0, 0));
            return connect;
        }

        /** Whether the client closed the connection (reads until EOF or the timeout). */
        public boolean awaitClosed(int millis) throws IOException {
            socket.setSoTimeout(millis);
            try {
                byte[] buf = new byte[256];
                while (true) {
                    if (in.read(buf) < 0) {
                        return true;
                    }
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset
            } finally {
                socket.setSoTimeout(10_000);
            }
        }

        public void write(byte[]... chunks) throws IOException {
            for (byte[] c : chunks) {
                out.write(c);
            }
            out.flush();
        }

        public void write(int... bytes) throws IOException {
            byte[] b = new byte[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                b[i] = (byte) bytes[i];
            }
            write(b);
        }

        public void setReadTimeout(int millis) throws IOException {
            socket.setSoTimeout(millis);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Bytes from ints, for literals like {@code bytes(0x30, 0x02, ...)}. */
    public static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    public static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] all = Arrays.copyOf(parts[0], n);
        int off = parts[0].length;
        for (int i = 1; i < parts.length; i++) {
            System.arraycopy(parts[i], 0, all, off, parts[i].length);
            off += parts[i].length;
        }
        return all;
    }
}
