package io.umqtt.whiteboard.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The whiteboard's configuration (PID {@value WhiteboardComponent#PID}); optional, the defaults suit most gateways. */
@ObjectClassDefinition(id = WhiteboardComponent.PID, // OSGI-INF/metatype/<pid>.xml, where Kura looks for it
        name = "umqtt MQTT whiteboard",
        description = "Delivers the messages received by the MQTT connections to the MessageHandler services "
                + "whose mqtt.topic filters match, and keeps the connections' subscriptions equal to those filters.")
@interface WhiteboardConfig {

    @AttributeDefinition(name = "Delivery threads",
            description = "How many handler calls may run at the same time (1..64). Each handler gets one call at a "
                    + "time in message order; a handler that blocks holds one thread.",
            min = "1", max = "64")
    int threads() default Settings.DEFAULT_THREADS;

    @AttributeDefinition(name = "Queue capacity per handler",
            description = "How many messages wait for a handler (1..1000000). When a slow handler's queue is full "
                    + "its oldest message is dropped; drops are counted and logged.",
            min = "1", max = "1000000")
    int queue_capacity() default Settings.DEFAULT_QUEUE_CAPACITY;
}
