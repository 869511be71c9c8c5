package io.umqtt.robust;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;

import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.UserProperty;
import io.umqtt.robust.internal.ClientPort;
import io.umqtt.robust.internal.ClientPortBase;
import io.umqtt.robust.internal.OfflineQueue;
import io.umqtt.robust.internal.RobustArguments;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;
import io.umqtt.simple.TlsSettings;

/**
 * The simple client as the robust parts drive it: {@link #view}, the {@link ClientPort} through
 * which the reconnector, the outbox and the subscriptions reach the simple client's protected
 * operations (write a PUBLISH or PUBREL, await its ack, fail the connection, connect to another
 * server), its own SUBSCRIBE/UNSUBSCRIBE without the bookkeeping that {@link RobustMqttClient}
 * adds by overriding them, and umqtt.robust's hooks. Java allows protected calls on an
 * {@link MqttClient} and {@code super} calls past an override only in the body of a subclass, so
 * this adapter lives in one, apart from the public facade.
 * <p>
 * Not API: package-private; {@link RobustMqttClient} is its only subclass and declares every
 * public and protected member (the hooks are declared here only so that the adapter can call them).
 * No state and no lock of its own: each method only forwards, on its caller's thread; the locks
 * taken are those of what it calls (the simple client's, the reconnector's in the hooks).
 */
abstract class DrivenMqttClient extends MqttClient {
    /** The view of this client the parts drive. */
    final ClientPort view = new Port();

    DrivenMqttClient(String clientId, String server, int port, String user, String password, int keepAliveSeconds,
            TlsSettings tls) {
        super(clientId, server, port, user, password, keepAliveSeconds, tls);
    }

    /** One connect attempt of the reconnect loop to {@code host:port}, through the {@code connect} hook. */
    abstract void connectAttempt(String host, int port) throws IOException;

    /** See {@link RobustMqttClient#delay(int)}. */
    protected abstract void delay(int attempt) throws InterruptedIOException;

    /** See {@link RobustMqttClient#backoffMillis(int)}. */
    protected abstract long backoffMillis(int attempt);

    /** See {@link RobustMqttClient#log(boolean, Throwable)}. */
    protected abstract void log(boolean inReconnect, Throwable e);

    /** The adapter: the simple client's protected operations, its own SUBSCRIBE/UNSUBSCRIBE, the hooks. */
    private final class Port extends ClientPortBase {
        Port() {
            super(DrivenMqttClient.this);
        }

        @Override
        public void fail(IOException cause) {
            DrivenMqttClient.this.fail(cause);
        }

        @Override
        public void closeConnection() {
            DrivenMqttClient.super.close();
        }

        @Override
        public PublishToken send(OfflineQueue.Entry e, MqttProperties properties, boolean dup, int packetId)
                throws IOException {
            return sendPublish(e.topic, e.payload, e.retain, e.qos, dup, packetId,
                    RobustArguments.onTheWire(DrivenMqttClient.this, e, properties));
        }

        @Override
        public PublishToken sendQos2(OfflineQueue.Entry e, MqttProperties properties, boolean dup, int packetId,
                StepRecorder beforeWrite) throws IOException {
            return sendPublish(e.topic, e.payload, e.retain, dup, packetId, flow -> beforeWrite.record(flow.packetId()),
                    RobustArguments.onTheWire(DrivenMqttClient.this, e, properties));
        }

        @Override
        public int subscribeNow(String filter, SubscriptionOptions options) throws IOException {
            return DrivenMqttClient.super.subscribe(filter, options);
        }

        @Override
        public int[] subscribeNow(String[] filters, SubscriptionOptions[] options,
                List<UserProperty> userProperties) throws IOException {
            return DrivenMqttClient.super.subscribe(filters, options, userProperties);
        }

        @Override
        public int[] unsubscribeWithCodesNow(String[] filters, List<UserProperty> userProperties)
                throws IOException {
            return DrivenMqttClient.super.unsubscribeWithCodes(filters, userProperties);
        }

        @Override
        public PublishToken sendPubrel(OfflineQueue.Entry e) throws IOException {
            return DrivenMqttClient.this.sendPubrel(e.topic, e.packetId);
        }

        @Override
        public boolean pubrecReceived(PublishToken sent) {
            return sent instanceof InFlight && ((InFlight) sent).pubrecReceived();
        }

        @Override
        public void awaitPuback(PublishToken sent) throws IOException {
            DrivenMqttClient.this.awaitPuback((InFlight) sent);
        }

        @Override
        public int subscribeNow(String filter, int qos) throws IOException {
            return DrivenMqttClient.super.subscribe(filter, qos);
        }

        @Override
        public void unsubscribeNow(String filter) throws IOException {
            DrivenMqttClient.super.unsubscribe(filter);
        }

        @Override
        public int[] subscribeNow(String[] filters, int[] qos) throws IOException {
            return DrivenMqttClient.super.subscribe(filters, qos);
        }

        @Override
        public void unsubscribeNow(String[] filters) throws IOException {
            DrivenMqttClient.super.unsubscribe(filters);
        }

        @Override
        public void connectAttempt(String host, int p) throws IOException {
            DrivenMqttClient.this.connectAttempt(host, p);
        }

        @Override
        public void delay(int attempt) throws InterruptedIOException {
            DrivenMqttClient.this.delay(attempt);
        }

        @Override
        public long backoffMillis(int attempt) {
            return DrivenMqttClient.this.backoffMillis(attempt);
        }

        @Override
        public void log(boolean inReconnect, Throwable e) {
            DrivenMqttClient.this.log(inReconnect, e);
        }
    }
}
