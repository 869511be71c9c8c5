package io.umqtt.robust;

import java.io.IOException;

/**
 * The MQTT 5 message expiry interval of a message passed while it waited in the offline queue:
 * it was dropped, not sent (see {@link RobustMqttClient#publish(String, byte[], boolean, int,
 * io.umqtt.api.MqttProperties)}). The {@link io.umqtt.simple.PublishToken} of a
 * {@code publishAsync} message fails with it.
 *
 * @since 1.7
 */
public class MessageExpiredException extends IOException {
    private static final long serialVersionUID = 1L;

    public MessageExpiredException(String message) {
        super(message);
    }
}
