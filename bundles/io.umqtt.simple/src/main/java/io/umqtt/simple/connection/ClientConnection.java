package io.umqtt.simple.connection;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MatchingListener;
import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.MessageCallback;
import io.umqtt.simple.MqttClient;

/**
 * The {@link MqttConnection} service of one {@link MqttClient}: publishing and subscribing
 * delegate to the client; received messages go to every listener whose filter matches, each
 * listener once.
 * <p>
 * Each message is matched once against each filter. A {@link MatchingListener} (the whiteboard)
 * keeps its own index of its filters: its filters are not matched here at all, it gets every
 * message through {@link MatchingListener#route} and says whether one of its filters matched. The
 * other listeners' filters (a few, typically) are matched here, one after the other.
 * <p>
 * The robust component extends it (it is not final for that reason): it reports its own
 * {@link #state()} and keeps the listener of a subscription its client remembers although the
 * broker has not granted it yet ({@link #keepsSubscription(String)}). The listener list does not
 * depend on the connection: it survives reconnects.
 * <p>
 * One service object lives as long as its component, through configuration changes: a component
 * that applies new settings hands it a new client ({@link #use}), and its listeners stay (the
 * component makes their subscriptions again on the new client, see {@link #wantedSubscriptions()}).
 * A component whose configuration is invalid puts it out of service ({@link #fail}): it then has
 * no client, reports {@link ConnectionState#CLOSED}, and every publish and subscribe throws an
 * {@link IOException} naming the configuration error.
 *
 * <h2>Parts</h2>
 * This class checks the arguments, refuses what the client's protocol version cannot do (naming
 * the connection) and holds the client in force; the (filter, listener) pairs and the subscribing
 * and unsubscribing at the broker that keeps them in step are {@link Subscriptions}', the delivery
 * of received messages is {@link ListenerRoutes}', the pending requests are {@link Requests}'.
 *
 * <h2>Threading</h2>
 * Any thread may call every method. The subscription list is copy-on-write; every change
 * publishes, under {@link ListenerRoutes}' lock, a new immutable array of what delivery
 * walks, which the client's reader thread reads without a lock while other threads subscribe and
 * unsubscribe. Listeners run on the reader thread, one after the other, in the order of their
 * first subscription. The client and the configuration error are volatile: a call uses the client
 * in force when it starts.
 *
 * <h2>MQTT 5 request/response</h2>
 * {@link #request} publishes with a response topic and correlation data of this connection and
 * completes with the reply ({@link Requests}). The response topic is subscribed once per client,
 * on the first request, at QoS 1: {@value #RESPONSE_TOPIC_PREFIX}{@code <client id>}, or under
 * the broker's Response Information when it gave one ({@code <response information>/<client id>};
 * asked for with {@code request.response.information=true}). Sending, timeouts and completion run
 * on threads shared by all connections, never on the caller's or the I/O thread, so a listener
 * or whiteboard handler may call it. Pending requests fail when the client is replaced (new
 * settings, invalid configuration) or {@link #failPendingRequests} is called (the component
 * closed, or a simple connection was lost for good).
 */
public class ClientConnection implements MqttConnection {
    private static final System.Logger LOG = System.getLogger(ClientConnection.class.getName());

    private volatile String name;
    /** The client in force; null while the configuration is invalid. */
    private volatile MqttClient client;
    /** Why there is no client (the configuration error); null when there is one. */
    private volatile String failure;
    /** What delivery walks, derived from {@link #subscriptions} after every change; the counters. */
    private final ListenerRoutes routes = new ListenerRoutes(this);
    /** The (filter, listener) pairs and the broker subscriptions they need. */
    private final Subscriptions subscriptions = new Subscriptions(this, routes);

