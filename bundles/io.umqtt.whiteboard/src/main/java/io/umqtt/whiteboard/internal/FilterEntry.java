package io.umqtt.whiteboard.internal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.TopicFilter;
import io.umqtt.whiteboard.SubscriptionDTO;

/**
 * One topic filter on one connection: the handlers that want it (the reference count) and
 * what the broker knows of it. Every field but {@link #handlers} is guarded by the whiteboard's
 * lock; {@link #handlers} is a copy-on-write array the connection's I/O thread reads without it.
 */
final class FilterEntry {
    /** Where the filter stands with the broker. */
    enum State {
        /** Not subscribed (yet, or any more), or unknown after the connection was lost. */
        NONE,
        SUBSCRIBING,
        SUBSCRIBED,
        REFUSED,
        FAILED,
        UNSUBSCRIBING
    }

    private static final HandlerQueue[] NO_HANDLERS = new HandlerQueue[0];

    final TopicFilter filter;
    /** The levels of the filter without a {@code $share/group/} prefix. */
    private final String[] levels;

    /** Handler to the QoS it asks for, in arrival order. */
    private final Map<HandlerQueue, Integer> members = new LinkedHashMap<>();
    /** The keys of {@link #members}, for dispatch. */
    volatile HandlerQueue[] handlers = NO_HANDLERS;

    State state = State.NONE;
    /** The QoS of the last SUBSCRIBE, or -1. */
    int requestedQos = -1;
    /** The QoS of the last successful SUBACK while the connection is up, or -1. */
    int grantedQos = -1;
    /** Why the last SUBSCRIBE or UNSUBSCRIBE failed, or null. */
    String failure;
    /** A SUBSCRIBE may be in effect on the broker: one was sent and no UNSUBSCRIBE succeeded since. */
    boolean onBroker;
    /** A SUBSCRIBE or UNSUBSCRIBE is on its way. */
    boolean inFlight;
    /** Subscribe again even when {@link State#SUBSCRIBED}: the connection came back. */
    boolean resubscribe;
    /**
     * Subscribe at QoS 1 although no handler of this filter asks for it, because it overlaps a
     * filter that one does (see {@link ConnectionRoute}); kept while the entry lives.
     */
    boolean raised;

    FilterEntry(TopicFilter filter) {
        this.filter = filter;
        this.levels = filter.filter().split("/", -1);
    }

    void add(HandlerQueue handler, int qos) {
        members.put(handler, qos);
        handlers = members.keySet().toArray(NO_HANDLERS);
    }

    void remove(HandlerQueue handler) {
        if (members.remove(handler) != null) {
            handlers = members.isEmpty() ? NO_HANDLERS : members.keySet().toArray(NO_HANDLERS);
        }
    }

    boolean isWanted() {
        return !members.isEmpty();
    }

    /** The highest QoS a handler of this very filter asks for, or -1 when none wants it. */
    int askedQos() {
        int qos = -1;
        for (int q : members.values()) {
            qos = Math.max(qos, q);
        }
        return qos;
    }

    /** The QoS to subscribe at: {@link #askedQos()}, raised to 1 when {@link #raised}; -1 when unwanted. */
    int wantedQos() {
        int asked = askedQos();
        return asked >= 0 && raised ? MqttConstants.QOS_AT_LEAST_ONCE : asked;
    }

    /**
     * Whether some topic matches both this filter and {@code other} (share prefixes ignored).
     * Level by level: equal levels or a '+' go on, a '#' matches whatever is left, including
     * nothing; a wildcard in the first level never meets a literal starting with '$'.
     */
    boolean overlaps(FilterEntry other) {
        String[] a = levels;
        String[] b = other.levels;
        for (int i = 0;; i++) {
            if (i == a.length && i == b.length) {
                return true;
            }
            String x = i < a.length ? a[i] : null;
            String y = i < b.length ? b[i] : null;
            if ("#".equals(x) || "#".equals(y)) {
                return i > 0 || !startsWithDollar("#".equals(x) ? y : x);
            }
            if (x == null || y == null) {
                return false;
            }
            if (x.equals("+") || y.equals("+")) {
                if (i == 0 && startsWithDollar(x.equals("+") ? y : x)) {
                    return false;
                }
            } else if (!x.equals(y)) {
                return false;
            }
        }
    }

    private static boolean startsWithDollar(String level) {
        return level != null && level.startsWith("$");
    }

    /** Whether a SUBSCRIBE should be sent now that the connection is up. */
    boolean needsSubscribe() {
        int wanted = wantedQos();
        if (wanted < 0 || inFlight) {
            return false;
        }
        if (resubscribe || requestedQos < wanted) {
            return true;
        }
        // SUBSCRIBED at enough QoS is done; REFUSED and FAILED wait for the next reconnect or
        // a handler asking more, rather than hammering the broker
        return state != State.SUBSCRIBED && state != State.REFUSED && state != State.FAILED;
    }

    SubscriptionDTO toDTO() {
        SubscriptionDTO dto = new SubscriptionDTO();
        dto.filter = filter.toString();
        dto.requestedQos = Math.max(wantedQos(), requestedQos);
        dto.grantedQos = state == State.SUBSCRIBED ? grantedQos : -1;
        dto.failure = state == State.REFUSED || state == State.FAILED ? failure : null;
        dto.handlerServiceIds = Arrays.stream(handlers).mapToLong(HandlerQueue::serviceId).sorted().toArray();
        switch (state) {
            case SUBSCRIBING:
                dto.status = SubscriptionDTO.SUBSCRIBING;
                break;
            case SUBSCRIBED:
                dto.status = isWanted() ? SubscriptionDTO.SUBSCRIBED : SubscriptionDTO.UNSUBSCRIBING;
                break;
            case REFUSED:
                dto.status = SubscriptionDTO.REFUSED;
                break;
            case FAILED:
                dto.status = SubscriptionDTO.FAILED;
                break;
            case UNSUBSCRIBING:
                dto.status = SubscriptionDTO.UNSUBSCRIBING;
                break;
            default:
                dto.status = isWanted() || !onBroker ? SubscriptionDTO.PENDING : SubscriptionDTO.UNSUBSCRIBING;
        }
        return dto;
    }

    @Override
    public String toString() {
        return "'" + filter + "'";
    }
}
