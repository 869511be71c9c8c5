package io.umqtt.simple;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.simple.internal.MqttStrings;

/**
 * MQTT 5 request/response for {@link MqttClient#request} (MQTT 5 section 4.10): a response topic of
 * the client's own, subscribed once per connection; per request correlation data (8 random bytes
 * of the client, then a 64-bit counter), which the response must carry back; the wait for the
 * response, which reads like an ack wait (the reader hands the response over, other messages go
 * to the callback).
 * <p>
 * The reader asks {@link #offer} about every PUBLISH: one on the response topic is the response to
 * an open request (which then returns with it) or a late one (logged, dropped), never delivered to
 * the callback. A client that never made a request pays one volatile read per PUBLISH.
 * <p>
 * Threading: {@code request} on any thread, {@code offer} on the reader; the open requests are
 * guarded by the client's lock.
 */
final class Requests {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());
    /** The response topic's prefix when the broker sent no Response Information. */
    static final String DEFAULT_PREFIX = "umqtt/response/";
    /** Bytes of correlation data: the client's random prefix and the request counter. */
    static final int CORRELATION_LENGTH = 16;

    private final MqttClient client;
    /** The waits without a packet id, of which a request's is one. */
    private final UnnumberedWaits unnumbered;
    /** The response topic as UTF-8 bytes, null until the first request; then the same for this client. */
    private volatile byte[] responseTopic;
    private String responseTopicString;
    /** The connection on which the response topic was subscribed; a new connection subscribes again. */
    private volatile Transport subscribedOn;
    /** The client's 8 random bytes that begin its correlation data; set with the response topic. */
    private byte[] prefix;
    /** The open requests by counter; guarded by the client's lock; made at the first request. */
    private Map<Long, Open> open;
    /** The last counter used; guarded by the client's lock. */
    private long counter;
    /** Responses that came for no open request (after their timeout, or not ours). */
    volatile long lateResponses;

    Requests(MqttClient client, UnnumberedWaits unnumbered) {
        this.client = client;
        this.unnumbered = unnumbered;
    }

    /** {@link MqttClient#request(String, byte[], int, MqttProperties, long)}. */
    Response request(String topic, byte[] payload, int qos, MqttProperties properties, long timeoutMillis)
            throws IOException {
        if (client.protocolVersion() != MqttConstants.MQTT_5) {
            throw new IllegalStateException("client '" + client.settings.clientId + "' at " + client.settings.broker()
                    + " speaks MQTT 3.1.1, which has no request/response: call setProtocolVersion(5) before connect");
        }
        byte[] t = MqttStrings.utf8("topic", topic);
        MqttClient.checkPublishArguments(t, payload, qos);
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("request timeout must be more than 0 ms, found " + timeoutMillis);
        }
        if (properties == null) {
            throw new IllegalArgumentException("request properties must not be null (MqttProperties.EMPTY for none)");
        }
        if (properties.responseTopic() != null || properties.correlationData() != null) {
            throw new IllegalArgumentException("a request's response topic and correlation data are set by the client; "
                    + "found " + (properties.responseTopic() != null ? "response topic '" + properties.responseTopic()
                            + "'" : "correlation data") + " in the properties of the request on '" + topic + "'");
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        client.lifecycle.checkConnected();
        subscribeResponseTopic();
        Pending p = unnumbered.register(PacketType.PUBLISH,
                ("the response to the request on '" + topic + "'").getBytes(StandardCharsets.UTF_8));
        Open o = new Open(p);
        long id;
        synchronized (client.lock) {
            id = ++counter;
            if (open == null) {
                open = new HashMap<>();
            }
            open.put(id, o);
        }
        try {
            MqttProperties withResponse = properties.toBuilder().responseTopic(responseTopicString)
                    .correlationData(correlation(id)).build();
            try {
                client.publish(t, payload, false, qos, withResponse);
                client.acks.waits.awaitDone(p, deadline, true);
            } catch (IOException e) {
                unnumbered.end(p, e); // throws e, unless the response came meanwhile
                return o.response;
            }
            unnumbered.end(p, new MqttException(Reason.TIMEOUT, "no response from "
                    + client.settings.broker() + " to the request on '" + topic + "' (response topic '"
                    + responseTopicString + "') within " + timeoutMillis + " ms"));
            return o.response;
        } catch (RuntimeException e) {
            try {
                unnumbered.end(p, new IOException(e));
            } catch (IOException same) {
                // the wait ended with e itself, which is thrown below
            }
            throw e;
        } finally {
            synchronized (client.lock) {
                open.remove(id);
            }
        }
    }

    /** The correlation data of request {@code id}: the client's prefix, then {@code id} big-endian. */
    private byte[] correlation(long id) {
        byte[] c = Arrays.copyOf(prefix, CORRELATION_LENGTH);
        for (int i = 0; i < 8; i++) {
            c[8 + i] = (byte) (id >>> (56 - 8 * i));
        }
        return c;
    }

    /**
     * Subscribes the response topic unless done on this connection (choosing it at the first
     * request: the broker's Response Information, if it sent one, or {@value #DEFAULT_PREFIX}, then
     * 16 random hex digits).
     */
    private void subscribeResponseTopic() throws IOException {
        Transport now = client.lifecycle.transport;
        if (subscribedOn == now && now != null) {
            return;
        }
        synchronized (this) {
            if (responseTopic == null) {
                byte[] random = new byte[16];
                new SecureRandom().nextBytes(random);
                prefix = Arrays.copyOf(random, 8);
                StringBuilder s = new StringBuilder();
                ServerSettings server = client.serverSettings();
                String info = server == null ? null : server.responseInformation();
                if (info != null && !info.isEmpty()) {
                    s.append(info).append(info.endsWith("/") ? "" : "/");
                } else {
                    s.append(DEFAULT_PREFIX);
                }
                for (int i = 8; i < 16; i++) {
                    s.append(String.format("%02x", random[i] & 0xFF));
                }
                responseTopicString = s.toString();
                responseTopic = responseTopicString.getBytes(StandardCharsets.UTF_8);
            }
        }
        client.subscribe(responseTopicString, SubscriptionOptions.qos(2));
        subscribedOn = now;
    }

    /** Whether {@code topic} is the response topic (for messages). */
    boolean isResponseTopic(byte[] topic) {
        byte[] mine = responseTopic;
        return mine != null && Arrays.equals(mine, topic);
    }

    /** The response topic, or null before the first request. */
    String responseTopic() {
        return responseTopicString;
    }

    /**
     * The reader read a PUBLISH: whether it is on the response topic (then it is not delivered to
     * the callback), handing it to its open request if it carries the correlation data of one.
     */
    boolean offer(byte[] topic, byte[] payload, boolean retain, int qos, MqttProperties properties) {
        byte[] mine = responseTopic;
        if (mine == null || !Arrays.equals(mine, topic)) {
            return false;
        }
        byte[] c = properties.correlationData();
        Open o = null;
        if (c != null && c.length == CORRELATION_LENGTH && Arrays.equals(c, 0, 8, prefix, 0, 8)) {
            long id = 0;
            for (int i = 8; i < CORRELATION_LENGTH; i++) {
                id = id << 8 | (c[i] & 0xFF);
            }
            synchronized (client.lock) {
                o = open == null ? null : open.remove(id);
            }
        }
        if (o == null) {
            lateResponses++;
            LOG.log(Level.DEBUG, () -> "MQTT client " + client.settings.clientId + ": a message on the response topic '"
                    + responseTopicString + "' answers no open request (late, or correlation data not ours); dropped");
            return true;
        }
        o.response = new Response(topic, payload, qos, retain, properties);
        unnumbered.complete(o.wait, 0);
        return true;
    }

    /** An open request: its wait, and the response once read (written before the wait completes). */
    private static final class Open {
        final Pending wait;
        volatile Response response;

        Open(Pending wait) {
            this.wait = wait;
        }
    }
}
