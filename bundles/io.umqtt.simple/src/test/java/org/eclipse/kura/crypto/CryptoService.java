package org.eclipse.kura.crypto;

import org.eclipse.kura.KuraException;

/**
 * Test stand-in for the two methods of Eclipse Kura's {@code CryptoService} that matter here (the
 * real interface has more). Packaged into a stand-in bundle by
 * {@code io.umqtt.simple.testing.KuraStub#cryptoBundle()}; on the unit tests' class path it lets
 * the components find "Kura's" crypto API, as where Kura's API bundle is wired to them.
 */
public interface CryptoService {
    char[] encryptAes(char[] value) throws KuraException;

    char[] decryptAes(char[] encryptedValue) throws KuraException;
}
