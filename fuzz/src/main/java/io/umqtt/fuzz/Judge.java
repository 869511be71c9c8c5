package io.umqtt.fuzz;

import java.util.ArrayList;
import java.util.List;

/**
 * Compares what the client did ({@link Observed}) with what the {@link Reference} allows
 * ({@link Verdict}) and names each disagreement by a category: {@code accepts:RULE} (the client went
 * on past a packet that breaks RULE), {@code rejects-valid} (the client closed where the stream was
 * valid), {@code message-differs}, {@code end:EXPECTED->OBSERVED}, {@code checkMsg-misses-end} (the
 * messages agree but {@code checkMsg()} never reported the end of the stream), {@code op-result:OP},
 * {@code pubacks}. Stateless.
 */
final class Judge {
    private Judge() {
    }

    /** A disagreement: its category and what each side said. */
    static final class Disagreement {
        final String category;
        private final Verdict verdict;
        private final Observed observed;

        Disagreement(String category, Verdict verdict, Observed observed) {
            this.category = category;
            this.verdict = verdict;
            this.observed = observed;
        }

        /** Both sides, for the report (built only for the findings kept). */
        String detail() {
            return verdict + "\n" + observed;
        }
    }

    /** Null when the client did what one of the allowed outcomes says. */
    static Disagreement compare(Case c, Verdict v, Observed o) {
        List<Verdict.Outcome> allowed = v.allowed();
        for (Verdict.Outcome out : allowed) {
            if (matches(c, v, out, o)) {
                return null;
            }
        }
        if (v.nestIndex >= 0 && !"ok".equals(o.nestResult) && o.delivered.size() > v.nestIndex
                && o.delivered.size() < v.full.messages && commonPrefix(v.messages, o.delivered) == o.delivered.size()) {
            return new Disagreement("drops-deferred", v, o); // read while the callback waited, never delivered
        }
        // name it relative to the allowed outcome with as many messages as the client delivered, else the full one
        Verdict.Outcome ref = v.full;
        for (Verdict.Outcome out : allowed) {
            if (out.messages == o.delivered.size() && prefixEquals(v.messages, out.messages, o.delivered)) {
                ref = out;
                break;
            }
        }
        int common = commonPrefix(v.messages, o.delivered);
        if (common < Math.min(ref.messages, o.delivered.size())) {
            return new Disagreement("message-differs", v, o);
        }
        if (o.delivered.size() > ref.messages) {
            return new Disagreement(ref.rule != null ? "accepts:" + ref.rule : "extra-message", v, o);
        }
        if (o.delivered.size() < ref.messages) {
            return new Disagreement("rejects-valid", v, o);
        }
        if (!endMatches(ref, o.end)) {
            if (Observed.NONE.equals(o.end) && c.reader == Case.Reader.CHECK && ref.end != Verdict.End.PROTOCOL) {
                // the known defect must not hide a wrong operation result or PUBACK
                if (!opMatches(c, v, ref, o)) {
                    return new Disagreement("op-result:" + c.op.name().toLowerCase(), v, o);
                }
                if (!pubacks(v, ref, o).equals(o.pubacks)) {
                    return new Disagreement("pubacks", v, o);
                }
                return new Disagreement("checkMsg-misses-end", v, o);
            }
            if (ref.rule != null && !Observed.PROTOCOL.equals(o.end)) {
                return new Disagreement("accepts:" + ref.rule, v, o);
            }
            if (ref.end == Verdict.End.EOF && Observed.PROTOCOL.equals(o.end)) {
                return new Disagreement("rejects-valid", v, o);
            }
            return new Disagreement("end:" + ref.end + "->" + o.end, v, o);
        }
        if (!opMatches(c, v, ref, o)) {
            return new Disagreement("op-result:" + c.op.name().toLowerCase(), v, o);
        }
        if (!nestMatches(c, v, ref, o)) {
            return new Disagreement("op-result:callback-publish", v, o);
        }
        return new Disagreement("pubacks", v, o);
    }

    private static boolean matches(Case c, Verdict v, Verdict.Outcome out, Observed o) {
        return out.messages == o.delivered.size() && prefixEquals(v.messages, out.messages, o.delivered)
                && endMatches(out, o.end) && opMatches(c, v, out, o) && nestMatches(c, v, out, o)
                && pubacks(v, out, o).equals(o.pubacks);
    }

    /** The callback's publish: ok when its PUBACK is among the outcome's completions, lost otherwise. */
    private static boolean nestMatches(Case c, Verdict v, Verdict.Outcome out, Observed o) {
        if (v.nestIndex < 0 || v.nestIndex >= out.messages) {
            return o.nestResult.equals("none");
        }
        return o.nestResult.equals(ackResult(v.completion(c.nestedId(), out.completions)));
    }

    private static boolean prefixEquals(List<Message> expected, int n, List<Message> delivered) {
        for (int i = 0; i < n; i++) {
            if (!expected.get(i).equals(delivered.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static int commonPrefix(List<Message> a, List<Message> b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            if (!a.get(i).equals(b.get(i))) {
                return i;
            }
        }
        return n;
    }

    /** A publish's or unsubscribe's result from its ack: lost (none), refused (MQTT 5 code 0x80 or above), ok. */
    private static String ackResult(Verdict.Completion done) {
        return done == null ? "lost" : done.code >= 0x80 ? "refused" : "ok";
    }

    private static boolean endMatches(Verdict.Outcome out, String observed) {
        switch (out.end) {
            case DISCONNECTED:
                return Observed.disconnected(out.code).equals(observed);
            case EOF:
                return Observed.EOF.equals(observed);
            case PROTOCOL:
                return Observed.PROTOCOL.equals(observed);
            default:
                return Observed.EOF.equals(observed) || Observed.PROTOCOL.equals(observed);
        }
    }

    private static boolean opMatches(Case c, Verdict v, Verdict.Outcome out, Observed o) {
        Verdict.Completion done = v.completion(1, out.completions);
        switch (c.op) {
            case SUBSCRIBE:
                return o.opResult.equals(done == null ? "lost" : done.code >= 0x80 ? "refused" : "granted:" + done.code);
            case UNSUBSCRIBE:
            case PUBLISH:
                return o.opResult.equals(ackResult(done));
            case ASYNC:
                if (o.tokenAcked.length != c.asyncCount || !o.opResult.equals("sent")) {
                    return false;
                }
                for (int i = 0; i < c.asyncCount; i++) {
                    if (!o.tokenDone[i] || o.tokenAcked[i] != "ok".equals(ackResult(v.completion(i + 1, out.completions)))) {
                        return false;
                    }
                }
                return true;
            default:
                return o.opResult.equals("none");
        }
    }

    /**
     * The PUBACKs a correct client writes: one per delivered QoS 1 message, in order, each once its
     * callback returned. When the callback's own publish lost the connection, that message and the
     * ones read while it waited are delivered after the loss: nothing acks them.
     */
    private static List<Integer> pubacks(Verdict v, Verdict.Outcome out, Observed o) {
        List<Integer> ids = new ArrayList<>();
        boolean nestLost = !"ok".equals(o.nestResult) && !"refused".equals(o.nestResult);
        int acked = v.nestIndex >= 0 && nestLost ? Math.min(v.nestIndex, out.messages) : out.messages;
        for (int i = 0; i < acked; i++) {
            Message m = v.messages.get(i);
            if (m.qos == 1) {
                ids.add(m.packetId);
            }
        }
        return ids;
    }
}
