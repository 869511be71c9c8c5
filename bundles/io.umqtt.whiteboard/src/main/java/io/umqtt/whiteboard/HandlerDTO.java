package io.umqtt.whiteboard;

import org.osgi.dto.DTO;

/** A valid {@code MessageHandler} registration and its delivery counters. */
public class HandlerDTO extends DTO {
    /** The handler's {@code service.id}. */
    public long serviceId;

    /** The id of the bundle that registered it, or -1 when the framework did not say. */
    public long bundleId;

    /**
     * Its topic filters ({@code mqtt.topic}) as given, duplicates removed; a shared subscription
     * shows with its {@code $share/<group>/} prefix.
     */
    public String[] topics;

    /** The QoS it asked for ({@code mqtt.qos}). */
    public int qos;

    /** Its target filter ({@code mqtt.target}), or {@code null} for every connection. */
    public String target;

    /** The service ids of the connections its filters are subscribed on. */
    public long[] connectionServiceIds;

    /** Calls of {@code handle} that returned normally. */
    public long delivered;

    /** Calls of {@code handle} that threw. */
    public long failed;

    /** Messages dropped because its queue was full (the oldest queued message goes). */
    public long dropped;

    /** Messages waiting in its queue now. */
    public int queued;

    /**
     * Its {@code mqtt.ack.after.processing}: its processing holds the acknowledgement of QoS 1
     * messages on connections that acknowledge after processing.
     *
     * @since 1.2
     */
    public boolean ackAfterProcessing;

    /**
     * Its {@code mqtt.no.local} (MQTT 5 No Local): it asked the broker not to send its filters the
     * messages its own connection publishes. What the broker gets is the combination over the
     * handlers of a filter (see {@code docs/mqtt5-components.md}); on MQTT 3.1.1 it is not sent.
     *
     * @since 1.3
     */
    public boolean noLocal;

    /**
     * Its {@code mqtt.retain.as.published} (MQTT 5 Retain As Published): forwarded messages keep
     * the RETAIN flag they were published with.
     *
     * @since 1.3
     */
    public boolean retainAsPublished;

    /**
     * Its {@code mqtt.retain.handling} (MQTT 5 Retain Handling): 0 retained messages when
     * subscribing (the default), 1 only when the broker's subscription is new, 2 none.
     *
     * @since 1.3
     */
    public int retainHandling;
}
