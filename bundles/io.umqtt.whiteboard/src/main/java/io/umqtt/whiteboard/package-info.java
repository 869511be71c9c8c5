/**
 * The whiteboard's runtime view: the {@link io.umqtt.whiteboard.WhiteboardRuntime} service and
 * the DTO snapshots it returns (handlers with their queue counters, registrations that were
 * refused, and per connection the subscriptions with the QoS the broker granted or why it
 * failed). Handlers themselves implement {@link io.umqtt.api.MessageHandler} from
 * {@code io.umqtt.api}; nothing here is needed to write one.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.umqtt.whiteboard;
