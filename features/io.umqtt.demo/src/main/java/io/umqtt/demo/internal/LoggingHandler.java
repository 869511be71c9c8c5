package io.umqtt.demo.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import org.osgi.service.component.annotations.Component;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttMessage;

/**
 * The demo's whiteboard handler: prints every message under {@code umqtt/demo/#} on the
 * gateway's standard output. Its topic can be changed with the PID {@code io.umqtt.demo.handler}
 * (property {@code mqtt.topic}).
 */
@Component(configurationPid = "io.umqtt.demo.handler",
        property = HandlerConstants.TOPIC + "=umqtt/demo/#")
public class LoggingHandler implements MessageHandler {

    @Override
    public void handle(MqttMessage message) {
        System.out.printf("[umqtt demo] %s %s (qos %d%s): %s%n", message.connection().name(),
                message.topicString(), message.qos(), message.retain() ? ", retained" : "",
                new String(message.payload(), UTF_8));
    }
}
