/**
 * The support package of umqtt's client bundles, not an application API: the connection service
 * that the simple and the robust bundle's Declarative Services components register
 * ({@link io.umqtt.simple.connection.ClientConnection}), the validated connection settings they
 * are configured with ({@link io.umqtt.simple.connection.ConnectionSettings}) and the glue to
 * Eclipse Kura (marker service, password decryption).
 * <p>
 * It is exported by {@code io.umqtt.simple} so that {@code io.umqtt.robust} imports these classes
 * instead of compiling a second copy of them into its own jar. Applications use the
 * {@code io.umqtt.api} services these classes implement; nothing here is meant to be called by
 * them, and the package may change with the client bundles (its version says how).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.umqtt.simple.connection;
