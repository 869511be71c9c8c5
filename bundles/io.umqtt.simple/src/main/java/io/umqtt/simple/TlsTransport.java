package io.umqtt.simple;

import java.io.IOException;
import java.net.Socket;

import javax.net.ssl.SSLSocket;

/**
 * {@link Transport} over TLS: TCP on a socket as {@link SocketTransport}, then the handshake by
 * {@link TlsConnector} within the same connect deadline, and the {@code SSLSocket}'s streams (so,
 * unlike plain TCP on a channel, each reading thread gets the JDK's per-thread direct-buffer
 * cache: JSSE reads its socket into heap arrays). Threading as in {@link Transport}.
 */
final class TlsTransport extends SocketTransport {
    private final TlsSettings tls;

    TlsTransport(TlsSettings tls) {
        this.tls = tls;
    }

    @Override
    Socket layer(Socket tcp, String server, int port, int timeoutMillis, long deadline) throws IOException {
        return TlsConnector.handshake(tcp, server, port, tls, timeoutMillis, deadline);
    }

    @Override
    public boolean pollsByReading() {
        return true; // TLS hides what is buffered until a read decrypts it
    }

    @Override
    public IOException explainFailure(String server, int port, IOException e) {
        Socket s = socket();
        return s instanceof SSLSocket ? TlsConnector.explainAfterHandshake(server, port, (SSLSocket) s, e) : null;
    }
}
