package io.umqtt.whiteboard;

import org.osgi.dto.DTO;

/** One topic filter on one connection: who wants it, and what the broker answered. */
public class SubscriptionDTO extends DTO {
    /** Wanted, not yet subscribed: the connection is not connected, or the SUBSCRIBE is queued. */
    public static final String PENDING = "PENDING";
    /** The SUBSCRIBE is on its way; no SUBACK yet. */
    public static final String SUBSCRIBING = "SUBSCRIBING";
    /** The broker granted it; see {@link #grantedQos}. */
    public static final String SUBSCRIBED = "SUBSCRIBED";
    /** The broker refused it (SUBACK return code 0x80); see {@link #failure}. */
    public static final String REFUSED = "REFUSED";
    /** The SUBSCRIBE failed without an answer (connection lost, timeout); see {@link #failure}. */
    public static final String FAILED = "FAILED";
    /** No handler wants it any more; the UNSUBSCRIBE is queued or on its way. */
    public static final String UNSUBSCRIBING = "UNSUBSCRIBING";

    /** The topic filter as subscribed, including a {@code $share/<group>/} prefix. */
    public String filter;

    /** One of the status constants of this class. */
    public String status;

    /**
     * The QoS subscribed at: the highest its handlers want, at least 1 when it overlaps a filter
     * asked at QoS 1 or 2 on the same connection (mosquitto delivers a message matching several
     * subscriptions once, at the QoS of the most specific one).
     */
    public int requestedQos;

    /** The QoS the broker granted in its SUBACK, or -1 when it has not (yet) granted one. */
    public int grantedQos;

    /** Why it is {@link #REFUSED} or {@link #FAILED}, else {@code null}. */
    public String failure;

    /** The service ids of the handlers that want it. */
    public long[] handlerServiceIds;
}
