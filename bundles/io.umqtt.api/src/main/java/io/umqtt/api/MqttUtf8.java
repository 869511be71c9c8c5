package io.umqtt.api;

import java.nio.charset.StandardCharsets;

/**
 * The UTF-8 rules of MQTT 3.1.1 strings (section 1.5.3), for {@link TopicFilter} and
 * {@link MqttConnection}: well-formed UTF-8 as Unicode defines it (no overlong forms, no encoded
 * surrogates U+D800..U+DFFF, nothing above U+10FFFF, no truncated sequence, no stray continuation
 * byte, no byte C0, C1 or F5..FF; MQTT-1.5.3-1) and no U+0000 (MQTT-1.5.3-2, checked by the
 * callers). Accepted as the specification allows: U+0001..U+001F, U+007F..U+009F, the
 * non-characters and U+FEFF, which is kept as it is, never skipped (MQTT-1.5.3-3).
 * <p>
 * Checking allocates nothing unless it fails. Not part of the API (package-private); stateless.
 */
final class MqttUtf8 {
    private MqttUtf8() {
    }

    /**
     * The length (1..4) of the well-formed UTF-8 sequence starting at {@code b[i]}, reading no
     * further than {@code end}; 0 when the bytes there are not well-formed.
     */
    static int sequenceLength(byte[] b, int i, int end) {
        int lead = b[i] & 0xFF;
        if (lead < 0x80) {
            return 1;
        }
        if (lead < 0xC2) { // a continuation byte, or C0/C1 (always overlong)
            return 0;
        }
        if (lead < 0xE0) {
            return i + 1 < end && isContinuation(b[i + 1]) ? 2 : 0;
        }
        if (lead < 0xF0) {
            return i + 2 < end && inRange(b[i + 1], secondLow(lead), secondHigh(lead)) && isContinuation(b[i + 2])
                    ? 3 : 0;
        }
        if (lead < 0xF5) {
            return i + 3 < end && inRange(b[i + 1], secondLow(lead), secondHigh(lead)) && isContinuation(b[i + 2])
                    && isContinuation(b[i + 3]) ? 4 : 0;
        }
        return 0;
    }

    /** The lowest second byte after {@code lead} (Unicode's table of well-formed sequences). */
    private static int secondLow(int lead) {
        return lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
    }

    /** The highest second byte after {@code lead}. */
    private static int secondHigh(int lead) {
        return lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static boolean inRange(byte b, int low, int high) {
        int v = b & 0xFF;
        return v >= low && v <= high;
    }

    /**
     * Why the sequence at {@code b[i]} is not well-formed, for a message: "overlong 2-byte
     * encoding", "encoded surrogate U+D800", ...; call only where {@link #sequenceLength} is 0.
     */
    static String whyIllFormed(byte[] b, int i, int end) {
        int lead = b[i] & 0xFF;
        if (lead < 0xC0) {
            return String.format("unexpected continuation byte 0x%02X", lead);
        }
        if (lead < 0xC2) {
            return "overlong 2-byte encoding (lead byte 0x" + hex(lead) + ")";
        }
        if (lead >= 0xF5) {
            return "byte 0x" + hex(lead) + " never occurs in UTF-8"
                    + (lead < 0xF8 ? " (it would start a code point above U+10FFFF)" : "");
        }
        int length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        for (int k = 1; k < length; k++) {
            if (i + k >= end) {
                return "truncated " + length + "-byte sequence (the string ends after " + k + " of its bytes)";
            }
            int v = b[i + k] & 0xFF;
            if (k == 1 && length > 2 && (v & 0xC0) == 0x80 && (v < secondLow(lead) || v > secondHigh(lead))) {
                if (lead == 0xE0) {
                    return "overlong 3-byte encoding";
                }
                if (lead == 0xF0) {
                    return "overlong 4-byte encoding";
                }
                if (lead == 0xF4) {
                    return "code point above U+10FFFF";
                }
                // lead ED with A0..BF: a UTF-16 surrogate
                int cp = 0xD000 | ((v & 0x3F) << 6);
                if (i + 2 < end && isContinuation(b[i + 2])) {
                    return String.format("encoded surrogate U+%04X (surrogates are not characters)", cp | (b[i + 2] & 0x3F));
                }
                return "encoded surrogate (surrogates are not characters)";
            }
            if ((v & 0xC0) != 0x80) {
                return "byte 0x" + hex(v) + " where the " + length + "-byte sequence needs a continuation byte";
            }
        }
        return "ill-formed sequence"; // not reached for bytes sequenceLength refuses
    }

    /**
     * The exception for the ill-formed sequence at {@code b[i]} of the string {@code what}
     * ("topic", ...): names the problem, the byte offset and the bytes there.
     */
    static IllegalArgumentException illFormed(String what, byte[] b, int i, int end) {
        StringBuilder near = new StringBuilder();
        for (int k = i; k < end && k < i + 4; k++) {
            near.append(k > i ? " " : "").append(hex(b[k] & 0xFF));
        }
        return new IllegalArgumentException(what + " is not well-formed UTF-8: " + whyIllFormed(b, i, end)
                + " at byte " + i + " (" + near + ")");
    }

    private static String hex(int v) {
        return String.format("%02X", v);
    }

    /** The index of the first unpaired UTF-16 surrogate in {@code s}, or -1 when there is none. */
    static int loneSurrogate(CharSequence s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            return i;
        }
        return -1;
    }

    /** "topic: lone surrogate U+D800 at index 2 ...", for a string {@link #loneSurrogate} refused. */
    static IllegalArgumentException loneSurrogate(String what, CharSequence s, int index) {
        return new IllegalArgumentException(String.format("%s: lone surrogate U+%04X at index %d (half of a UTF-16 "
                + "pair without its other half: UTF-8 cannot encode it)", what, (int) s.charAt(index), index));
    }

    /** {@code s} as UTF-8; refuses a lone surrogate rather than sending '?' in its place. */
    static byte[] encode(String what, String s) {
        if (s == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        int bad = loneSurrogate(s);
        if (bad >= 0) {
            throw loneSurrogate(what, s, bad);
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
