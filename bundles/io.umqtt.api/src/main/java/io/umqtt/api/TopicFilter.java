package io.umqtt.api;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A validated MQTT 3.1.1 topic filter, compiled once, matched against received topic bytes
 * without decoding them.
 * <ul>
 * <li>{@code +} matches exactly one level, {@code #} (last level only) any number of levels,
 * including none: {@code a/#} matches {@code a}.</li>
 * <li>Topics starting with {@code $} are not matched by a wildcard in the first level.</li>
 * <li>Empty levels are levels: {@code a//b} has three.</li>
 * <li>{@code $share/group/filter} is a shared subscription; it matches like {@code filter}.</li>
 * </ul>
 * Instances are immutable and thread-safe.
 */
public final class TopicFilter {
    private static final byte SEPARATOR = '/';
    private static final byte[] SINGLE = {'+'};
    private static final byte[] MULTI = {'#'};
    private static final String SHARE_PREFIX = "$share/";

    private final String text;
    private final String shareGroup;
    private final String filter;
    /** One entry per level; {@link #SINGLE} and {@link #MULTI} (by identity) for wildcards. */
    private final byte[][] levels;
    private final boolean wildcard;

    private TopicFilter(String text, String shareGroup, String filter, byte[][] levels, boolean wildcard) {
        this.text = text;
        this.shareGroup = shareGroup;
        this.filter = filter;
        this.levels = levels;
        this.wildcard = wildcard;
    }

    /**
     * Parses and validates a filter: not empty, at most 65,535 bytes of UTF-8, no U+0000, no
     * lone surrogate (which UTF-8 cannot encode), {@code +} alone in its level, {@code #} alone in
     * the last level.
     *
     * @throws IllegalArgumentException naming the filter and what is wrong with it
     */
    public static TopicFilter parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("topic filter must not be null");
        }
        int lone = MqttUtf8.loneSurrogate(text);
        if (lone >= 0) {
            throw bad(text, MqttUtf8.loneSurrogate("topic filter", text, lone).getMessage());
        }
        String group = null;
        String filter = text;
        if (text.startsWith(SHARE_PREFIX)) {
            int slash = text.indexOf('/', SHARE_PREFIX.length());
            if (slash < 0) {
                throw bad(text, "a shared subscription needs the form $share/<group>/<filter>");
            }
            group = text.substring(SHARE_PREFIX.length(), slash);
            if (group.isEmpty() || group.indexOf('+') >= 0 || group.indexOf('#') >= 0) {
                throw bad(text, "the share group name must be non-empty and contain no wildcard");
            }
            filter = text.substring(slash + 1);
        }
        if (filter.isEmpty()) {
            throw bad(text, "a topic filter must not be empty");
        }
        checkLength(text, "topic filter");
        if (text.indexOf('\u0000') >= 0) {
            throw bad(text, "a topic filter must not contain U+0000");
        }
        String[] parts = filter.split("/", -1);
        byte[][] levels = new byte[parts.length][];
        boolean wildcard = false;
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (part.equals("#")) {
                if (i != parts.length - 1) {
                    throw bad(text, "'#' is allowed only as the last level");
                }
                levels[i] = MULTI;
                wildcard = true;
            } else if (part.equals("+")) {
                levels[i] = SINGLE;
                wildcard = true;
            } else if (part.indexOf('#') >= 0 || part.indexOf('+') >= 0) {
                throw bad(text, "'+' and '#' must occupy a whole level, found level '" + part + "'");
            } else {
                levels[i] = part.getBytes(StandardCharsets.UTF_8);
            }
        }
        return new TopicFilter(text, group, filter, levels, wildcard);
    }

    /**
     * Checks a topic name for PUBLISH: non-empty, at most 65,535 bytes, well-formed UTF-8 (no
     * overlong forms, encoded surrogates, code points above U+10FFFF, truncated sequences or
     * stray continuation bytes), no U+0000 and no wildcards. Control characters, non-characters
     * and U+FEFF are accepted (MQTT 3.1.1 section 1.5.3). Allocates nothing unless it throws.
     *
     * @throws IllegalArgumentException naming what is wrong, and for UTF-8 where ("topic is not
     *         well-formed UTF-8: overlong 2-byte encoding at byte 2 (C0 AF)")
     */
    public static void validateTopicName(byte[] topic) {
        if (topic == null) {
            throw new IllegalArgumentException("topic must not be null");
        }
        int n = topic.length;
        if (n == 0) {
            throw new IllegalArgumentException("topic must not be empty");
        }
        if (n > MqttConstants.MAX_TOPIC_LENGTH) {
            throw new IllegalArgumentException("topic is " + n + " bytes long, the maximum is "
                    + MqttConstants.MAX_TOPIC_LENGTH);
        }
        int i = 0;
        while (i < n) {
            byte b = topic[i];
            if (b > 0) { // ASCII but U+0000: the common case
                if (b == '+' || b == '#') {
                    throw new IllegalArgumentException("topic must not contain wildcards, found '" + (char) b
                            + "' at byte " + i + " in '" + new String(topic, StandardCharsets.UTF_8) + "'");
                }
                i++;
            } else if (b == 0) {
                throw new IllegalArgumentException("topic must not contain U+0000, found at byte " + i);
            } else {
                int length = MqttUtf8.sequenceLength(topic, i, n);
                if (length == 0) {
                    throw MqttUtf8.illFormed("topic", topic, i, n);
                }
                i += length;
            }
        }
    }

    private static void checkLength(String text, String what) {
        // UTF-8 length without allocating for the common short case
        if (text.length() * 3 > MqttConstants.MAX_TOPIC_LENGTH
                && text.getBytes(StandardCharsets.UTF_8).length > MqttConstants.MAX_TOPIC_LENGTH) {
            throw bad(text.substring(0, 32) + "...", "a " + what + " must be at most "
                    + MqttConstants.MAX_TOPIC_LENGTH + " bytes of UTF-8");
        }
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("invalid topic filter '" + text + "': " + why);
    }

    /** Whether this filter matches the given topic name (UTF-8 bytes). */
    public boolean matches(byte[] topic) {
        int pos = 0;
        int n = topic.length;
        for (int i = 0; i < levels.length; i++) {
            byte[] level = levels[i];
            if (level == MULTI) {
                return !(i == 0 && n > 0 && topic[0] == '$');
            }
            if (pos > n) {
                return false; // topic has fewer levels than the filter
            }
            int end = pos;
            while (end < n && topic[end] != SEPARATOR) {
                end++;
            }
            if (level == SINGLE) {
                if (i == 0 && end > 0 && topic[0] == '$') {
                    return false;
                }
            } else if (!regionEquals(topic, pos, end, level)) {
                return false;
            }
            pos = end + 1; // past the separator; == n + 1 when the topic ended
        }
        return pos == n + 1;
    }

    /** Whether this filter matches the given topic name. */
    public boolean matches(String topic) {
        return matches(topic.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean regionEquals(byte[] topic, int from, int to, byte[] level) {
        return to - from == level.length && Arrays.equals(topic, from, to, level, 0, level.length);
    }

    /** The filter as given, including a {@code $share/group/} prefix. */
    @Override
    public String toString() {
        return text;
    }

    /** The filter without its {@code $share/group/} prefix. */
    public String filter() {
        return filter;
    }

    /** The share group of a shared subscription, or {@code null}. */
    public String shareGroup() {
        return shareGroup;
    }

    /** Whether the filter contains {@code +} or {@code #}. */
    public boolean hasWildcard() {
        return wildcard;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopicFilter && ((TopicFilter) o).text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
