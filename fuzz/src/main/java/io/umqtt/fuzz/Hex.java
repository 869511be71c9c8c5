package io.umqtt.fuzz;

/** Hex strings for reproducers. */
final class Hex {
    private Hex() {
    }

    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    static String of(byte[] b) {
        return of(b, 0, b.length);
    }

    static String of(byte[] b, int off, int len) {
        char[] c = new char[len * 2];
        for (int i = 0; i < len; i++) {
            int v = b[off + i] & 0xFF;
            c[2 * i] = DIGITS[v >>> 4];
            c[2 * i + 1] = DIGITS[v & 0x0F];
        }
        return new String(c);
    }

    static byte[] parse(String s) {
        if (s.length() % 2 != 0) {
            throw new IllegalArgumentException("hex string of odd length " + s.length());
        }
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int hi = Character.digit(s.charAt(2 * i), 16);
            int lo = Character.digit(s.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("not a hex digit near offset " + 2 * i + " of '" + s + "'");
            }
            b[i] = (byte) (hi << 4 | lo);
        }
        return b;
    }
}
