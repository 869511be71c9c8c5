package io.umqtt.simple.connection;

import java.util.Hashtable;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;

/**
 * What a connection tells operators beyond its settings: the service properties of a connection
 * out of service, the log line saying so, and failures as operators should read them. The static
 * helpers behind {@link ConnectionSettings}' public ones (see their javadoc). Stateless and thread-safe.
 */
final class ConnectionReports {
    private ConnectionReports() {
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
