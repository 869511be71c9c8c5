package io.umqtt.simple.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttConstants;

/**
 * Conversions between Java strings and MQTT 3.1.1 UTF-8 strings that never change what they are
 * given: a lone surrogate (which UTF-8 cannot encode, and {@link String#getBytes} would replace
 * by '?') and ill-formed UTF-8 (which {@code new String} would replace by U+FFFD) are refused
 * with an {@link IllegalArgumentException} naming the argument. Topic names are checked by
 * {@link io.umqtt.api.TopicFilter#validateTopicName(byte[])}, filters by
 * {@link io.umqtt.api.TopicFilter#parse(String)}. Stateless.
 */
public final class MqttStrings {
    private MqttStrings() {
    }

    /**
     * {@code s} as UTF-8.
     *
     * @param what the argument's name for the message ("topic", "clientId", ...)
     * @throws IllegalArgumentException for null, or a lone surrogate ("topic: lone surrogate
     *         U+D800 at index 2 ...")
     */
    public static byte[] utf8(String what, String s) {
        if (s == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw new IllegalArgumentException(String.format("%s: lone surrogate U+%04X at index %d (half of "
                            + "a UTF-16 pair without its other half: UTF-8 cannot encode it)", what, (int) c, i));
                }
            }
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * {@code s} as an MQTT string of a CONNECT (client identifier, user name): UTF-8 without
     * U+0000, at most 65,535 bytes.
     *
     * @throws IllegalArgumentException naming {@code what} and the problem
     */
    public static byte[] connectString(String what, String s) {
        byte[] b = utf8(what, s);
        checkConnectField(what, b);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                throw new IllegalArgumentException(what + " must not contain U+0000 (MQTT-1.5.3-2), found at index "
                        + s.indexOf('\u0000'));
            }
        }
        return b;
    }

    /**
     * Checks the length of a CONNECT field (MQTT strings and binary data carry a 16-bit length).
     *
     * @throws IllegalArgumentException when longer than 65,535 bytes
     */
    public static void checkConnectField(String what, byte[] b) {
        if (b.length > MqttConstants.MAX_TOPIC_LENGTH) {
            throw new IllegalArgumentException(what + " is " + b.length + " bytes long, the maximum is "
                    + MqttConstants.MAX_TOPIC_LENGTH);
        }
    }

    /**
     * Decodes well-formed UTF-8 (as Unicode defines it: no overlong forms, encoded surrogates,
     * code points above U+10FFFF, truncated or stray bytes).
     *
     * @param what the argument's name for the message
     * @throws IllegalArgumentException for null, or naming the byte offset of the first
     *         ill-formed sequence and its bytes
     */
    public static String decode(String what, byte[] b) {
        if (b == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(b.length);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            StringBuilder near = new StringBuilder();
            for (int k = at; k < b.length && k < at + 4; k++) {
                near.append(k > at ? " " : "").append(String.format("%02X", b[k] & 0xFF));
            }
            throw new IllegalArgumentException(what + " is not well-formed UTF-8: ill-formed sequence at byte " + at
                    + " (" + near + ")");
        }
        return out.flip().toString();
    }
}
