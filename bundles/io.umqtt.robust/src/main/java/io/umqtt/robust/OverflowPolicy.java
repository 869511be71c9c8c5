package io.umqtt.robust;

/** What the offline queue does with a publish when it is full. Either way the loss is reported. */
public enum OverflowPolicy {
    /** Refuse the new message: {@code publish} throws {@link OfflineQueueFullException}. */
    REJECT_NEWEST,
    /** Accept the new message and drop the oldest queued one(s), reported to the listener. */
    DROP_OLDEST
}
