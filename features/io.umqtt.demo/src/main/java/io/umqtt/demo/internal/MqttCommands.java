package io.umqtt.demo.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.robust.RobustConnection;
import io.umqtt.whiteboard.ConnectionDTO;
import io.umqtt.whiteboard.HandlerDTO;
import io.umqtt.whiteboard.SubscriptionDTO;
import io.umqtt.whiteboard.WhiteboardRuntime;
import io.umqtt.whiteboard.WhiteboardRuntimeDTO;

/**
 * Gogo commands for operators: {@code mqtt:list}, {@code mqtt:pub}, {@code mqtt:sub},
 * {@code mqtt:handlers}. Gogo finds them by the service properties; no Gogo API is needed.
 */
@Component(service = MqttCommands.class, property = {
        "osgi.command.scope=mqtt",
        "osgi.command.function=list",
        "osgi.command.function=pub",
        "osgi.command.function=sub",
        "osgi.command.function=handlers" })
public class MqttCommands {

    private final Map<MqttConnection, Map<String, Object>> connections = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile WhiteboardRuntime whiteboard;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addConnection(MqttConnection connection, Map<String, Object> properties) {
        connections.put(connection, properties);
    }

    void updatedConnection(MqttConnection connection, Map<String, Object> properties) {
        connections.put(connection, properties);
    }

    void removeConnection(MqttConnection connection) {
        connections.remove(connection);
    }

    /**
     * mqtt:list: every connection service with its broker, state and counters; for a connection out
     * of service because its configuration is invalid, the error instead of the counters.
     */
    public String list() {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-16s %-8s %-28s %-12s %s%n", "NAME", "KIND", "BROKER", "STATE", "COUNTERS"));
        connections.forEach((connection, p) -> {
            String broker = p.get(MqttConstants.SERVER) == null ? "-" // out of service: no settings
                    : p.get(MqttConstants.SERVER) + ":" + p.get(MqttConstants.PORT)
                            + (Boolean.TRUE.equals(p.get(MqttConstants.TLS)) ? " (tls)" : "");
            String counters = "";
            if (connection instanceof RobustConnection) {
                RobustConnection r = (RobustConnection) connection;
                counters = String.format("attempts=%d reconnects=%d queued=%d queuedTotal=%d resent=%d dropped=%d",
                        r.connectAttempts(), r.reconnects(), r.queued(), r.queuedTotal(), r.resent(), r.dropped());
            }
            Object error = p.get(MqttConstants.ERROR); // an invalid configuration: what is wrong
            out.append(String.format("%-16s %-8s %-28s %-12s %s%n", connection.name(), p.get(MqttConstants.KIND),
                    broker, connection.state(), error != null ? "error: " + error : counters));
        });
        return out.toString();
    }

    /** mqtt:pub: publishes a UTF-8 message at QoS 0. */
    public String pub(String connectionName, String topic, String message) throws IOException {
        return pub(connectionName, topic, message, 0);
    }

    /** mqtt:pub: publishes a UTF-8 message at the given QoS (at QoS 1 it returns after the PUBACK). */
    public String pub(String connectionName, String topic, String message, int qos) throws IOException {
        find(connectionName).publish(topic, message.getBytes(UTF_8), qos, false);
        return "published " + message.length() + " chars to " + topic;
    }

    /**
     * mqtt:sub: subscribes, prints what arrives for the given seconds, then drops its own
     * listener; a whiteboard handler on the same filter keeps its subscription.
     */
    public String sub(String connectionName, String filter, int seconds) throws IOException, InterruptedException {
        MqttConnection connection = find(connectionName);
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        MessageListener printer = m -> received.add(m.topicString() + ": " + new String(m.payload(), UTF_8));
        int granted = connection.subscribe(filter, 1, printer);
        System.out.println("subscribed to " + filter + " (granted qos " + granted + ") for " + seconds + " s");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int count = 0;
        try {
            for (long left; (left = deadline - System.nanoTime()) > 0;) {
                String line = received.poll(left, TimeUnit.NANOSECONDS);
                if (line != null) {
                    System.out.println(line);
                    count++;
                }
            }
        } finally {
            connection.unsubscribe(filter, printer);
        }
        return count + " message(s)";
    }

    /** The MQTT 5 subscription options a handler asked for, e.g. {@code " noLocal retainHandling=2"}; "" for none. */
    private static String options(HandlerDTO h) {
        return (h.noLocal ? " noLocal" : "") + (h.retainAsPublished ? " retainAsPublished" : "")
                + (h.retainHandling != 0 ? " retainHandling=" + h.retainHandling : "");
    }

    /** mqtt:handlers: the whiteboard's handlers and the broker subscriptions per connection. */
    public String handlers() {
        WhiteboardRuntime runtime = whiteboard;
        if (runtime == null) {
            return "no whiteboard runtime";
        }
        WhiteboardRuntimeDTO dto = runtime.getRuntimeDTO();
        StringBuilder out = new StringBuilder("handlers:\n");
        for (HandlerDTO h : dto.handlers) {
            out.append(String.format("  #%d bundle %d topics=%s qos=%d%s target=%s connections=%s delivered=%d failed=%d dropped=%d queued=%d%n",
                    h.serviceId, h.bundleId, Arrays.toString(h.topics), h.qos, options(h), h.target,
                    Arrays.toString(h.connectionServiceIds), h.delivered, h.failed, h.dropped, h.queued));
        }
        if (dto.failedHandlers.length > 0) {
            out.append("failed handlers:\n");
            Arrays.stream(dto.failedHandlers).forEach(f -> out.append(String.format("  #%d bundle %d: %s%n",
                    f.serviceId, f.bundleId, f.reason)));
        }
        out.append("connections:\n");
        for (ConnectionDTO c : dto.connections) {
            out.append(String.format("  #%d %s connected=%s received=%d unmatched=%d%n", c.serviceId, c.name,
                    c.connected, c.received, c.unmatched));
            for (SubscriptionDTO s : c.subscriptions) {
                out.append(String.format("    %s %s qos %d/%d handlers=%s%s%n", s.filter, s.status, s.requestedQos,
                        s.grantedQos, Arrays.toString(s.handlerServiceIds),
                        s.failure == null ? "" : " failure=" + s.failure));
            }
        }
        out.append("dispatch threads: ").append(dto.threads).append('\n');
        return out.toString();
    }

    private MqttConnection find(String name) {
        List<String> names = new ArrayList<>();
        for (MqttConnection c : connections.keySet()) {
            if (c.name().equals(name)) {
                return c;
            }
            names.add(c.name());
        }
        throw new IllegalArgumentException("no connection named '" + name + "'; there are " + names);
    }
}
