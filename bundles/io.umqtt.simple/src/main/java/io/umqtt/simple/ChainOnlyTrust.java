package io.umqtt.simple;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A trust manager that checks the server's certificate chain against its delegate's trust
 * material but not the host name: the per-connection way to turn host name verification off for
 * a WebSocket (wss) connection, since the JDK's HTTP client asks the TLS engine to check the host
 * name always (only a JVM-wide system property turns that off). The JDK checks the host name in
 * the engine-aware methods, which this class answers with the chain check alone. Used only when
 * {@link TlsSettings#withHostnameVerification(boolean)} turned verification off. Stateless and
 * thread-safe.
 */
final class ChainOnlyTrust extends X509ExtendedTrustManager {
    private final X509TrustManager delegate;

    private ChainOnlyTrust(X509TrustManager delegate) {
        this.delegate = delegate;
    }

    /** {@code managers} with each X.509 trust manager checking chains only. */
    static TrustManager[] wrap(TrustManager[] managers) {
        TrustManager[] result = managers.clone();
        for (int i = 0; i < result.length; i++) {
            if (result[i] instanceof X509TrustManager) {
                result[i] = new ChainOnlyTrust((X509TrustManager) result[i]);
            }
        }
        return result;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
