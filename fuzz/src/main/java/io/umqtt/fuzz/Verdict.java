package io.umqtt.fuzz;

import java.util.ArrayList;
import java.util.List;

/**
 * What the {@link Reference} says a correct client does with one stream: the messages it delivers
 * and the acks it completes, in order, how the connection ends, and the points where the
 * specification lets a client close the connection instead of going on ("MAY close").
 */
final class Verdict {
    /** How a correct client's connection ends. */
    enum End {
        /** End of stream: the stream ended between packets or in the middle of one. */
        EOF,
        /** The client closes the connection for a protocol violation. */
        PROTOCOL,
        /** A truncated packet whose header already breaks a rule: end of stream or protocol error. */
        EITHER,
        /** MQTT 5: the server's DISCONNECT ends the connection, with its reason code ({@link Outcome#code}). */
        DISCONNECTED
    }

    /** An ack the client matched to one of its requests. */
    static final class Completion {
        final int packetId;
        /** The ack's packet type code (4 PUBACK, 9 SUBACK, 11 UNSUBACK). */
        final int type;
        /** SUBACK's return code, else 0. */
        final int code;

        Completion(int packetId, int type, int code) {
            this.packetId = packetId;
            this.type = type;
            this.code = code;
        }
    }

    /** One allowed outcome: a prefix of the messages and completions, and the end. */
    static final class Outcome {
        final int messages;
        final int completions;
        final End end;
        /** The rule that ended it (null for a clean end of stream). */
        final String rule;
        /** Offset of the packet it ended at, in the server bytes after CONNACK. */
        final int offset;
        /** {@link End#DISCONNECTED}: the server's reason code. */
        final int code;

        Outcome(int messages, int completions, End end, String rule, int offset) {
            this(messages, completions, end, rule, offset, 0);
        }

        Outcome(int messages, int completions, End end, String rule, int offset, int code) {
            this.messages = messages;
            this.completions = completions;
            this.end = end;
            this.rule = rule;
            this.offset = offset;
            this.code = code;
        }

        @Override
        public String toString() {
            return messages + " message(s), " + completions + " ack(s), then " + end + (rule != null ? " " + rule : "")
                    + (end == End.DISCONNECTED ? String.format(" 0x%02X", code) : "") + " at offset " + offset;
        }
    }

    final List<Message> messages = new ArrayList<>();
    final List<Completion> completions = new ArrayList<>();
    /** The "MAY close" points, each an allowed outcome ending in a protocol error. */
    final List<Outcome> mayStops = new ArrayList<>();
    /** The message whose callback publishes (nest mode), or -1. */
    int nestIndex = -1;
    /** Packets parsed whole (delivered, acks, ignored). */
    int packets;
    Outcome full;

    void may(String rule, int offset) {
        mayStops.add(new Outcome(messages.size(), completions.size(), End.PROTOCOL, rule, offset));
    }

    void end(End end, String rule, int offset) {
        full = new Outcome(messages.size(), completions.size(), end, rule, offset);
    }

    /** MQTT 5: a valid server DISCONNECT with {@code code} ends the connection. */
    void disconnect(int code, int offset) {
        full = new Outcome(messages.size(), completions.size(), End.DISCONNECTED, null, offset, code);
    }

    /** The full outcome first, then the MAY-close ones. */
    List<Outcome> allowed() {
        List<Outcome> all = new ArrayList<>(1 + mayStops.size());
        all.add(full);
        all.addAll(mayStops);
        return all;
    }

    /** The completion of {@code packetId} within the first {@code completions} completions, or null. */
    Completion completion(int packetId, int within) {
        for (int i = 0; i < within; i++) {
            Completion c = completions.get(i);
            if (c.packetId == packetId) {
                return c;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append("reference: ").append(full);
        for (Outcome o : mayStops) {
            b.append("; or MAY close: ").append(o);
        }
        for (int i = 0; i < messages.size(); i++) {
            b.append("\n  message ").append(i).append(": ").append(messages.get(i));
        }
        for (Completion c : completions) {
            b.append("\n  ack type ").append(c.type).append(" id ").append(c.packetId).append(" code ").append(c.code);
        }
        return b.toString();
    }
}
