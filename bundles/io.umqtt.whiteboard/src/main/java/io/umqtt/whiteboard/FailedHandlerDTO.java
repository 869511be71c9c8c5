package io.umqtt.whiteboard;

import org.osgi.dto.DTO;

/**
 * A {@code MessageHandler} registration the whiteboard ignores, and why: its properties are
 * invalid, or it is refused on some connection its target selects because its filters would
 * overlap a shared subscription ({@code $share/...}) there (it then also appears among the valid
 * handlers, attached to the other connections; see the whiteboard's documentation).
 */
public class FailedHandlerDTO extends DTO {
    /** The handler's {@code service.id}. */
    public long serviceId;

    /** The id of the bundle that registered it, or -1 when the framework did not say. */
    public long bundleId;

    /** What is wrong, naming the property and its value, or the connection, filters and handler of the overlap. */
    public String reason;
}
