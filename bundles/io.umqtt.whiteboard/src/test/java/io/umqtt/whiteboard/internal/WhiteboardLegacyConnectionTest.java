package io.umqtt.whiteboard.internal;

/**
 * Every {@link WhiteboardTest} again with connections that do not know
 * {@link io.umqtt.api.MatchingListener} (API 1.2 and earlier, or another implementation): they
 * match the whiteboard's filters themselves and call {@code messageArrived}, and the whiteboard
 * matches again in its index. Each handler must receive exactly the same.
 */
class WhiteboardLegacyConnectionTest extends WhiteboardTest {
    @Override
    FakeConnection newConnection(long serviceId, String name) {
        FakeConnection c = super.newConnection(serviceId, name);
        c.legacy = true;
        return c;
    }
}
