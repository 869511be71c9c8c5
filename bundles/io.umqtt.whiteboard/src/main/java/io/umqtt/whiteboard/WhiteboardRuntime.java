package io.umqtt.whiteboard;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The whiteboard's state, for consoles, health checks and tests. Registered as a service by the
 * {@code io.umqtt.whiteboard} bundle with a {@code service.changecount} property (a
 * {@code Long}) that grows whenever handlers, connections or subscription outcomes change, so
 * a service listener learns when a new snapshot is worth taking (several quick changes may be
 * announced once). Message and queue counters change without an announcement.
 */
@ProviderType
public interface WhiteboardRuntime {

    /** A consistent snapshot of the whiteboard's state; the caller owns it. */
    WhiteboardRuntimeDTO getRuntimeDTO();
}
