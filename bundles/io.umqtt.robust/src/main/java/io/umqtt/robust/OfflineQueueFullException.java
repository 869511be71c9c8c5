package io.umqtt.robust;

import java.io.IOException;

/** A publish refused because the offline queue is full and its policy is {@link OverflowPolicy#REJECT_NEWEST}. */
public class OfflineQueueFullException extends IOException {
    private static final long serialVersionUID = 1L;

    public OfflineQueueFullException(String message) {
        super(message);
    }
}
