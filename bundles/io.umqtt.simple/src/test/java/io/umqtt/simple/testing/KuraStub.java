package io.umqtt.simple.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Stands in for Eclipse Kura's API where Kura is not. Its crypto service: {@link #cryptoBundle()}
 * exports {@value #CRYPTO_PACKAGE} (version 1.3.0, as Kura 5.5) with the test-scope stand-in
 * {@code CryptoService} and {@code org.eclipse.kura} with {@code KuraException};
 * {@link #crypto(Class)} makes a service of it whose "encryption" ({@link #encrypt}) is a
 * reversible encoding, and whose decryption of anything else throws {@code KuraException}, as
 * Kura's does for a value stored unencrypted. Its marker interface
 * {@code org.eclipse.kura.configuration.ConfigurableComponent} (an empty public interface), made
 * here as class-file bytes, so that it is on no class path unless a test puts it there, through
 * {@link #loaderWithInterface} or a bundle exporting its package ({@link #bundle()}).
 */
public final class KuraStub {
    public static final String PACKAGE = "org.eclipse.kura.configuration";
    public static final String INTERFACE = PACKAGE + ".ConfigurableComponent";
    public static final String BUNDLE_SYMBOLIC_NAME = "io.umqtt.test.kura.api.stub";
    /** Kura's crypto package and service interface. */
    public static final String CRYPTO_PACKAGE = "org.eclipse.kura.crypto";
    public static final String CRYPTO_INTERFACE = CRYPTO_PACKAGE + ".CryptoService";
    public static final String KURA_EXCEPTION = "org.eclipse.kura.KuraException";
    public static final String CRYPTO_BUNDLE_SYMBOLIC_NAME = "io.umqtt.test.kura.crypto.stub";
    /** How {@link #encrypt} marks its output. */
    private static final String ENCRYPTED_PREFIX = "kura-aes:";

    private KuraStub() {
    }

    /** The class file of an empty public interface named {@link #INTERFACE}, in Java 11's format. */
    public static byte[] interfaceClassFile() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(0xCAFEBABE);
            out.writeShort(0); // minor version
            out.writeShort(55); // Java 11
            out.writeShort(5); // constant pool: 4 entries, numbered from 1
            out.writeByte(1); // #1 Utf8: this interface's internal name
            out.writeUTF(INTERFACE.replace('.', '/'));
            out.writeByte(7); // #2 Class #1
            out.writeShort(1);
            out.writeByte(1); // #3 Utf8: its super class
            out.writeUTF("java/lang/Object");
            out.writeByte(7); // #4 Class #3
            out.writeShort(3);
            out.writeShort(0x0001 | 0x0200 | 0x0400); // public interface abstract
            out.writeShort(2); // this class
            out.writeShort(4); // super class
            out.writeShort(0); // no super interfaces
            out.writeShort(0); // no fields
            out.writeShort(0); // no methods
            out.writeShort(0); // no attributes
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A class loader that defines {@link #INTERFACE} itself and leaves every other class to {@code parent}. */
    public static ClassLoader loaderWithInterface(ClassLoader parent) {
        byte[] classFile = interfaceClassFile();
        return new ClassLoader(parent) {
            private Class<?> marker;

            @Override
            protected synchronized Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (!INTERFACE.equals(name)) {
                    return super.loadClass(name, resolve);
                }
                if (marker == null) {
                    marker = defineClass(name, classFile, 0, classFile.length);
                }
                return marker;
            }
        };
    }

    /** A bundle exporting {@link #PACKAGE} (version 2.0.0) with the interface, as Kura's API bundle does. */
    public static InputStream bundle() {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", BUNDLE_SYMBOLIC_NAME);
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Export-Package", PACKAGE + ";version=\"2.0.0\"");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            jar.putNextEntry(new JarEntry(INTERFACE.replace('.', '/') + ".class"));
            jar.write(interfaceClassFile());
            jar.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ByteArrayInputStream(bytes.toByteArray());
    }

    /**
     * A bundle exporting {@value #CRYPTO_PACKAGE} (1.3.0) and {@code org.eclipse.kura} (1.6.0) with
     * the stand-ins of {@code CryptoService} and {@code KuraException} (the test classes of this
     * module, read as resources).
     */
    public static InputStream cryptoBundle() {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", CRYPTO_BUNDLE_SYMBOLIC_NAME);
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Export-Package", CRYPTO_PACKAGE + ";version=\"1.3.0\";uses:=\"org.eclipse.kura\","
                + "org.eclipse.kura;version=\"1.6.0\"");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            for (String name : new String[] {CRYPTO_INTERFACE, KURA_EXCEPTION}) {
                String entry = name.replace('.', '/') + ".class";
                try (InputStream in = KuraStub.class.getClassLoader().getResourceAsStream(entry)) {
                    if (in == null) {
                        throw new IllegalStateException(entry + " is not on the class path of " + KuraStub.class);
                    }
                    jar.putNextEntry(new JarEntry(entry));
                    in.transferTo(jar);
                    jar.closeEntry();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ByteArrayInputStream(bytes.toByteArray());
    }

    /** How the stand-in crypto service stores {@code plain}: never equal to it, and reversible. */
    public static String encrypt(String plain) {
        return ENCRYPTED_PREFIX + java.util.Base64.getEncoder().encodeToString(
                new StringBuilder(plain).reverse().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * A service object implementing {@code cryptoInterface} (the stand-in {@code CryptoService}, from
     * whichever class loader): {@code encryptAes} as {@link #encrypt}, {@code decryptAes} its inverse,
     * throwing the interface's {@code KuraException} for a value that {@link #encrypt} did not make.
     */
    public static Object crypto(Class<?> cryptoInterface) {
        return java.lang.reflect.Proxy.newProxyInstance(cryptoInterface.getClassLoader(),
                new Class<?>[] {cryptoInterface}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "encryptAes":
                            return encrypt(new String((char[]) args[0])).toCharArray();
                        case "decryptAes":
                            String value = new String((char[]) args[0]);
                            if (!value.startsWith(ENCRYPTED_PREFIX)) {
                                Class<?> e = cryptoInterface.getClassLoader().loadClass(KURA_EXCEPTION);
                                throw (Throwable) e.getConstructor(String.class).newInstance("not encrypted");
                            }
                            byte[] reversed = java.util.Base64.getDecoder().decode(
                                    value.substring(ENCRYPTED_PREFIX.length()));
                            return new StringBuilder(new String(reversed, java.nio.charset.StandardCharsets.UTF_8))
                                    .reverse().toString().toCharArray();
                        case "equals":
                            return proxy == args[0];
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "toString":
                            return "test CryptoService";
                        default:
                            throw new UnsupportedOperationException(method.toString());
                    }
                });
    }
}
