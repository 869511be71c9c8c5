package io.umqtt.api;

import java.io.IOException;

/**
 * An MQTT-level failure: the broker refused something, it broke the protocol, or it did not
 * answer in time. Plain socket failures are ordinary {@link IOException}s; bad arguments are
 * {@link IllegalArgumentException}s.
 */
public class MqttException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The return code of failures that carry none from the broker. */
    public static final int NO_RETURN_CODE = -1;

    /** What went wrong. */
    public enum Reason {
        /**
         * CONNACK with a non-zero return code: 1..5 as MQTT 3.1.1 defines them, or a reserved code
         * 6..255 as it came (named "unknown return code N"); see {@link MqttException#returnCode()}.
         */
        CONNECTION_REFUSED,
        /** SUBACK with the failure return code 0x80. */
        SUBSCRIPTION_REFUSED,
        /** The peer sent a malformed or unexpected packet. */
        PROTOCOL_ERROR,
        /** An expected packet (CONNACK, an ack, the rest of a packet, a PINGRESP) did not arrive in time. */
        TIMEOUT
    }

    private final Reason reason;
    private final int returnCode;

    public MqttException(Reason reason, int returnCode, String message) {
        super(message);
        this.reason = reason;
        this.returnCode = returnCode;
    }

    public MqttException(Reason reason, String message) {
        this(reason, NO_RETURN_CODE, message);
    }

    public MqttException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.returnCode = NO_RETURN_CODE;
    }

    /** What went wrong. */
    public Reason reason() {
        return reason;
    }

    /**
     * The MQTT return code the broker sent, or {@link #NO_RETURN_CODE}: for
     * {@link Reason#CONNECTION_REFUSED} the CONNACK return code, 1..5, or a code 6..255 that
     * MQTT 3.1.1 reserves, reported unchanged; for {@link Reason#SUBSCRIPTION_REFUSED} 0x80.
     */
    public int returnCode() {
        return returnCode;
    }

    /**
     * A human-readable name of a CONNACK return code of MQTT 3.1.1; "unknown return code N" for
     * a code that MQTT 3.1.1 does not define.
     */
    public static String connackReturnCodeName(int code) {
        switch (code) {
            case 0: return "connection accepted";
            case 1: return "unacceptable protocol version";
            case 2: return "identifier rejected";
            case 3: return "server unavailable";
            case 4: return "bad user name or password";
            case 5: return "not authorized";
            default: return "unknown return code " + code;
        }
    }
}
