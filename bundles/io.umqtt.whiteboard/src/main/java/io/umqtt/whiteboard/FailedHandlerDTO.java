package io.umqtt.whiteboard;

import org.osgi.dto.DTO;

/** A {@code MessageHandler} registration the whiteboard ignores, and why. */
public class FailedHandlerDTO extends DTO {
    /** The handler's {@code service.id}. */
    public long serviceId;

    /** The id of the bundle that registered it, or -1 when the framework did not say. */
    public long bundleId;

    /** What is wrong, naming the property and its value. */
    public String reason;
}
