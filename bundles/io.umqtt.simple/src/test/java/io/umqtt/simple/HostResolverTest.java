package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;

/** The broker's host name is looked up within the connect timeout and named when it does not resolve. */
class HostResolverTest {
    @Test
    void ipLiteralsNeedNoLookup() {
        assertTrue(HostResolver.isIpLiteral("127.0.0.1"));
        assertTrue(HostResolver.isIpLiteral("::1"));
        assertTrue(HostResolver.isIpLiteral("fd00::1"));
        assertFalse(HostResolver.isIpLiteral("localhost"));
        assertFalse(HostResolver.isIpLiteral("1.2.3"));
        assertFalse(HostResolver.isIpLiteral("1.2.3.4.example"));
        assertFalse(HostResolver.isIpLiteral("1234.1.1.1"));
        assertFalse(HostResolver.isIpLiteral("1..2.3"));
    }

    @Test
    void anUnresolvableHostIsNamedWithItsPortByConnect() {
        MqttClient client = new MqttClient("dns-test", "no-such-host.invalid", 1883);
        client.setConnectTimeout(5_000);
        UnknownHostException e = assertThrows(UnknownHostException.class, () -> client.connect(true));
        assertEquals("unknown host no-such-host.invalid: the name does not resolve (connecting to "
                + "no-such-host.invalid:1883)", e.getMessage());
        assertNotNull(e.getCause(), "the resolver's own exception stays as the cause");
    }
}
