package io.umqtt.simple.testing;

import java.io.IOException;
import java.net.ServerSocket;

/** A TCP port nothing listens on just now, for a test's own listener or for "nothing listens there". */
public final class FreePort {
    private FreePort() {
    }

    /** A port free on every local address (the OS picks it; the socket is closed again at once). */
    public static int pick() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
