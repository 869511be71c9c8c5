package io.umqtt.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * Acknowledge after processing with the robust client's own loop: a callback that fails makes the
 * client close the connection without the PUBACK; the robust loop reconnects with the session
 * kept, and mosquitto delivers the message again (DUP), until a callback returns normally.
 */
@Timeout(30)
class RobustAckAfterProcessingTest {

    @Test
    void aFailedCallbackIsRedeliveredAfterTheRobustReconnect() throws Exception {
        try (MosquittoBroker broker = MosquittoBroker.start()) {
            RobustMqttClient sub = new RobustMqttClient("ackproc-robust-sub", broker.host(), broker.port());
            sub.setCleanSession(false);
            sub.setReconnectPolicy(new ReconnectPolicy(20, 100, 0, 0));
            sub.setAckAfterProcessing(true);
            BlockingQueue<String> seen = new LinkedBlockingQueue<>();
            AtomicInteger failuresLeft = new AtomicInteger(2);
            sub.setCallback((topic, msg, retain, dup, qos) -> {
                seen.add(new String(msg, StandardCharsets.UTF_8) + (dup ? " dup" : ""));
                if (failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("processing failed");
                }
            });
            sub.connect(false);
            sub.subscribe("ackproc/robust", 1);
            Thread loop = sub.start("ackproc-robust-loop");
            MqttClient pub = new MqttClient("ackproc-robust-pub", broker.host(), broker.port());
            try {
                pub.connect(true);
                pub.publish("ackproc/robust", "m1", false, 1);
                assertEquals("m1", seen.poll(10, TimeUnit.SECONDS));
                assertEquals("m1 dup", seen.poll(10, TimeUnit.SECONDS), "redelivered after the first failure");
                assertEquals("m1 dup", seen.poll(10, TimeUnit.SECONDS), "and after the second");
                // the third callback returned: the connection stays and goes on with new messages
                pub.publish("ackproc/robust", "marker", false, 1);
                assertEquals("marker", seen.poll(10, TimeUnit.SECONDS));
                assertTrue(sub.isConnected());
            } finally {
                pub.close();
                sub.close();
                loop.join(10_000);
            }
        }
    }
}
