package io.umqtt.whiteboard;

import org.osgi.dto.DTO;

/** A snapshot of the whiteboard: see {@link WhiteboardRuntime}. */
public class WhiteboardRuntimeDTO extends DTO {
    /** The valid handler registrations, by ascending service id. */
    public HandlerDTO[] handlers;

    /**
     * The handler registrations the whiteboard ignores because their properties are invalid, or
     * refuses on a connection because a filter would overlap a shared subscription there; by
     * ascending service id.
     */
    public FailedHandlerDTO[] failedHandlers;

    /** The tracked connection services, by ascending service id. */
    public ConnectionDTO[] connections;

    /** How many handler calls may run at the same time (the size of the delivery pool). */
    public int threads;

    /** How many messages each handler's queue holds before it drops the oldest. */
    public int queueCapacity;
}
