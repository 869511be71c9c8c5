package io.umqtt.demo.broker.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Properties;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.moquette.BrokerConstants;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;

/**
 * The gateway demo's broker: Moquette, in this JVM, listening on localhost only, anonymous, no
 * persistence. It exists so that the gateway works out of the box on a machine with no broker; a real
 * gateway points its connections at a real broker and turns this off ({@code enabled=false} in
 * {@code conf/io.umqtt.demo.broker.cfg}, or leaves this bundle out). Needs its configuration.
 */
@Component(configurationPid = DemoBroker.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = DemoBroker.Config.class)
public class DemoBroker {
    static final String PID = "io.umqtt.demo.broker";

    @ObjectClassDefinition(id = PID, name = "umqtt demo broker",
            description = "An embedded MQTT broker (Moquette) for the gateway demo. Not for production: "
                    + "anonymous, in memory, no TLS.")
    public @interface Config {
        @AttributeDefinition(name = "Enabled", description = "Run the demo broker. Turn it off when the "
                + "connections use a real broker.")
        boolean enabled() default true;

        @AttributeDefinition(name = "Host", description = "Address to listen on. Keep it on loopback: "
                + "the demo broker lets anybody in.")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "Port", min = "1", max = "65535")
        int port() default 1883;
    }

    private Server server;

    @Activate
    public DemoBroker(Config config) {
        if (!config.enabled()) {
            System.out.println("[umqtt demo broker] off (enabled=false in " + PID + ")");
            return;
        }
        String where = config.host() + ":" + config.port();
        if (config.port() < 1 || config.port() > 65535) {
            throw new IllegalArgumentException("[umqtt demo broker] port " + config.port()
                    + " is not a TCP port (1..65535); fix port in " + PID);
        }
        // Moquette logs a bind failure and carries on without a listener: find out first, and say why
        String busy = busy(config.host(), config.port());
        if (busy != null) {
            System.err.println("[umqtt demo broker] cannot listen on " + where + ": " + busy + ". Another "
                    + "broker there? Connections to " + where + " will use it; to silence this set enabled=false "
                    + "in " + PID + ", or move the demo broker with port=...");
            return;
        }
        Properties p = new Properties();
        p.setProperty(BrokerConstants.HOST_PROPERTY_NAME, config.host());
        p.setProperty(BrokerConstants.PORT_PROPERTY_NAME, Integer.toString(config.port()));
        p.setProperty(BrokerConstants.WEB_SOCKET_PORT_PROPERTY_NAME, BrokerConstants.DISABLED_PORT_BIND);
        p.setProperty(BrokerConstants.ALLOW_ANONYMOUS_PROPERTY_NAME, "true");
        p.setProperty(BrokerConstants.PERSISTENCE_ENABLED_PROPERTY_NAME, "false");
        p.setProperty(BrokerConstants.NETTY_EPOLL_PROPERTY_NAME, "false");
        // Moquette 0.17 otherwise phones home with usage data (and writes data/.moquette_uuid for it)
        p.setProperty(BrokerConstants.ENABLE_TELEMETRY_NAME, "false");
        Server s = new Server();
        long start = System.nanoTime();
        try {
            s.startServer(new MemoryConfig(p));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("[umqtt demo broker] could not start on " + where + ": " + e, e);
        }
        server = s;
        System.out.printf("[umqtt demo broker] Moquette listening on %s (started in %d ms)%n", where,
                (System.nanoTime() - start) / 1_000_000);
    }

    @Deactivate
    void stop() {
        Server s = server;
        server = null;
        if (s != null) {
            s.stopServer();
            System.out.println("[umqtt demo broker] stopped");
        }
    }

    /** Why {@code host:port} cannot be listened on, or null when it can. */
    private static String busy(String host, int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
            return null;
        } catch (IOException e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }
}
