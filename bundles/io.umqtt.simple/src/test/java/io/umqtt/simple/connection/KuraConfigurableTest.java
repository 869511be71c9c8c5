package io.umqtt.simple.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceRegistration;

import io.umqtt.simple.testing.FakeBundleContext;
import io.umqtt.simple.testing.FakeBundleContext.Event;
import io.umqtt.simple.testing.FakeBundleContext.Kind;
import io.umqtt.simple.testing.KuraStub;

/** The marker service that shows a connection configuration in Kura's UI, registered only where Kura's API is. */
class KuraConfigurableTest {
    private static final ClassLoader KURA = KuraStub.loaderWithInterface(KuraConfigurableTest.class.getClassLoader());

    private final FakeBundleContext bundle = new FakeBundleContext();

    @Test
    void withoutKurasApiNothingIsRegistered() {
        assertNull(KuraConfigurable.register(bundle.context, KuraConfigurableTest.class.getClassLoader(),
                Map.of("service.pid", "io.umqtt.simple.1234", "service.factoryPid", "io.umqtt.simple")));
        assertNull(bundle.poll(), "nothing may be registered outside Kura");
    }

    @Test
    void withKurasApiTheConfigurationIsAConfigurableComponent() throws Exception {
        ServiceRegistration<?> reg = KuraConfigurable.register(bundle.context, KURA,
                Map.of("service.pid", "io.umqtt.robust.99", "service.factoryPid", "io.umqtt.robust",
                        "kura.service.pid", "plant", "name", "plant", "password", "secret"));
        assertNotNull(reg);
        Event e = bundle.next();
        assertEquals(Kind.REGISTERED, e.kind);
        assertEquals(List.of(KuraStub.INTERFACE), e.objectClasses);
        assertTrue(KURA.loadClass(KuraStub.INTERFACE).isInstance(e.service), "the service is Kura's marker");
        // only what Kura reads: no connection property, least of all a secret
        assertEquals(Map.of("service.pid", "io.umqtt.robust.99", "service.factoryPid", "io.umqtt.robust",
                "kura.service.pid", "plant"), e.properties);
        assertEquals("umqtt connection configuration io.umqtt.robust.99", e.service.toString());
        assertEquals(e.service, e.service);

        KuraConfigurable.unregister(reg);
        assertEquals(Kind.UNREGISTERED, bundle.next().kind);
        KuraConfigurable.unregister(reg); // already gone: no exception
        KuraConfigurable.unregister(null);
        assertNull(bundle.poll());
    }

    @Test
    void aConfigurationMadeOutsideKuraIsKnownByItsServicePid() throws Exception {
        KuraConfigurable.register(bundle.context, KURA,
                Map.of("service.pid", "io.umqtt.simple.7", "service.factoryPid", "io.umqtt.simple"));
        assertEquals("io.umqtt.simple.7", bundle.next().get("kura.service.pid"));
    }

    @Test
    void withoutServicePidThereIsNothingForKuraToEdit() {
        assertNull(KuraConfigurable.register(bundle.context, KURA, Map.of("name", "x")));
        assertNull(bundle.poll());
    }

    @Test
    void theMarkerHasNoBehaviourToCall() throws Exception {
        KuraConfigurable.register(bundle.context, KURA, Map.of("service.pid", "p"));
        Object marker = bundle.next().service;
        // the interface has no methods; anything else reaching the proxy is refused, not ignored
        java.lang.reflect.InvocationHandler handler = java.lang.reflect.Proxy.getInvocationHandler(marker);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> handler.invoke(marker, Object.class.getMethod("notify"), null));
        assertTrue(e.getMessage().contains("notify"), e::getMessage);
    }
}
