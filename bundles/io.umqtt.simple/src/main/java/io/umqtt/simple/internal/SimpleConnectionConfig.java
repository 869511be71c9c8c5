package io.umqtt.simple.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;

import io.umqtt.simple.connection.ConnectionConfig;
import io.umqtt.simple.connection.ConnectionSettings;

/**
 * The simple component's own attributes, next to the shared {@link ConnectionConfig}: the connect
 * timeout (its default is the simple connection's) and the Felix web console's name hint. A
 * Declarative Services component property type of {@link SimpleConnectionComponent}; its Metatype
 * is part of {@link SimpleConnectionForm}.
 */
@interface SimpleConnectionConfig {

    @AttributeDefinition(name = "Connect timeout (s)",
            description = "Longest time for TCP connect, TLS handshake and the broker's CONNACK together, "
                    + "1..86400 seconds.",
            min = "1", max = "" + ConnectionSettings.MAX_TIMEOUT_SECONDS)
    int connect_timeout() default ConnectionSettings.DEFAULT_CONNECT_TIMEOUT_SECONDS;

    /** How the Felix web console lists the configurations of this factory. */
    @AttributeDefinition(name = "Felix web console name hint",
            description = "How the Felix web console lists these configurations; not used by the connection.",
            required = false)
    String webconsole_configurationFactory_nameHint() default "{name} {server}:{port}";
}
