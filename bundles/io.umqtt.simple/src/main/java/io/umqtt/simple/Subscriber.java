package io.umqtt.simple;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.internal.codec.Properties;
import io.umqtt.simple.internal.codec.PropertyWriter;
import io.umqtt.simple.internal.codec.SubackDecoder;
import io.umqtt.simple.internal.codec.SubscribeEncoder;
import io.umqtt.simple.internal.codec.UnsubscribeEncoder;

/**
 * SUBSCRIBE and UNSUBSCRIBE for {@link MqttClient}: the validation of the filters, the split of
 * several filters over as few packets as hold them, the ack waits and the cleanup of those still
 * open after a failure (see docs/subscriptions.md). On MQTT 5 (sub5, docs/mqtt5-subscriptions.md) the same
 * calls send the MQTT 5 forms: subscription options, one packet per subscription identifier, user
 * properties, and SUBACK/UNSUBACK reason codes with reason strings.
 * <p>
 * Threading: any thread; it holds no lock and state of its own (only the packet limit, volatile).
 * It registers acks in the {@link AckTable} (the client's lock) and writes through
 * {@link Outbound} (its write lock), one after the other, never nested.
 */
final class Subscriber {
    private final MqttClient client;
    /**
     * The largest remaining length of a SUBSCRIBE or UNSUBSCRIBE this client sends: the MQTT
     * maximum; tests lower it to see the filters of one call split over several packets.
     */
    volatile int maxSubscribeRemaining = MqttConstants.MAX_REMAINING_LENGTH;

    Subscriber(MqttClient client) {
        this.client = client;
    }

    /** {@link MqttClient#subscribe(String, int)}. */
    int subscribe(String filter, int qos) throws IOException {
        TopicFilter.parse(filter);
        MqttClient.checkQos(qos);
        if (mqtt5()) {
            return subscribe(filter, SubscriptionOptions.qos(qos));
        }
        client.lifecycle.checkConnected();
        byte[] f = filter.getBytes(StandardCharsets.UTF_8);
        Pending p = client.acks.register(PacketType.SUBACK, f, 0);
        byte[] packet = SubscribeEncoder.encode(p.id, f, qos);
        client.outbound.writePacket(packet);
        int granted = client.acks.waits.awaitAck(p);
        if (granted == SubackDecoder.FAILURE) {
            throw new MqttException(Reason.SUBSCRIPTION_REFUSED, granted, "broker " + client.settings.broker()
                    + " refused the subscription to '" + filter + "' (SUBACK return code 0x80)");
        }
        return granted;
    }

    /** {@link MqttClient#unsubscribe(String)}. */
    void unsubscribe(String filter) throws IOException {
        TopicFilter.parse(filter);
        if (mqtt5()) {
            unsubscribe5OrThrow(new String[] {filter});
            return;
        }
        client.lifecycle.checkConnected();
        byte[] f = filter.getBytes(StandardCharsets.UTF_8);
        Pending p = client.acks.register(PacketType.UNSUBACK, f, 0);
        byte[] packet = UnsubscribeEncoder.encode(p.id, f);
        client.outbound.writePacket(packet);
        client.acks.waits.awaitAck(p);
    }

    /** {@link MqttClient#subscribe(String[], int[])}. */
    int[] subscribe(String[] filters, int[] qos) throws IOException {
        checkSubscribe(filters, qos);
        if (mqtt5()) {
            SubscriptionOptions[] options = new SubscriptionOptions[qos.length];
            for (int i = 0; i < qos.length; i++) {
                options[i] = SubscriptionOptions.qos(qos[i]);
            }
            int[] codes = subscribe5(filters, options, NONE, null);
            for (int i = 0; i < codes.length; i++) {
                if (codes[i] >= 0x80) {
                    codes[i] = SubackDecoder.FAILURE; // this call's contract: 0x80 for every refusal
                }
            }
            return codes;
        }
        byte[][] f = utf8(filters);
        client.lifecycle.checkConnected();
        return sendAndAwait(f.length, null, (from, sent) -> {
            int to = packetEnd(f, from, true);
            Pending p = sent.add(client.acks.register(PacketType.SUBACK, subject(filters, from, to), 0, to - from));
            client.outbound.writePacket(SubscribeEncoder.encode(p.id, f, qos, from, to));
            return to;
        });
    }

