package io.umqtt.whiteboard.internal;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import io.umqtt.whiteboard.HandlerDTO;

/**
 * A valid handler registration in the {@link Whiteboard}: its parsed properties, its queue, the
 * routes it is attached to and those that refused it.
 *
 * <h2>Threading</h2>
 * The mutable fields are guarded by the whiteboard's lock; so is {@link #toDTO()}.
 */
final class HandlerRecord {
    /** Replaced on property changes. */
    HandlerInfo info;
    final HandlerQueue queue;
    /** The routes its filters are attached to. */
    final Set<ConnectionRoute> bound = new LinkedHashSet<>();
    /**
     * The routes it targets but is not attached to because its filters would overlap a shared
     * subscription there, with why.
     */
    final Map<ConnectionRoute, String> refused = new LinkedHashMap<>();

    HandlerRecord(HandlerInfo info, HandlerQueue queue) {
        this.info = info;
        this.queue = queue;
    }

    /** Call under the lock. */
    HandlerDTO toDTO() {
        HandlerDTO dto = new HandlerDTO();
        dto.serviceId = info.serviceId();
        dto.bundleId = info.bundleId();
        dto.topics = info.filters().stream().map(Object::toString).toArray(String[]::new);
        dto.qos = info.qos();
        dto.ackAfterProcessing = info.ackAfterProcessing();
        dto.noLocal = info.options().noLocal();
        dto.retainAsPublished = info.options().retainAsPublished();
        dto.retainHandling = info.options().retainHandling();
        dto.target = info.targetText();
        dto.connectionServiceIds = bound.stream().mapToLong(r -> r.serviceId).sorted().toArray();
        dto.delivered = queue.delivered();
        dto.failed = queue.failed();
        dto.dropped = queue.dropped();
        dto.queued = queue.queued();
        return dto;
    }

    /** An invalid registration: shown in the runtime DTO until it goes or becomes valid; immutable. */
    static final class Failure {
        final long bundleId;
        final String reason;

        Failure(long bundleId, String reason) {
            this.bundleId = bundleId;
            this.reason = reason;
        }
    }
}
