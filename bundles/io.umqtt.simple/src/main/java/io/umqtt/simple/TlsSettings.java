package io.umqtt.simple;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Objects;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a {@link MqttClient} secures its connection (umqtt's {@code ssl} and {@code ssl_params}).
 * The server certificate is always verified against the trust material; the host name is
 * verified too unless {@link #withHostnameVerification(boolean) turned off}. The server name
 * (SNI) is the host name the client connects to. Immutable.
 */
public final class TlsSettings {
    /** The key store type used when none is given. */
    public static final String DEFAULT_STORE_TYPE = "PKCS12";

    private final SSLContext context;
    private final Path trustStore;
    private final char[] trustStorePassword;
    private final String trustStoreType;
    private final Path keyStore;
    private final char[] keyStorePassword;
    private final String keyStoreType;
    private final boolean verifyHostname;

    private TlsSettings(SSLContext context, Path trustStore, char[] trustStorePassword, String trustStoreType,
            Path keyStore, char[] keyStorePassword, String keyStoreType, boolean verifyHostname) {
        this.context = context;
        this.trustStore = trustStore;
        this.trustStorePassword = trustStorePassword;
        this.trustStoreType = trustStoreType;
        this.keyStore = keyStore;
        this.keyStorePassword = keyStorePassword;
        this.keyStoreType = keyStoreType;
        this.verifyHostname = verifyHostname;
    }

    /** TLS with the JDK's default trust store and no client certificate. */
    public static TlsSettings defaults() {
        return new TlsSettings(null, null, null, null, null, null, null, true);
    }

    /** TLS with a ready {@link SSLContext} (trust and client keys are the context's). */
    public static TlsSettings of(SSLContext context) {
        return new TlsSettings(Objects.requireNonNull(context, "context"), null, null, null, null, null, null, true);
    }

    /**
     * TLS from key store files.
     *
     * @param trustStore CA certificates to trust, or {@code null} for the JDK's defaults
     * @param trustStorePassword its password, or {@code null}
     * @param keyStore the client certificate and private key, or {@code null} for none
     * @param keyStorePassword its password (also the key's), or {@code null}
     * @param storeType the type of both stores, {@code null} for {@value #DEFAULT_STORE_TYPE}
     */
    public static TlsSettings fromStores(Path trustStore, char[] trustStorePassword, Path keyStore,
            char[] keyStorePassword, String storeType) {
        String type = storeType == null || storeType.isEmpty() ? DEFAULT_STORE_TYPE : storeType;
        return new TlsSettings(null, trustStore, copy(trustStorePassword), type, keyStore, copy(keyStorePassword),
                type, true);
    }

    /** A copy with host name verification on (the default) or off. Off only for tests or pinned CAs. */
    public TlsSettings withHostnameVerification(boolean verify) {
        return new TlsSettings(context, trustStore, trustStorePassword, trustStoreType, keyStore, keyStorePassword,
                keyStoreType, verify);
    }

    /** Whether the server's host name is checked against its certificate. */
    public boolean verifiesHostname() {
        return verifyHostname;
    }

    /** The socket factory these settings describe; loads the key stores. */
    public SSLSocketFactory socketFactory() throws IOException {
        return socketFactory(null);
    }

    /**
     * The socket factory for one connection; {@code presented}, when not null, learns which client
     * certificate its handshake presents (or that this cannot be known).
     */
    SSLSocketFactory socketFactory(TlsConnector.ClientCertificate presented) throws IOException {
        if (context != null) {
            if (presented != null) {
                presented.unknown("the application's SSLContext");
            }
            return context.getSocketFactory();
        }
        if (trustStore == null && keyStore == null) {
            String systemKeyStore = System.getProperty("javax.net.ssl.keyStore");
            if (presented != null && systemKeyStore != null && !systemKeyStore.isEmpty()) {
                presented.unknown("the javax.net.ssl.keyStore system property");
            }
            return (SSLSocketFactory) SSLSocketFactory.getDefault();
        }
        try {
            TrustManagerFactory tmf = null;
            if (trustStore != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(trustStore, trustStorePassword, trustStoreType, "trust store"));
            }
            KeyManagerFactory kmf = null;
            if (keyStore != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(keyStore, keyStorePassword, keyStoreType, "key store"),
                        keyStorePassword == null ? new char[0] : keyStorePassword);
            }
            KeyManager[] keys = kmf == null ? null : kmf.getKeyManagers();
            if (presented != null && keys != null) {
                presented.keyStore(keyStore.toString());
                keys = presented.recording(keys);
            } else if (presented != null) {
                keys = presented.recordingNoKeys(); // none, as without key managers; tells whether one was asked for
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, tmf == null ? null : tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /**
     * The SSL context of a WebSocket (wss) connection, whose JDK HTTP client always asks the TLS
     * engine to check the host name: with verification off, the trust managers are wrapped so that
     * they check the certificate chain only. Not possible with an application's
     * {@link SSLContext}: refused, naming the connection.
     */
    SSLContext webSocketContext(String broker) throws IOException {
        try {
            if (context != null) {
                if (!verifyHostname) {
                    throw new IOException("cannot connect to " + broker + " without host name verification: over "
                            + "WebSocket the JDK's HTTP client checks the host name of an application's SSLContext "
                            + "always; give the trust store as a file instead (TlsSettings.fromStores)");
                }
                return context;
            }
            if (trustStore == null && keyStore == null && verifyHostname) {
                return SSLContext.getDefault();
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore == null ? null : load(trustStore, trustStorePassword, trustStoreType, "trust store"));
            KeyManager[] keys = null;
            if (keyStore != null) {
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(keyStore, keyStorePassword, keyStoreType, "key store"),
                        keyStorePassword == null ? new char[0] : keyStorePassword);
                keys = kmf.getKeyManagers();
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, verifyHostname ? tmf.getTrustManagers() : ChainOnlyTrust.wrap(tmf.getTrustManagers()),
                    null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS for " + broker + ": " + e.getMessage(), e);
        }
    }

    /**
     * What makes two settings' WebSocket contexts interchangeable, for sharing one HTTP client:
     * the application's context itself, or the store files (with their size and modification
     * time, so that a replaced certificate gets a new context), types, passwords and host name
     * verification.
     */
    Object sharingKey() {
        if (context != null) {
            return java.util.Arrays.asList(new IdentityKey(context), verifyHostname);
        }
        return java.util.Arrays.asList(fileKey(trustStore), trustStorePassword == null ? null
                : new String(trustStorePassword), trustStoreType, fileKey(keyStore),
                keyStorePassword == null ? null : new String(keyStorePassword), keyStoreType, verifyHostname);
    }

    /** Where the client certificate of a WebSocket connection comes from, for failure messages, or null. */
    String clientKeySource() {
        if (context != null) {
            return "the application's SSLContext";
        }
        if (keyStore != null) {
            return "key store " + keyStore;
        }
        String systemKeyStore = System.getProperty("javax.net.ssl.keyStore");
        return trustStore == null && systemKeyStore != null && !systemKeyStore.isEmpty()
                ? "the javax.net.ssl.keyStore system property" : null;
    }

    private static Object fileKey(Path file) {
        if (file == null) {
            return null;
        }
        try {
            return java.util.Arrays.asList(file.toAbsolutePath().normalize().toString(), Files.size(file),
                    Files.getLastModifiedTime(file));
        } catch (IOException e) {
            return file.toAbsolutePath().toString(); // loading it reports the problem
        }
    }

    /** Compares by identity. */
    private static final class IdentityKey {
        private final Object o;

        IdentityKey(Object o) {
            this.o = o;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof IdentityKey && ((IdentityKey) other).o == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(o);
        }
    }

    private static KeyStore load(Path file, char[] password, String type, String what)
            throws IOException, GeneralSecurityException {
        KeyStore ks;
        try {
            ks = KeyStore.getInstance(type);
        } catch (GeneralSecurityException e) {
            throw new IOException("unknown " + what + " type '" + type + "'", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password);
        } catch (IOException e) {
            throw new IOException("cannot read " + what + " " + file + ": " + reason(e, file), e);
        }
        return ks;
    }

    /** Why reading {@code file} failed, without repeating its path (the file system exceptions' message). */
    private static String reason(IOException e, Path file) {
        if (e instanceof NoSuchFileException) {
            return "the file does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException) {
            String why = ((FileSystemException) e).getReason();
            return why != null ? why : e.getClass().getSimpleName();
        }
        String message = e.getMessage();
        if (message == null || message.isEmpty() || message.equals(file.toString())) {
            return e.getClass().getSimpleName();
        }
        return message;
    }

    private static char[] copy(char[] chars) {
        return chars == null ? null : chars.clone();
    }

    @Override
    public String toString() {
        // never shows passwords
        return "TlsSettings[" + (context != null ? "custom SSLContext" : "trustStore=" + trustStore + ", keyStore="
                + keyStore) + ", verifyHostname=" + verifyHostname + "]";
    }
}