    /** {@link MqttClient#unsubscribe(String[])}. */
    void unsubscribe(String[] filters) throws IOException {
        checkFilters(filters, null);
        if (mqtt5()) {
            unsubscribe5OrThrow(filters);
            return;
        }
        byte[][] f = utf8(filters);
        client.lifecycle.checkConnected();
        sendAndAwait(f.length, null, (from, sent) -> {
            int to = packetEnd(f, from, false);
            Pending p = sent.add(client.acks.register(PacketType.UNSUBACK, subject(filters, from, to), 0));
            client.outbound.writePacket(UnsubscribeEncoder.encode(p.id, f, from, to));
            return to;
        });
    }

    /** {@link MqttClient#checkSubscribeArguments(String[], int[])}. */
    void checkSubscribe(String[] filters, int[] qos) {
        if (qos == null) {
            throw new IllegalArgumentException("subscribe needs one QoS per filter for " + describe() + ": qos is null");
        }
        checkFilters(filters, qos);
    }

    /** {@code qos} null: only the filters ({@link MqttClient#checkUnsubscribeArguments(String[])}). */
    void checkFilters(String[] filters, int[] qos) {
        if (filters == null || filters.length == 0) {
            throw new IllegalArgumentException("no topic filters given for " + describe() + ": "
                    + (filters == null ? "filters is null" : "filters is empty"));
        }
        for (int i = 0; i < filters.length; i++) {
            try {
                TopicFilter.parse(filters[i]);
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException(filterName(filters, i) + " is not a valid topic filter: "
                        + (filters[i] == null ? "it is null" : e.getMessage()), e);
            }
        }
        if (qos == null) {
            return;
        }
        if (qos.length != filters.length) {
            throw new IllegalArgumentException("subscribe needs one QoS per filter for " + describe() + ": "
                    + filters.length + " filters, " + qos.length + " QoS values");
        }
        for (int i = 0; i < filters.length; i++) {
            try {
                MqttClient.checkQos(qos[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(filterName(filters, i) + ": " + e.getMessage(), e);
            }
        }
    }

    private static byte[][] utf8(String[] filters) {
        byte[][] f = new byte[filters.length][];
        for (int i = 0; i < filters.length; i++) {
            f[i] = filters[i].getBytes(StandardCharsets.UTF_8);
        }
        return f;
    }

    /** "filter 2 of 3 ('a/#/b') for client 'c1' at 127.0.0.1:1883". */
    private String filterName(String[] filters, int i) {
        return "filter " + (i + 1) + " of " + filters.length + " ('" + filters[i] + "') for " + describe();
    }

    /** The client and its broker, for messages. */
    private String describe() {
        return "client '" + client.settings.clientId + "' at " + client.settings.broker();
    }

    /** Where the packet that starts at {@code from} ends: as many filters as fit (at least one). */
    private int packetEnd(byte[][] f, int from, boolean subscribe) {
        long max = maxSubscribeRemaining;
        long rem = 2;
        int to = from;
        while (to < f.length) {
            int entry = subscribe ? SubscribeEncoder.entryLength(f[to].length)
                    : UnsubscribeEncoder.entryLength(f[to].length);
            if (to > from && rem + entry > max) {
                break;
            }
            rem += entry;
            to++;
        }
        return to;
    }

    /** What a packet's ack wait names in a timeout: its filters, the first five of them. */
    private static byte[] subject(String[] filters, int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to && i < from + 5; i++) {
            s.append(i > from ? "', '" : "").append(filters[i]);
        }
        if (to - from > 5) {
            s.append("' and ").append(to - from - 5).append(" more filters ('...");
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The waits of the packets one SUBSCRIBE or UNSUBSCRIBE call has registered, in the order written. */
    private static final class Sent {
        final Pending[] waits;
        int count;

        Sent(int filters) {
            waits = new Pending[filters];
        }

        /** Records {@code p} (before its packet is written, so a failed write still gives it up). */
        Pending add(Pending p) {
            waits[count++] = p;
            return p;
        }
    }

    /** Registers ({@link Sent#add}) and writes one packet of the filters from {@code from} on. */
    @FunctionalInterface
    private interface PacketSender {
        /** Returns where the packet's filters end (exclusive): where the next packet starts. */
        int send(int from, Sent sent) throws IOException;
    }

    /**
     * Sends the packets of {@code filters} filters with {@code sender}, all before the first ack is
     * awaited, then awaits each ack in turn. Returns per filter the ack's code (0 where the ack carries
     * none, as an MQTT 3.1.1 UNSUBACK). On a failure, every wait still open is given up and the
     * failure rethrown. {@code first}, if given, receives the first packet's wait.
     */
    private int[] sendAndAwait(int filters, Pending[] first, PacketSender sender) throws IOException {
        Sent sent = new Sent(filters);
        int[] codes = new int[filters];
        try {
            for (int from = 0; from < filters; ) {
                from = sender.send(from, sent);
            }
            int at = 0;
            for (int i = 0; i < sent.count; i++) {
                client.acks.waits.awaitAck(sent.waits[i]);
                int[] c = sent.waits[i].codes;
                if (c != null) {
                    System.arraycopy(c, 0, codes, at, c.length);
                    at += c.length;
                }
            }
        } catch (IOException | RuntimeException e) {
            giveUpAll(sent.waits, sent.count, e);
            throw e;
        }
        if (first != null) {
            first[0] = sent.waits[0];
        }
        return codes;
    }

    /** After a failure: stops awaiting the acks still open, so none stays in the ack table. */
    private void giveUpAll(Pending[] sent, int count, Exception cause) {
        IOException why = cause instanceof IOException ? (IOException) cause : new IOException(cause);
        for (int i = 0; i < count; i++) {
            client.acks.giveUp(sent[i], why);
        }
    }

    // ---- MQTT 5 (sub5): subscription options, subscription identifiers, user properties, reason codes ----

    /** No user properties. */
    private static final List<UserProperty> NONE = Collections.emptyList();

    /**
     * {@link MqttClient#subscribe(String, SubscriptionOptions)}: the granted QoS, or an
     * {@link MqttException} SUBSCRIPTION_REFUSED with the broker's reason code and reason string.
     */
    int subscribe(String filter, SubscriptionOptions options) throws IOException {
        if (options == null) {
            throw new IllegalArgumentException("subscription options of '" + filter + "' for " + describe()
                    + " must not be null (SubscriptionOptions.qos(n) for plain ones)");
        }
        checkFilters(new String[] {filter}, null);
        if (!mqtt5()) {
            refuseMqtt5(new String[] {filter}, new SubscriptionOptions[] {options}, NONE);
            return subscribe(filter, options.maxQos());
        }
        Pending[] sent = new Pending[1];
        int granted = subscribe5(new String[] {filter}, new SubscriptionOptions[] {options}, NONE, sent)[0];
        if (granted >= 0x80) {
            throw refused(filter, granted, sent[0].reasonString);
        }
        return granted;
    }

    /** {@link MqttClient#subscribe(String[], SubscriptionOptions[], List)}. */
    int[] subscribe(String[] filters, SubscriptionOptions[] options, List<UserProperty> userProperties)
            throws IOException {
        checkOptions(filters, options);
        List<UserProperty> user = userProperties(userProperties);
        if (!mqtt5()) {
            refuseMqtt5(filters, options, user);
            int[] qos = new int[options.length];
            for (int i = 0; i < qos.length; i++) {
                qos[i] = options[i].maxQos();
            }
            return subscribe(filters, qos);
        }
        return subscribe5(filters, options, user, null);
    }

    /** The MQTT 5 refusal of a SUBSCRIBE filter as an exception (single-filter calls). */
    private MqttException refused(String filter, int code, String reasonString) {
        return new MqttException(Reason.SUBSCRIPTION_REFUSED, code, reasonString, "broker " + client.settings.broker()
                + " refused the subscription of client '" + client.settings.clientId + "' to '" + filter + "'"
                + String.format(" (SUBACK reason code 0x%02X, %s)", code, MqttException.reasonCodeName(code))
                + (reasonString == null ? "" : ": " + reasonString));
    }

    /** Whether the connection (the next one, while not connected) speaks MQTT 5. */
    private boolean mqtt5() {
        return client.protocolVersion() == MqttConstants.MQTT_5;
    }

    /** Checks the filters and that there is one non-null options object per filter. */
    private void checkOptions(String[] filters, SubscriptionOptions[] options) {
        if (options == null) {
            throw new IllegalArgumentException("subscribe needs subscription options per filter for " + describe()
                    + ": options is null");
        }
        checkFilters(filters, null);
        if (options.length != filters.length) {
            throw new IllegalArgumentException("subscribe needs subscription options per filter for " + describe()
                    + ": " + filters.length + " filters, " + options.length + " options");
        }
        for (int i = 0; i < options.length; i++) {
            if (options[i] == null) {
                throw new IllegalArgumentException(filterName(filters, i) + ": its subscription options are null");
            }
        }
    }

    /** On MQTT 3.1.1: refuses options beyond the QoS and user properties, which it cannot send. */
    private void refuseMqtt5(String[] filters, SubscriptionOptions[] options, List<UserProperty> user) {
        for (int i = 0; i < options.length; i++) {
            if (options[i].needsMqtt5()) {
                throw new IllegalArgumentException(filterName(filters, i) + " asks for " + options[i]
                        + ", which only MQTT 5 can send: the client speaks MQTT 3.1.1 (setProtocolVersion(5) before "
                        + "connect)");
            }
        }
        if (!user.isEmpty()) {
            throw new IllegalArgumentException("user properties on SUBSCRIBE for " + describe()
                    + " need MQTT 5: the client speaks MQTT 3.1.1 (setProtocolVersion(5) before connect)");
        }
    }

    /**
     * Checks what MQTT 5 or the broker forbids before anything is sent: No Local on a shared
     * subscription (MQTT-3.8.3-4), and what the broker's CONNACK said it does not support
     * (subscription identifiers, shared and wildcard subscriptions: it would disconnect us).
     */
    private void checkMqtt5(String[] filters, SubscriptionOptions[] options) {
        ServerSettings server = client.serverSettings();
        for (int i = 0; i < filters.length; i++) {
            TopicFilter f = TopicFilter.parse(filters[i]);
            if (f.shareGroup() != null && options[i].noLocal()) {
                throw new IllegalArgumentException(filterName(filters, i) + " is a shared subscription, which cannot "
                        + "have No Local (MQTT-3.8.3-4)");
            }
            if (server == null) {
                continue;
            }
            String not = options[i].subscriptionIdentifier() != 0 && !server.subscriptionIdentifiersAvailable()
                    ? "subscription identifiers"
                    : f.shareGroup() != null && !server.sharedSubscriptionAvailable() ? "shared subscriptions"
                    : f.hasWildcard() && !server.wildcardSubscriptionAvailable() ? "wildcard subscriptions" : null;
            if (not != null) {
                throw new IllegalArgumentException(filterName(filters, i) + ": the broker does not support " + not
                        + " (its CONNACK said so)");
            }
        }
    }

    /**
     * The MQTT 5 SUBSCRIBE of {@code filters}: one packet per run of filters with the same
     * subscription identifier (an identifier belongs to a whole packet, 3.8.2.1.2), split further
     * where the filters do not fit one packet; all written before the first SUBACK is awaited.
     * Returns per filter the granted QoS or the reason code (0x80 and up). {@code first}, if given,
     * receives the first packet's wait (its reason string).
     */
    private int[] subscribe5(String[] filters, SubscriptionOptions[] options, List<UserProperty> user,
            Pending[] first) throws IOException {
        checkMqtt5(filters, options);
        byte[][] f = utf8(filters);
        int[] optionBytes = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            optionBytes[i] = options[i].optionsByte();
        }
        client.lifecycle.checkConnected();
        return sendAndAwait(f.length, first, (from, sent) -> {
            int id = options[from].subscriptionIdentifier();
            PropertyWriter props = subscribeProperties(id, user);
            int to = from + 1;
            long rem = SubscribeEncoder.remainingLength5(props.encodedLength(), f, from, to);
            long max = maxRemaining();
            while (to < f.length && options[to].subscriptionIdentifier() == id
                    && rem + SubscribeEncoder.entryLength(f[to].length) <= max) {
                rem += SubscribeEncoder.entryLength(f[to].length);
                to++;
            }
            Pending p = sent.add(client.acks.register(PacketType.SUBACK, subject(filters, from, to), 0, to - from));
            client.outbound.writePacket(SubscribeEncoder.encode5(p.id, props, f, optionBytes, from, to));
            return to;
        });
    }

    /**
     * {@link MqttClient#unsubscribeWithCodes(String[], List)}: per filter the UNSUBACK reason code
     * (MQTT 5), or 0x00 for each (MQTT 3.1.1, whose UNSUBACK carries none).
     */
    int[] unsubscribeWithCodes(String[] filters, List<UserProperty> userProperties) throws IOException {
        checkFilters(filters, null);
        List<UserProperty> user = userProperties(userProperties);
        if (!mqtt5()) {
            if (!user.isEmpty()) {
                throw new IllegalArgumentException("user properties on UNSUBSCRIBE for " + describe()
                        + " need MQTT 5: the client speaks MQTT 3.1.1 (setProtocolVersion(5) before connect)");
            }
            unsubscribe(filters);
            return new int[filters.length];
        }
        return unsubscribe5(filters, user, null);
    }

    /**
     * The MQTT 5 UNSUBSCRIBE of {@code filters}, split over as few packets as hold them; per filter
     * the UNSUBACK reason code. {@code first}, if given, receives the first packet's wait.
     */
    int[] unsubscribe5(String[] filters, List<UserProperty> user, Pending[] first) throws IOException {
        byte[][] f = utf8(filters);
        PropertyWriter props = unsubscribeProperties(user);
        client.lifecycle.checkConnected();
        return sendAndAwait(f.length, first, (from, sent) -> {
            int to = from + 1;
            long rem = UnsubscribeEncoder.remainingLength5(props.encodedLength(), f, from, to);
            long max = maxRemaining();
            while (to < f.length && rem + UnsubscribeEncoder.entryLength(f[to].length) <= max) {
                rem += UnsubscribeEncoder.entryLength(f[to].length);
                to++;
            }
            Pending p = sent.add(client.acks.register(PacketType.UNSUBACK, subject(filters, from, to), 0, to - from));
            client.outbound.writePacket(UnsubscribeEncoder.encode5(p.id, props, f, from, to));
            return to;
        });
    }

    /**
     * {@link MqttClient#unsubscribe(String)} and {@link MqttClient#unsubscribe(String[])} on MQTT 5:
     * a filter the broker refused (reason code 0x80 and up; 0x11 no subscription existed is success)
     * fails the call with UNSUBSCRIBE_REFUSED naming it.
     */
    private void unsubscribe5OrThrow(String[] filters) throws IOException {
        Pending[] first = new Pending[1];
        int[] codes = unsubscribe5(filters, NONE, first);
        for (int i = 0; i < codes.length; i++) {
            if (codes[i] >= 0x80) {
                String reasonString = first[0].reasonString;
                throw new MqttException(Reason.UNSUBSCRIBE_REFUSED, codes[i], reasonString, "broker "
                        + client.settings.broker() + " refused to unsubscribe client '" + client.settings.clientId
                        + "' from '" + filters[i] + "'" + String.format(" (UNSUBACK reason code 0x%02X, %s)", codes[i],
                                MqttException.reasonCodeName(codes[i]))
                        + (reasonString == null ? "" : ": " + reasonString));
            }
        }
    }

    /** The largest remaining length of a SUBSCRIBE or UNSUBSCRIBE: also within the broker's Maximum Packet Size. */
    private long maxRemaining() {
        long max = maxSubscribeRemaining;
        ServerSettings server = client.serverSettings();
        if (server != null && server.maximumPacketSize() > 0) {
            max = Math.min(max, fittingRemaining(server.maximumPacketSize()));
        }
        return max;
    }

    /** The largest remaining length of a packet of at most {@code packetSize} bytes (fixed header included). */
    static long fittingRemaining(long packetSize) {
        for (int size = 1; size <= 4; size++) {
            long rem = packetSize - 1 - size;
            if (rem >= 0 && (rem < 128 ? 1 : rem < 16_384 ? 2 : rem < 2_097_152 ? 3 : 4) <= size) {
                return rem;
            }
        }
        return 0;
    }

    /** The user properties of a call, checked (no null element) and copied; empty for null. */
    private List<UserProperty> userProperties(List<UserProperty> given) {
        try {
            return Session5.copyUserProperties(given);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (SUBSCRIBE/UNSUBSCRIBE of " + describe() + ")", e);
        }
    }

    /** The properties of a SUBSCRIBE: its subscription identifier (0: none), then the user properties. */
    private static PropertyWriter subscribeProperties(int subscriptionIdentifier, List<UserProperty> user) {
        PropertyWriter w = new PropertyWriter(Properties.SUBSCRIBE);
        if (subscriptionIdentifier != 0) {
            w.putVarInt(Properties.SUBSCRIPTION_IDENTIFIER, subscriptionIdentifier);
        }
        return w.putUserProperties(user);
    }

    /** The properties of an UNSUBSCRIBE: its user properties. */
    private static PropertyWriter unsubscribeProperties(List<UserProperty> user) {
        return new PropertyWriter(Properties.UNSUBSCRIBE).putUserProperties(user);
    }
}
