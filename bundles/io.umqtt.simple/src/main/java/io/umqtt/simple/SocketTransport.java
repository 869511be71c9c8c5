package io.umqtt.simple;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/**
 * {@link Transport} over a {@code java.net.Socket} (Nagle off): the base of {@link TlsTransport},
 * and plain TCP when the system property {@value TcpTransport#PROPERTY} is {@code socket} (else
 * plain TCP is {@link TcpTransport}, on a channel). The name is looked up by {@link HostResolver}
 * within the connect timeout. It reads the socket's stream into the reader's heap array, so each
 * reading thread gets the JDK's per-thread direct-buffer cache (see {@link TcpTransport}).
 * Threading as in {@link Transport}; the socket timeout is set only by the reader.
 */
class SocketTransport implements Transport {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());

    /** The TCP socket; exists from construction so that a close can end the connect. */
    private final Socket plain = new Socket();
    /** The socket the streams come from (the TLS socket over {@link #plain}, or it). */
    private volatile Socket socket = plain;
    private volatile InputStream in;
    private volatile OutputStream out;
    /** The SO_TIMEOUT last set, -1 when unknown; set only when it changes (it boxes). Reader only. */
    private int soTimeout = -1;

    @Override
    public void open(String server, int port, int timeoutMillis, long deadline, TlsConnector.Deadline guard)
            throws IOException {
        guard.watch(plain);
        try {
            plain.setTcpNoDelay(true);
            try {
                // the lookup of a name counts into the connect timeout too
                InetSocketAddress address = HostResolver.resolve(server, port, timeoutMillis, deadline);
                plain.connect(address, (int) Math.max(1, Math.min(timeoutMillis,
                        TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            } catch (SocketTimeoutException e) {
                throw new MqttException(Reason.TIMEOUT, "TCP connect to " + server + ":" + port
                        + " did not complete within " + timeoutMillis + " ms", e);
            }
            Socket s = layer(plain, server, port, timeoutMillis, deadline);
            in = s.getInputStream();
            out = s.getOutputStream();
            socket = s;
        } catch (IOException | RuntimeException e) {
            closeQuietly(plain);
            throw e;
        }
    }

    /** The socket the connection's streams come from, over the connected {@code tcp}: itself here. */
    Socket layer(Socket tcp, String server, int port, int timeoutMillis, long deadline) throws IOException {
        return tcp;
    }

    /** The socket the streams come from, once opened; else the TCP socket. */
    final Socket socket() {
        return socket;
    }

    @Override
    public final int readAvailable(byte[] b, int off, int len) throws IOException {
        InputStream input = in;
        int available = input.available();
        return available > 0 ? input.read(b, off, Math.min(available, len)) : 0;
    }

    @Override
    public final int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        InputStream input = in;
        if (timeoutMillis != soTimeout) {
            socket.setSoTimeout(timeoutMillis);
            soTimeout = timeoutMillis;
        }
        try {
            return input.read(b, off, len);
        } catch (SocketTimeoutException e) {
            return 0;
        }
    }

    @Override
    public boolean pollsByReading() {
        return false;
    }

    @Override
    public final void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
    }

    @Override
    public final void close() {
        closeQuietly(socket);
    }

    @Override
    public final void abort() {
        closeQuietly(plain);
    }

    @Override
    public final Socket tcp() {
        return plain;
    }

    @Override
    public IOException explainFailure(String server, int port, IOException e) {
        return null;
    }

    static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing socket failed", e);
            }
        }
    }
}
