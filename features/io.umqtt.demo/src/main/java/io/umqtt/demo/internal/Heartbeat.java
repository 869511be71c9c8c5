package io.umqtt.demo.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.umqtt.api.MqttConnection;

/**
 * Publishes {@code umqtt/demo/heartbeat} on the demo connection every few seconds, so that the
 * logging handler has something to show. Needs its configuration (conf/io.umqtt.demo.heartbeat.cfg).
 */
@Component(configurationPid = Heartbeat.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = Heartbeat.Config.class)
public class Heartbeat {
    static final String PID = "io.umqtt.demo.heartbeat";

    @ObjectClassDefinition(name = "umqtt demo heartbeat",
            description = "Publishes a heartbeat on a connection, for the gateway demo.")
    public @interface Config {
        @AttributeDefinition(name = "Connection", description = "LDAP filter selecting the connection service.")
        String connection_target() default "(mqtt.connection.name=demo)";

        @AttributeDefinition(name = "Topic")
        String topic() default "umqtt/demo/heartbeat";

        @AttributeDefinition(name = "Period (s)", min = "1")
        int period() default 10;
    }

    private final MqttConnection connection;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> new Thread(r, "umqtt-demo-heartbeat"));

    @Activate
    public Heartbeat(@Reference(name = "connection") MqttConnection connection, Config config) {
        this.connection = connection;
        String topic = config.topic();
        timer.scheduleAtFixedRate(() -> beat(topic), 1, config.period(), TimeUnit.SECONDS);
    }

    private void beat(String topic) {
        if (!connection.isConnected()) {
            return; // the robust client reconnects; skip this beat instead of queueing heartbeats
        }
        try {
            connection.publish(topic, ("alive " + Instant.now()).getBytes(UTF_8), 0, false);
        } catch (IOException e) {
            System.err.println("[umqtt demo] heartbeat on " + connection.name() + " failed: " + e);
        }
    }

    @Deactivate
    void stop() {
        timer.shutdownNow();
    }
}