    /** The default base of the response topic of {@link #request}: this plus the client identifier. */
    public static final String RESPONSE_TOPIC_PREFIX = "umqtt/response/";
    /** The pending requests of {@link #request}. */
    private final Requests requests = new Requests(this::name);
    /** Serialises making the response topic's subscription; guards the two fields below. */
    private final Object responseLock = new Object();
    /** The client the response topic is subscribed on, or null. */
    private MqttClient responseClient;
    /** The response topic subscribed on {@link #responseClient}. */
    private String responseTopic;

    /** Wraps {@code client} and becomes its message callback. */
    public ClientConnection(String name, MqttClient client) {
        this.name = Objects.requireNonNull(name, "name");
        this.client = Objects.requireNonNull(client, "client");
        client.setCallback(callbackOf(client));
    }

    /**
     * A service object out of service from the start: its configuration is invalid ({@link #fail}).
     */
    public ClientConnection(String name, String failure) {
        this.name = Objects.requireNonNull(name, "name");
        this.failure = Objects.requireNonNull(failure, "failure");
    }

    /** The wrapped client; null while out of service ({@link #fail}). */
    public MqttClient client() {
        return client;
    }

    /**
     * Puts {@code newClient} in service (new settings, or a fixed configuration): it becomes the
     * client's message callback target, later calls use it. The listeners stay; the old client's
     * messages still in flight are delivered too. Its caller disconnects the old client.
     */
    public void use(String newName, MqttClient newClient) {
        dropRequests("its settings changed");
        newClient.setCallback(callbackOf(newClient));
        this.name = Objects.requireNonNull(newName, "name");
        this.failure = null;
        this.client = newClient;
    }

    /**
     * Puts the service out of service: its configuration is invalid. {@code error} names the
     * property and value; publish and subscribe then throw an {@link IOException} with it. The
     * listeners stay, for when a fixed configuration puts a client in service again.
     */
    public void fail(String newName, String error) {
        dropRequests("its configuration is invalid");
        this.name = Objects.requireNonNull(newName, "name");
        this.failure = Objects.requireNonNull(error, "error");
        this.client = null;
    }

    /**
     * Fails every request awaiting its response ({@link #request}) with an {@link IOException}
     * saying {@code why}: the component closes, or a connection that does not reconnect was lost.
     */
    public void failPendingRequests(String why) {
        requests.failAll(new IOException("MQTT connection " + name + ": " + why + "; the request got no response"));
    }

    /**
     * The client is being replaced: fails the pending requests, and forgets the response topic's
     * subscription (the old client's; the next request subscribes on the new one).
     */
    private void dropRequests(String why) {
        if (requests.pending() > 0) {
            failPendingRequests(why);
        }
        synchronized (responseLock) {
            responseClient = null;
            responseTopic = null;
        }
        subscriptions.removeListener(requests.listener);
    }

    /** The configuration error while out of service, else null. */
    public String failure() {
        return client == null ? failure : null;
    }

    /**
     * The filters the listeners are subscribed to, each with the highest QoS one of them asked,
     * in subscription order: what a new client must subscribe to for them.
     */
    public Map<String, Integer> wantedSubscriptions() {
        return subscriptions.wanted();
    }

    /**
     * As {@link #wantedSubscriptions()}, with each filter's subscription options combined over its
     * listeners ({@link Subscriptions#combine}): what a new MQTT 5 client must subscribe to for them.
     */
    public Map<String, SubscriptionOptions> wantedSubscriptionOptions() {
        return subscriptions.wantedOptions();
    }

