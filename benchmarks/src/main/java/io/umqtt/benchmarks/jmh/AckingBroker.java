package io.umqtt.benchmarks.jmh;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Just enough of a broker for a micro benchmark that needs a connected client without traffic:
 * it accepts one connection and answers CONNECT, SUBSCRIBE (granting what was asked),
 * UNSUBSCRIBE and PINGREQ; it never sends a PUBLISH. Runs on a daemon thread until closed.
 */
final class AckingBroker implements AutoCloseable {
    private final ServerSocket server;
    private final Thread thread;
    private volatile Socket socket;

    AckingBroker() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        thread = new Thread(this::serve, "acking-broker");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve() {
        try (Socket s = server.accept()) {
            socket = s;
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                int header = in.read();
                if (header < 0) {
                    return;
                }
                int length = 0;
                for (int shift = 0;; shift += 7) {
                    int b = in.readUnsignedByte();
                    length |= (b & 0x7f) << shift;
                    if ((b & 0x80) == 0) {
                        break;
                    }
                }
                byte[] body = new byte[length];
                in.readFully(body);
                switch (header >> 4) {
                    case 1: // CONNECT
                        out.write(new byte[] {0x20, 2, 0, 0});
                        break;
                    case 8: { // SUBSCRIBE: packet id, then (length, filter, QoS)...
                        byte[] granted = new byte[length];
                        int n = 0;
                        for (int p = 2; p < length;) {
                            int len = ((body[p] & 0xff) << 8) | (body[p + 1] & 0xff);
                            p += 2 + len;
                            granted[n++] = body[p++];
                        }
                        byte[] ack = new byte[4 + n];
                        ack[0] = (byte) 0x90;
                        ack[1] = (byte) (2 + n);
                        ack[2] = body[0];
                        ack[3] = body[1];
                        System.arraycopy(granted, 0, ack, 4, n);
                        out.write(ack);
                        break;
                    }
                    case 10: // UNSUBSCRIBE
                        out.write(new byte[] {(byte) 0xb0, 2, body[0], body[1]});
                        break;
                    case 12: // PINGREQ
                        out.write(new byte[] {(byte) 0xd0, 0});
                        break;
                    case 14: // DISCONNECT
                        return;
                    default:
                        break;
                }
                out.flush();
            }
        } catch (IOException e) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Socket s = socket;
        if (s != null) {
            s.close();
        }
    }
}
