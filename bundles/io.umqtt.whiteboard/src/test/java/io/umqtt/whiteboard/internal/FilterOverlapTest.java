package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import io.umqtt.api.TopicFilter;

/** Whether two filters can match one topic: a table, checked both ways round. */
class FilterOverlapTest {
    private static final Object[][] TABLE = {
        {"a/b", "a/b", true},
        {"a/b", "a/c", false},
        {"a/+", "a/b", true},
        {"a/+", "a/b/c", false},
        {"a/#", "a/b/c", true},
        {"a/#", "a", true},
        {"a/#", "b/#", false},
        {"+/b", "a/+", true},
        {"a/+/c", "a/b/+", true},
        {"a/+/c", "a/b/d", false},
        {"#", "anything/at/all", true},
        {"#", "$SYS/x", false},
        {"+/x", "$SYS/x", false},
        {"$SYS/#", "$SYS/x", true},
        {"#", "+", true},
        {"+", "a/b", false},
        {"+/#", "a", true},
        {"a//b", "a/+/b", true},
        {"$share/g/a/+", "a/b", true},
        {"$share/g/#", "$share/h/x", true},
    };

    @TestFactory
    Stream<DynamicTest> overlapsLikeTheTable() {
        return Arrays.stream(TABLE).map(row -> dynamicTest(row[0] + " / " + row[1] + " -> " + row[2], () -> {
            FilterEntry a = new FilterEntry(TopicFilter.parse((String) row[0]));
            FilterEntry b = new FilterEntry(TopicFilter.parse((String) row[1]));
            assertEquals(row[2], a.overlaps(b));
            assertEquals(row[2], b.overlaps(a));
        }));
    }
}
