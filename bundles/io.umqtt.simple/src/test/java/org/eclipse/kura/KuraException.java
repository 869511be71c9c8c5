package org.eclipse.kura;

/**
 * Test stand-in for Eclipse Kura's checked exception (not on Maven Central): only what the tests
 * need. Packaged into a stand-in bundle by {@code io.umqtt.simple.testing.KuraStub#cryptoBundle()}.
 */
public class KuraException extends Exception {
    private static final long serialVersionUID = 1L;

    public KuraException(String message) {
        super(message);
    }
}
