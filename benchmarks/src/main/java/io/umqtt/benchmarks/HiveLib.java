package io.umqtt.benchmarks;

import java.util.concurrent.CompletableFuture;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.datatypes.MqttTopic;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;

/**
 * The HiveMQ MQTT client 1.3.7, MQTT 3.1.1, through its async API: a publish returns a future.
 * Driven as {@link HiveBaseLib} says (at most {@code window} publishes outstanding in the pipelined
 * runs, its blocking view for the one-at-a-time run, the topic object built once); this class only
 * calls the MQTT 3 API.
 */
final class HiveLib extends HiveBaseLib<Mqtt3AsyncClient, Mqtt3BlockingClient> {

    /** @param window how many publishes the pipelined runs keep outstanding at most */
    HiveLib(int port, String topic, int window) {
        super(port, topic, window);
    }

    @Override
    public String name() {
        return "hivemq";
    }

    @Override
    Mqtt3AsyncClient client(String clientId) {
        return MqttClient.builder().useMqttVersion3().identifier(clientId).serverHost(Broker.HOST).serverPort(port)
                .buildAsync();
    }

    @Override
    CompletableFuture<?> connect(Mqtt3AsyncClient c) {
        return c.connectWith().cleanSession(true).keepAlive(OursLib.KEEPALIVE_SECONDS).send();
    }

    @Override
    CompletableFuture<?> subscribe(Mqtt3AsyncClient c, String filter, MqttQos qos, Sink sink) {
        return c.subscribeWith().topicFilter(filter).qos(qos)
                .callback(p -> sink.received(p.getPayloadAsBytes().length))
                .send();
    }

    @Override
    CompletableFuture<?> disconnect(Mqtt3AsyncClient c) {
        return c.disconnect();
    }

    @Override
    Mqtt3BlockingClient toBlocking(Mqtt3AsyncClient c) {
        return c.toBlocking();
    }

    @Override
    CompletableFuture<?> publish(Mqtt3AsyncClient c, MqttTopic topic, MqttQos qos, byte[] payload) {
        return c.publishWith().topic(topic).qos(qos).payload(payload).send();
    }

    @Override
    void publishBlocking(Mqtt3BlockingClient b, MqttTopic topic, MqttQos qos, byte[] payload) {
        b.publishWith().topic(topic).qos(qos).payload(payload).send();
    }
}
