package io.umqtt.benchmarks;

import java.util.concurrent.CompletableFuture;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.datatypes.MqttTopic;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;

/**
 * The HiveMQ MQTT client 1.3.7 over MQTT 5 ({@link Mqtt5AsyncClient}), driven exactly as
 * {@link HiveLib} drives its MQTT 3.1.1 API ({@link HiveBaseLib}: the async API with at most
 * {@code window} publishes outstanding in the pipelined runs, its blocking view for the
 * one-at-a-time run, the topic object built once), clean start, keepalive 60 s, the library's MQTT 5
 * defaults otherwise (whatever it does with topic aliases, receive maximum and the like by itself).
 */
final class Hive5Lib extends HiveBaseLib<Mqtt5AsyncClient, Mqtt5BlockingClient> {

    /** @param window how many publishes the pipelined runs keep outstanding at most */
    Hive5Lib(int port, String topic, int window) {
        super(port, topic, window);
    }

    @Override
    public String name() {
        return "hivemq5";
    }

    @Override
    Mqtt5AsyncClient client(String clientId) {
        return MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost(Broker.HOST).serverPort(port)
                .buildAsync();
    }

    @Override
    CompletableFuture<?> connect(Mqtt5AsyncClient c) {
        return c.connectWith().cleanStart(true).keepAlive(OursLib.KEEPALIVE_SECONDS).send();
    }

    @Override
    CompletableFuture<?> subscribe(Mqtt5AsyncClient c, String filter, MqttQos qos, Sink sink) {
        return c.subscribeWith().topicFilter(filter).qos(qos)
                .callback(p -> sink.received(p.getPayloadAsBytes().length))
                .send();
    }

    @Override
    CompletableFuture<?> disconnect(Mqtt5AsyncClient c) {
        return c.disconnect();
    }

    @Override
    Mqtt5BlockingClient toBlocking(Mqtt5AsyncClient c) {
        return c.toBlocking();
    }

    @Override
    CompletableFuture<?> publish(Mqtt5AsyncClient c, MqttTopic topic, MqttQos qos, byte[] payload) {
        return c.publishWith().topic(topic).qos(qos).payload(payload).send();
    }

    @Override
    void publishBlocking(Mqtt5BlockingClient b, MqttTopic topic, MqttQos qos, byte[] payload) {
        b.publishWith().topic(topic).qos(qos).payload(payload).send();
    }
}