    /** The client in force, or an IOException naming the configuration error. */
    MqttClient live() throws IOException {
        MqttClient c = client;
        if (c == null) {
            throw new IOException("MQTT connection " + name + " is out of service, its configuration is invalid: "
                    + failure);
        }
        return c;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ConnectionState state() {
        MqttClient c = client;
        return c == null ? ConnectionState.CLOSED : c.state();
    }

    /** The protocol version of the client in force; MQTT 3.1.1 while out of service. */
    @Override
    public int protocolVersion() {
        MqttClient c = client;
        return c == null ? MqttConstants.MQTT_3_1_1 : versionOf(c);
    }

    /** The protocol version {@code c} connects with. */
    private static int versionOf(MqttClient c) {
        return c.protocolVersion();
    }

    /**
     * Publishes with MQTT 5 properties through the client ({@link MqttClient#publish(String, byte[],
     * boolean, int, MqttProperties)}); empty properties are a plain publish, properties on MQTT 3.1.1
     * are refused naming the connection.
     *
     * @throws IOException also while out of service (invalid configuration), naming the error
     */
    @Override
    public void publish(String topic, byte[] payload, int qos, boolean retain, MqttProperties properties)
            throws IOException {
        if (properties == null || properties.isEmpty()) {
            publish(topic, payload, qos, retain);
            return;
        }
        MqttClient c = live();
        if (versionOf(c) != MqttConstants.MQTT_5) {
            MqttConnection.super.publish(topic, payload, qos, retain, properties); // refuses, naming the connection
            return;
        }
        c.publish(topic, payload, retain, qos, properties);
    }

    /**
     * MQTT 5 request/response: see the class comment. Arguments are checked at once; everything
     * else (out of service, the connection down, a refused PUBLISH, no response in time) fails
     * the returned future.
     *
     * @throws IllegalArgumentException naming the connection, for a bad topic, QoS, timeout or
     *         payload, or properties that carry a response topic or correlation data (the
     *         connection sets those)
     */
    @Override
    public java.util.concurrent.CompletableFuture<MqttMessage> request(String topic, byte[] payload, int qos,
            MqttProperties properties, long timeoutMillis) {
        if (protocolVersion() != MqttConstants.MQTT_5) {
            return MqttConnection.super.request(topic, payload, qos, properties, timeoutMillis);
        }
        MqttProperties props = Requests.checkArguments(name, topic, payload, qos, properties, timeoutMillis);
        return requests.start("request on '" + topic + "'", timeoutMillis, data -> publish(topic, payload, qos, false,
                props.toBuilder().responseTopic(responseTopic()).correlationData(data).build()));
    }

    /**
     * The response topic of {@link #request} on the client in force, subscribing it on first use
     * (runs on a request worker thread: may wait for the SUBACK).
     */
    private String responseTopic() throws IOException {
        MqttClient c = live();
        synchronized (responseLock) {
            if (responseClient == c) {
                return responseTopic;
            }
            String topic = responseTopicOf(c);
            subscribe(topic, MqttConstants.QOS_AT_LEAST_ONCE, requests.listener);
            responseClient = c;
            responseTopic = topic;
            LOG.log(Level.DEBUG, () -> "connection " + name + ": responses to its requests come on '" + topic + "'");
            return topic;
        }
    }

    /**
     * {@code <response information>/<client id>} when the broker gave Response Information, else
     * {@value #RESPONSE_TOPIC_PREFIX}{@code <client id>}; the client identifier with the
     * characters a topic level cannot hold ({@code / + #} and U+0000) replaced by {@code _}.
     */
    static String responseTopicOf(String responseInformation, String clientId) {
        return Requests.responseTopicOf(responseInformation, clientId);
    }

    /**
     * With an empty client id (MQTT 5: the broker assigns one) the broker's name for the client, so
     * that connections do not share one response topic; else the connection's random name
     * ({@link Requests#randomName()}), when the CONNACK in force assigned none (a resumed session).
     */
    private String responseTopicOf(MqttClient c) {
        io.umqtt.simple.ServerSettings server = c.serverSettings();
        String id = c.clientId();
        if (id.isEmpty()) {
            String assigned = server == null ? null : server.assignedClientIdentifier();
            id = assigned != null ? assigned : "_" + requests.randomName();
        }
        return responseTopicOf(server == null ? null : server.responseInformation(), id);
    }

    /** Requests awaiting their response (tests, diagnostics). */
    int pendingRequests() {
        return requests.pending();
    }

    /** @throws IOException also while out of service (invalid configuration), naming the error */
    @Override
    public void publish(byte[] topic, byte[] payload, int qos, boolean retain) throws IOException {
        live().publish(topic, payload, retain, qos);
    }

    /**
     * Records the listener, then subscribes at the highest QoS any listener of the filter asked
     * for. The listener is recorded first because the broker sends retained messages right after
     * the SUBACK, possibly before this call returns; it is dropped again when the subscription
     * fails, unless {@link #keepsSubscription(String)} says the client still makes it. The same
     * listener given twice for the same filter is recorded once (with the QoS asked last).
     */
    @Override
    public int subscribe(String filter, int qos, MessageListener listener) throws IOException {
        if (qos < 0 || qos > 2) { // checked before the others' QoS is mixed in
            TopicFilter.parse(filter);
            if (listener == null) {
                throw new IllegalArgumentException("listener must not be null");
            }
            throw new IllegalArgumentException("qos must be 0, 1 or 2, found " + qos);
        }
        return subscribe(filter, SubscriptionOptions.qos(qos), listener);
    }

    /**
     * {@link #subscribe(String, int, MessageListener)} with MQTT 5 subscription options. Listeners
     * sharing a filter share one broker subscription, asked with their options combined
     * ({@link Subscriptions#combine}); options beyond the QoS are refused on MQTT 3.1.1, naming the
     * connection.
     */
    @Override
    public int subscribe(String filter, SubscriptionOptions options, MessageListener listener) throws IOException {
        TopicFilter parsed = TopicFilter.parse(filter);
        if (listener == null) {
            throw new IllegalArgumentException("listener must not be null");
        }
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        MqttClient c = live();
        if (options.needsMqtt5() && versionOf(c) != MqttConstants.MQTT_5) {
            return MqttConnection.super.subscribe(filter, options, listener); // refuses, naming the connection
        }
        return subscriptions.subscribe(c, filter, parsed, options, listener);
    }

    /**
     * Whether the client still makes the subscription to {@code filter} after its
     * {@code subscribe} threw, so that its listener must stay (a client that subscribes once
     * connected). This class: never. Called on the thread that subscribes, without a lock.
     */
    protected boolean keepsSubscription(String filter) {
        return false;
    }

    /** Drops every listener of {@code filter} (no more messages reach them), then unsubscribes. */
    @Override
    public void unsubscribe(String filter) throws IOException {
        subscriptions.unsubscribe(filter);
    }

    /**
     * Drops the pair; unsubscribes at the broker when it was the filter's last listener. Lock-free
     * against a concurrent {@code subscribe} of the same filter: that one records its listener
     * before sending SUBSCRIBE, so if its SUBSCRIBE went out before this UNSUBSCRIBE, its
     * listener is seen afterwards and the filter is subscribed again.
     */
    @Override
    public boolean unsubscribe(String filter, MessageListener listener) throws IOException {
        TopicFilter parsed = TopicFilter.parse(filter);
        if (listener == null) {
            throw new IllegalArgumentException("listener must not be null");
        }
        return subscriptions.unsubscribe(filter, parsed, listener);
    }

    /**
     * Records the listener for every filter, then subscribes them all in one SUBSCRIBE
     * ({@link MqttClient#subscribe(String[], int[])}), each at the highest QoS any listener of
     * the filter asked for. The listener is dropped again from a filter the broker refused, and
     * from every filter when the call fails, unless {@link #keepsSubscription(String)} says the
     * client still makes it; the same as {@link #subscribe(String, int, MessageListener)} does
     * for one filter.
     *
     * @since 1.1 (of this package)
     */
    @Override
    public int[] subscribe(String[] filters, int[] qos, MessageListener listener) throws IOException {
        checkFilters(filters, qos, listener);
        SubscriptionOptions[] options = new SubscriptionOptions[qos.length];
        for (int i = 0; i < qos.length; i++) {
            options[i] = SubscriptionOptions.qos(qos[i]);
        }
        return subscriptions.subscribe(filters, options, listener);
    }

    /**
     * {@link #subscribe(String[], int[], MessageListener)} with MQTT 5 subscription options, in one
     * SUBSCRIBE ({@link MqttClient#subscribe(String[], SubscriptionOptions[])}); a refused filter
     * gets the SUBACK's reason code (0x80 and up). Options beyond the QoS are refused on MQTT 3.1.1.
     *
     * @since 1.5 (of the API)
     */
    @Override
    public int[] subscribe(String[] filters, SubscriptionOptions[] options, MessageListener listener)
            throws IOException {
        if (options == null || filters == null || options.length != filters.length
                || Arrays.stream(options).anyMatch(Objects::isNull)) {
            return MqttConnection.super.subscribe(filters, options, listener); // refuses, naming what is wrong
        }
        int[] qos = Arrays.stream(options).mapToInt(SubscriptionOptions::maxQos).toArray();
        checkFilters(filters, qos, listener);
        MqttClient c = live();
        if (versionOf(c) != MqttConstants.MQTT_5 && Arrays.stream(options).anyMatch(SubscriptionOptions::needsMqtt5)) {
            return MqttConnection.super.subscribe(filters, options, listener); // refuses, naming the connection
        }
        return subscriptions.subscribe(filters, options, listener);
    }

    /** {@link MqttConnection#checkFilters} with this connection named in the message. */
    private void checkFilters(String[] filters, int[] qos, MessageListener listener) {
        try {
            MqttConnection.checkFilters(filters, qos, listener);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("MQTT connection " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Drops the pairs, then unsubscribes the filters that have no listener left in one
     * UNSUBSCRIBE ({@link MqttClient#unsubscribe(String[])}); a filter that got a listener while
     * it was being unsubscribed is subscribed again (all such in one SUBSCRIBE), as
     * {@link #unsubscribe(String, MessageListener)} does for one.
     *
     * @since 1.1 (of this package)
     */
    @Override
    public boolean[] unsubscribe(String[] filters, MessageListener listener) throws IOException {
        checkFilters(filters, null, listener);
        return subscriptions.unsubscribe(filters, listener);
    }

    /**
     * Messages that no listener took: none matched here, and every {@link MatchingListener}
     * declined (for example after an unsubscribe crossed them).
     */
    public long unmatchedMessages() {
        return routes.unmatched();
    }

    /** Listener calls that threw. */
    public long listenerFailures() {
        return routes.listenerFailures();
    }

    /** {@link #deliver(MqttClient, byte[], byte[], boolean, boolean, int, MqttProperties)} for the client in force (tests). */
    void deliver(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos) {
        deliver(client, topic, payload, retain, dup, qos, MqttProperties.EMPTY);
    }

    /** As {@link #deliver(byte[], byte[], boolean, boolean, int)}, with MQTT 5 properties (tests). */
    void deliver(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos, MqttProperties properties) {
        deliver(client, topic, payload, retain, dup, qos, properties);
    }

    /**
     * The callback of {@code c}: {@link #deliver}, with the client that received the message and
     * its MQTT 5 properties ({@link MqttProperties#EMPTY} when none, and on MQTT 3.1.1).
     */
    private MessageCallback callbackOf(MqttClient c) {
        return MessageCallback.withProperties((topic, msg, retain, dup, qos, properties) ->
                deliver(c, topic, msg, retain, dup, qos, properties));
    }

    /** See {@link ListenerRoutes#deliver}: runs on the reader thread. */
    void deliver(MqttClient receiver, byte[] topic, byte[] payload, boolean retain, boolean dup, int qos,
            MqttProperties properties) {
        routes.deliver(receiver, topic, payload, retain, dup, qos, properties);
    }

    @Override
    public String toString() {
        MqttClient c = client;
        return "MqttConnection[" + name + ", " + (c != null ? c : "out of service: " + failure) + "]";
    }
}
