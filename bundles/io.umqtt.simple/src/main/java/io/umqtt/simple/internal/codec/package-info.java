/**
 * The MQTT 3.1.1 wire format, one class per packet type and direction: {@code *Decoder} classes
 * check and read what the server sends, {@code *Encoder} classes lay out what the client sends;
 * the packets of a fixed short shape (the acks that hold a packet identifier alone, PINGREQ,
 * PINGRESP, DISCONNECT) share {@link io.umqtt.simple.internal.codec.ShortPackets}, one method per
 * packet type and direction.
 * {@link io.umqtt.simple.internal.codec.FixedHeader} frames packets out of the byte stream and
 * checks their first byte; {@link io.umqtt.simple.internal.codec.Wire} holds the shared byte
 * helpers. No class here does I/O, keeps connection state or takes a lock: decoders work on
 * {@code (byte[] buf, int off, int len)} slices of the client's read buffer and throw
 * {@link io.umqtt.api.MqttException} ({@code PROTOCOL_ERROR}) saying what was expected and what was
 * found; encoders return or fill byte arrays. Internal: not exported.
 * <p>
 * MQTT 5: {@link io.umqtt.simple.internal.codec.Properties} (property identifiers, types, which
 * packets allow which, variable byte integers), {@link io.umqtt.simple.internal.codec.PropertyReader}
 * (strict, allocation-free reading of a property block) and
 * {@link io.umqtt.simple.internal.codec.PropertyWriter} (writing one). MQTT 5 errors carry the
 * reason code the client sends in its DISCONNECT (0x81 malformed packet, 0x82 protocol error) in
 * {@link io.umqtt.api.MqttException#returnCode()}.
 */
package io.umqtt.simple.internal.codec;
