package io.umqtt.simple.connection;

import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.function.UnaryOperator;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * Decrypts the passwords Eclipse Kura stores encrypted. Kura encrypts every Password attribute of
 * a configuration with its {@code org.eclipse.kura.crypto.CryptoService} ({@code encryptAes}); a
 * component must call {@code char[] decryptAes(char[])} before using the value. Where Kura's
 * crypto API is wired to this bundle (an optional import) and such a service is registered,
 * {@link #open} returns a decryptor that calls it; elsewhere (Felix, Karaf) the values are used as
 * they are. The interface is looked up by name, so nothing of Kura is needed at compile time.
 * <p>
 * Some of Kura's paths (a configuration created with its properties) store a password unencrypted:
 * a value that does not decrypt ({@code KuraException}, or any other failure of the service) is
 * used as it is. Neither form of a password is ever logged.
 * <p>
 * A decryptor holds the service from {@link #open} to {@link #close()}; it is used on one thread.
 */
public final class KuraCrypto implements UnaryOperator<String>, AutoCloseable {
    /** Kura's crypto service interface. */
    public static final String INTERFACE = "org.eclipse.kura.crypto.CryptoService";

    private static final System.Logger LOG = System.getLogger(KuraCrypto.class.getName());
    private static final KuraCrypto NONE = new KuraCrypto(null, null, null, null);

    private final BundleContext context;
    private final ServiceReference<?> reference;
    private final Object service;
    private final Method decrypt;

    private KuraCrypto(BundleContext context, ServiceReference<?> reference, Object service, Method decrypt) {
        this.context = context;
        this.reference = reference;
        this.service = service;
        this.decrypt = decrypt;
    }

    /**
     * A decryptor using the highest ranked CryptoService {@code context} sees, when {@code loader}
     * (the bundle's) can load Kura's interface; otherwise one that returns every value unchanged.
     */
    public static KuraCrypto open(BundleContext context, ClassLoader loader) {
        Method decrypt;
        try {
            decrypt = loader.loadClass(INTERFACE).getMethod("decryptAes", char[].class);
        } catch (ClassNotFoundException | NoSuchMethodException | LinkageError notKura) {
            return NONE;
        }
        ServiceReference<?> ref;
        try {
            ServiceReference<?>[] refs = context.getServiceReferences(INTERFACE, null);
            ref = refs == null || refs.length == 0 ? null : highest(refs);
        } catch (InvalidSyntaxException | IllegalStateException e) {
            ref = null;
        }
        Object service = ref == null ? null : context.getService(ref);
        if (service == null) {
            LOG.log(Level.DEBUG, "Kura's crypto API is present but no " + INTERFACE + " is registered: passwords "
                    + "are used as configured");
            return NONE;
        }
        return new KuraCrypto(context, ref, service, decrypt);
    }

    private static ServiceReference<?> highest(ServiceReference<?>[] refs) {
        ServiceReference<?> best = refs[0];
        for (ServiceReference<?> r : refs) {
            if (r.compareTo(best) > 0) {
                best = r;
            }
        }
        return best;
    }

    /** Whether a CryptoService is in use. */
    public boolean active() {
        return service != null;
    }

    /** The decrypted {@code value}, or {@code value} itself when it is empty or does not decrypt. */
    @Override
    public String apply(String value) {
        if (service == null || value == null || value.isEmpty()) {
            return value;
        }
        try {
            Object plain = decrypt.invoke(service, (Object) value.toCharArray());
            return plain instanceof char[] ? new String((char[]) plain) : value;
        } catch (InvocationTargetException e) {
            // stored unencrypted (Kura's KuraException), or the service failed: use it as it is
            LOG.log(Level.DEBUG, () -> "a password did not decrypt (" + e.getCause().getClass().getName()
                    + "); it is used as configured");
            return value;
        } catch (IllegalAccessException | IllegalArgumentException e) {
            LOG.log(Level.WARNING, "cannot call " + INTERFACE + ".decryptAes (" + e + "); passwords are used as "
                    + "configured");
            return value;
        }
    }

    /** Releases the service. */
    @Override
    public void close() {
        if (reference != null) {
            try {
                context.ungetService(reference);
            } catch (IllegalStateException e) {
                // the bundle is stopping: released by the framework
            }
        }
    }
}
