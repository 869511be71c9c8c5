package io.umqtt.simple.connection;

import java.util.Hashtable;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;

/**
 * What a connection tells operators and other bundles: the service properties of a connection in
 * service ({@link #serviceProperties}) and out of service, the text of its settings
 * ({@link #text}, never a secret), the log line of a connection out of service, and failures as
 * operators should read them. The static helpers behind {@link ConnectionSettings}' public ones
 * (see their javadoc). Stateless and thread-safe.
 */
final class ConnectionReports {
    private ConnectionReports() {
    }

    /** See {@link ConnectionSettings#serviceProperties}. */
    static Hashtable<String, Object> serviceProperties(ConnectionSettings s, String kind, ConnectionState state) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(MqttConstants.NAME, s.name());
        props.put(MqttConstants.KIND, kind);
        props.put(MqttConstants.SERVER, s.server());
        props.put(MqttConstants.PORT, s.effectivePort());
        props.put(MqttConstants.TLS, s.tls());
        props.put(MqttConstants.CLIENT_ID, s.clientId());
        props.put(MqttConstants.STATE, state.name());
        props.put(MqttConstants.CONNECTED, state == ConnectionState.CONNECTED);
        props.put(MqttConstants.PROTOCOL_VERSION, s.protocolVersion());
        return props;
    }

    /** See {@link ConnectionSettings#toString()}: a password shows as {@code ***}. */
    static String text(ConnectionSettings s) {
        StringBuilder t = new StringBuilder("ConnectionSettings[").append(s.pid())
                .append(", name=").append(s.name())
                .append(", server=").append(s.server()).append(':').append(s.effectivePort());
        s.webSocket.appendTo(t);
        t.append(", client.id=").append(s.clientId()).append(s.clientIdGenerated() ? " (generated)"
                : s.clientId().isEmpty() ? "(assigned by the broker)" : "")
                .append(", username=").append(s.username() == null ? "" : s.username())
                .append(", password=").append(s.hasPassword() ? "***" : "")
                .append(", keepalive=").append(s.keepAliveSeconds())
                .append(", clean.session=").append(s.cleanSession())
                .append(", connect.timeout=").append(s.connectTimeoutSeconds())
                .append(", ack.timeout=").append(s.ackTimeoutSeconds())
                .append(", max.packet.size=").append(s.maxPacketSize())
                .append(", tls=").append(s.tls() ? s.tlsSettings().toString() : "off");
        if (s.ackAfterProcessing()) {
            t.append(", ack.after.processing=true");
        }
        s.will.appendTo(t);
        s.mqtt5.appendTo(t, s.cleanSession());
        return t.append(']').toString();
    }

    /** See {@link ConnectionSettings#failedProperties}. */
    static Hashtable<String, Object> failedProperties(String name, String kind, String error) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(MqttConstants.NAME, name);
        props.put(MqttConstants.KIND, kind);
        props.put(MqttConstants.STATE, ConnectionState.CLOSED.name());
        props.put(MqttConstants.CONNECTED, false);
        props.put(MqttConstants.ERROR, error);
        return props;
    }

    /** See {@link ConnectionSettings#outOfServiceMessage}. */
    static String outOfServiceMessage(String name, String failure) {
        return "MQTT connection " + name + " is out of service: " + failure + ". The connection starts once its "
                + "configuration is fixed; meanwhile its service says " + MqttConstants.STATE + "="
                + ConnectionState.CLOSED + " and " + MqttConstants.ERROR + ".";
    }

    /** See {@link ConnectionSettings#describe}. */
    static String describe(Throwable t) {
        if (t == null) {
            return "unknown cause";
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.net.UnknownHostException) {
                String m = c.getMessage();
                // the client names it already; a bare UnknownHostException's message is just the name
                return m != null && m.startsWith("unknown host ") ? m : "unknown host " + m + " (the name does not resolve)";
            }
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getName();
    }

    /** See {@link ConnectionSettings#disconnectReason}. */
    static String disconnectReason(Throwable failure) {
        for (Throwable c = failure; c != null; c = c.getCause()) {
            if (c instanceof MqttException && ((MqttException) c).reason()
                    == MqttException.Reason.DISCONNECTED_BY_SERVER) {
                MqttException e = (MqttException) c;
                int code = e.returnCode();
                String text = code < 0 ? "unknown reason code" : String.format("0x%02X %s", code,
                        MqttException.reasonCodeName(code));
                return e.reasonString() == null || e.reasonString().isEmpty() ? text : text + ": " + e.reasonString();
            }
        }
        return null;
    }
}
