package io.umqtt.simple.connection;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * The configuration of one simple connection component: one factory configuration of
 * {@code io.umqtt.simple} per broker connection. Property ids are the method names with {@code _}
 * read as {@code .} ({@code client_id()} is {@code client.id}). Every value is validated by
 * {@link ConnectionSettings#of}.
 * <p>
 * The robust component reads its connection properties through this type too (a second view of
 * its configuration), so that both map them onto {@link ConnectionSettings} in one place; its own
 * Metatype definition repeats these attributes, with the same ids and defaults (tested).
 */
@ObjectClassDefinition(
        id = "io.umqtt.simple", // OSGI-INF/metatype/<pid>.xml, where Kura looks for it
        name = "umqtt simple MQTT connection",
        description = "One MQTT 3.1.1 connection driven by the umqtt simple client. It connects once and does not "
                + "reconnect; it is registered as an io.umqtt.api.MqttConnection service whose properties say "
                + "which broker it talks to and whether it is connected.")
public @interface SimpleConnectionConfig {

    @AttributeDefinition(name = "Connection name",
            description = "The name other bundles select this connection by (service property "
                    + "mqtt.connection.name). Empty: the name given in Kura (kura.service.pid), else the "
                    + "configuration's PID.",
            required = false)
    String name() default "";

    @AttributeDefinition(name = "Broker host", description = "Host name or IP address of the MQTT broker.")
    String server() default "localhost";

    @AttributeDefinition(name = "Broker port",
            description = "TCP port of the broker, 1..65535. 0: 1883, or 8883 when TLS is enabled.",
            min = "0", max = "65535")
    int port() default 0;

    @AttributeDefinition(name = "Client identifier",
            description = "The MQTT client identifier. Empty: a unique identifier \"umqtt-...\" generated on each "
                    + "start (then clean session must stay on). Two clients with the same identifier "
                    + "disconnect each other.",
            required = false)
    String client_id() default "";

    @AttributeDefinition(name = "User name", description = "The user name sent to the broker. Empty: none.",
            required = false)
    String username() default "";

    @AttributeDefinition(name = "Password",
            description = "The password sent to the broker; needs a user name. Never logged.",
            type = AttributeType.PASSWORD, required = false)
    String password() default "";

    @AttributeDefinition(name = "Keepalive (s)",
            description = "Seconds between the client's packets, 0..65535; the client pings when it has nothing "
                    + "else to send and declares the connection dead after 1.5 times this without a packet from "
                    + "the broker. 0 turns keepalive off.",
            min = "0", max = "65535")
    int keepalive() default 60;

    @AttributeDefinition(name = "Clean session",
            description = "Start with a fresh session. Off: the broker keeps subscriptions and QoS 1 messages "
                    + "for this client identifier while it is away (needs a fixed client identifier).")
    boolean clean_session() default true;

    @AttributeDefinition(name = "Connect timeout (s)",
            description = "Longest time for TCP connect, TLS handshake and the broker's CONNACK together, "
                    + "1..86400 seconds.",
            min = "1", max = "86400")
    int connect_timeout() default 30;

    @AttributeDefinition(name = "Acknowledgement timeout (s)",
            description = "How long a QoS 1 publish, a subscribe or an unsubscribe waits for the broker's "
                    + "acknowledgement, 1..86400 seconds.",
            min = "1", max = "86400")
    int ack_timeout() default 30;

    @AttributeDefinition(name = "Maximum packet size (bytes)",
            description = "The largest packet accepted from the broker (remaining length), 2..268435455 bytes; "
                    + "a larger one is a protocol error that ends the connection.",
            min = "2", max = "268435455")
    int max_packet_size() default 4 * 1024 * 1024;

    @AttributeDefinition(name = "Use TLS", description = "Connect with TLS. The server certificate is verified.")
    boolean tls_enabled() default false;

    @AttributeDefinition(name = "TLS trust store",
            description = "Path of a key store with the CA certificates to trust. Empty: the JVM's default "
                    + "trust store.",
            required = false)
    String tls_truststore() default "";

    @AttributeDefinition(name = "TLS trust store password", description = "Password of the trust store.",
            type = AttributeType.PASSWORD, required = false)
    String tls_truststore_password() default "";

    @AttributeDefinition(name = "TLS key store",
            description = "Path of a key store with the client certificate and its private key. Empty: no "
                    + "client certificate.",
            required = false)
    String tls_keystore() default "";

    @AttributeDefinition(name = "TLS key store password",
            description = "Password of the key store and of the private key in it.",
            type = AttributeType.PASSWORD, required = false)
    String tls_keystore_password() default "";

    @AttributeDefinition(name = "TLS key store type",
            description = "Type of both key stores, e.g. PKCS12 or JKS. Empty: PKCS12.", required = false)
    String tls_store_type() default "PKCS12";

    @AttributeDefinition(name = "Verify TLS host name",
            description = "Check that the server certificate names the broker host. Turn off only for tests "
                    + "or a private CA that issues certificates without host names.")
    boolean tls_verify_hostname() default true;

    @AttributeDefinition(name = "Last will topic",
            description = "Topic the broker publishes the last will to when the connection ends without a "
                    + "DISCONNECT. Empty: no last will.",
            required = false)
    String lwt_topic() default "";

    @AttributeDefinition(name = "Last will message", description = "Payload of the last will (UTF-8 text).",
            required = false)
    String lwt_message() default "";

    @AttributeDefinition(name = "Last will QoS", description = "QoS of the last will: 0 or 1.",
            options = {@Option(label = "0: at most once", value = "0"), @Option(label = "1: at least once", value = "1")})
    int lwt_qos() default 0;

    @AttributeDefinition(name = "Retain last will", description = "Publish the last will as a retained message.")
    boolean lwt_retain() default false;

    /** How the Felix web console lists the configurations of this factory. */
    @AttributeDefinition(name = "Felix web console name hint",
            description = "How the Felix web console lists these configurations; not used by the connection.",
            required = false)
    String webconsole_configurationFactory_nameHint() default "{name} {server}:{port}";
}
