package io.umqtt.fuzz;

import java.util.ArrayList;
import java.util.List;

/** What the client did with one case, as the {@link Driver} saw it. Filled by one thread. */
final class Observed {
    /** How the connection ended, from {@code MqttClient.failure()}. */
    static final String EOF = "EOF";
    static final String PROTOCOL = "PROTOCOL";
    /** No end reported: {@code checkMsg()} went on returning NONE. */
    static final String NONE = "NONE";

    /** MQTT 5: the server's DISCONNECT ended it, with this reason code. */
    static String disconnected(int code) {
        return String.format("DISCONNECTED:0x%02X", code);
    }

    /** The reason code of the DISCONNECT the client wrote, or -1 for none. */
    int disconnectSent = -1;

    final List<Message> delivered = new ArrayList<>();
    /** EOF, PROTOCOL, NONE, TIMEOUT, or another exception's class name. */
    String end;
    String endMessage;
    /** The operation's result: none, ok, granted:N, refused, lost, or an MqttException reason. */
    String opResult = "none";
    /** The callback's own QoS 1 publish (nest mode): none, ok, lost, or an MqttException reason. */
    String nestResult = "none";
    boolean[] tokenAcked = new boolean[0];
    boolean[] tokenDone = new boolean[0];
    /** The packet ids of the PUBACKs the client wrote, in order. */
    final List<Integer> pubacks = new ArrayList<>();
    /** Each exception a client call threw: class name, with the reason of an MqttException. */
    final List<String> exceptions = new ArrayList<>();
    /** Exceptions outside the documented types, with their stack trace's top. */
    final List<String> undocumented = new ArrayList<>();
    /** Checks outside the reference: leaks, state, the fuzzer's own model of the client. */
    final List<String> problems = new ArrayList<>();
    /** Why {@code checkMsg()} was given up, when it was. */
    String checkStall;
    /** The watchdog closed this stream's client. */
    boolean hung;

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append("client: ").append(delivered.size()).append(" message(s), end ").append(end);
        if (endMessage != null) {
            b.append(" (").append(endMessage).append(')');
        }
        b.append(", op ").append(opResult);
        if (!"none".equals(nestResult)) {
            b.append(", callback's publish ").append(nestResult);
        }
        for (int i = 0; i < tokenAcked.length; i++) {
            b.append(", token ").append(i + 1).append(tokenAcked[i] ? " acked" : tokenDone[i] ? " failed" : " open");
        }
        b.append(", PUBACKs sent ").append(pubacks);
        if (disconnectSent >= 0) {
            b.append(String.format(", DISCONNECT sent 0x%02X", disconnectSent));
        }
        if (checkStall != null) {
            b.append(", checkMsg: ").append(checkStall);
        }
        if (!exceptions.isEmpty()) {
            b.append(", threw ").append(exceptions);
        }
        for (int i = 0; i < delivered.size(); i++) {
            b.append("\n  message ").append(i).append(": ").append(delivered.get(i));
        }
        return b.toString();
    }
}
