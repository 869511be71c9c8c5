package io.umqtt.simple.internal.codec;

/**
 * Checks UTF-8 strings in place, for MQTT 5 string properties: well-formed UTF-8 as Unicode
 * defines it (no overlong form, no encoded surrogate, nothing above U+10FFFF, no truncated
 * sequence or stray continuation byte; MQTT-1.5.4-1) and no U+0000 (MQTT-1.5.4-2), the rules the
 * client applies to MQTT 3.1.1 strings. U+FEFF and control characters are accepted, as the
 * specification allows (MQTT-1.5.4-3). Allocates nothing unless the string is refused. Stateless.
 */
final class Utf8Check {
    private Utf8Check() {
    }

    /**
     * Why {@code b[off..end)} is not an MQTT UTF-8 string, or {@code null} when it is.
     *
     * @return e.g. "U+0000 at byte 3 (MQTT-1.5.4-2)", "ill-formed UTF-8 at byte 0 (C0 80) (MQTT-1.5.4-1)"
     */
    static String problem(byte[] b, int off, int end) {
        int i = off;
        while (i < end) {
            int lead = b[i] & 0xFF;
            if (lead == 0) {
                return "U+0000 at byte " + (i - off) + " (MQTT-1.5.4-2)";
            }
            int n = sequenceLength(b, i, end);
            if (n == 0) {
                StringBuilder near = new StringBuilder();
                for (int k = i; k < end && k < i + 4; k++) {
                    near.append(k > i ? " " : "").append(String.format("%02X", b[k] & 0xFF));
                }
                return "ill-formed UTF-8 at byte " + (i - off) + " (" + near + ") (MQTT-1.5.4-1)";
            }
            i += n;
        }
        return null;
    }

    /** Length 1..4 of the well-formed sequence at {@code b[i]}, 0 when it is not well-formed. */
    private static int sequenceLength(byte[] b, int i, int end) {
        int lead = b[i] & 0xFF;
        if (lead < 0x80) {
            return 1;
        }
        if (lead < 0xC2 || lead > 0xF4) {
            return 0;
        }
        if (lead < 0xE0) {
            return i + 1 < end && cont(b[i + 1]) ? 2 : 0;
        }
        int low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
        int high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
        int length = lead < 0xF0 ? 3 : 4;
        if (i + length > end) {
            return 0;
        }
        int second = b[i + 1] & 0xFF;
        if (second < low || second > high) {
            return 0;
        }
        for (int k = 2; k < length; k++) {
            if (!cont(b[i + k])) {
                return 0;
            }
        }
        return length;
    }

    private static boolean cont(byte v) {
        return (v & 0xC0) == 0x80;
    }
}
