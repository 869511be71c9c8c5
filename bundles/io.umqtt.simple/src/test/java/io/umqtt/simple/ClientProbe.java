package io.umqtt.simple;

/** Package-private state of {@link MqttClient} for tests in other packages (hostile-broker tests). */
public final class ClientProbe {
    private ClientProbe() {
    }

    /** The capacity of the client's read buffer. */
    public static int readBufferCapacity(MqttClient c) {
        return c.reader.capacity();
    }

    /** How many PUBLISHes wait for the running callback to return; call from the callback. */
    public static int deferredCount(MqttClient c) {
        return c.inbound.deferredCount();
    }
}
