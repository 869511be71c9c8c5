package io.umqtt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** (topic, filter, expected) tables, grouped by rule. */
class TopicFilterTest {

    static void check(String filter, String topic, boolean expected) {
        TopicFilter f = TopicFilter.parse(filter);
        assertEquals(expected, f.matches(topic.getBytes(StandardCharsets.UTF_8)),
                () -> "'" + filter + "' vs topic '" + topic + "'");
        assertEquals(expected, f.matches(topic));
    }

    @Nested
    class Exact {
        @ParameterizedTest(name = "{0} ~ {1} = {2}")
        @CsvSource({
            "a/b,   a/b,   true",
            "a/b,   a/c,   false",
            "a/b,   a/b/c, false",
            "a/b/c, a/b,   false",
            "a,     ab,    false",
            "ab,    a,     false",
            "sport/tennis, Sport/Tennis, false"})
        void levelsCompareByteForByte(String filter, String topic, boolean expected) {
            check(filter, topic, expected);
        }

        @Test
        void utf8Levels() {
            check("capteur/température", "capteur/température", true);
            check("capteur/température", "capteur/temperature", false);
        }
    }

    @Nested
    class SingleLevelWildcard {
        @ParameterizedTest(name = "{0} ~ {1} = {2}")
        @CsvSource({
            "a/+,   a/b,   true",
            "a/+,   a/b/c, false",
            "a/+,   a,     false",
            "+/b,   a/b,   true",
            "+/+,   a/b,   true",
            "+,     a,     true",
            "+,     a/b,   false",
            "a/+/c, a/x/c, true",
            "a/+/c, a/x/d, false"})
        void matchesExactlyOneLevel(String filter, String topic, boolean expected) {
            check(filter, topic, expected);
        }
    }

    @Nested
    class MultiLevelWildcard {
        @ParameterizedTest(name = "{0} ~ {1} = {2}")
        @CsvSource({
            "#,     a,       true",
            "#,     a/b/c,   true",
            "a/#,   a/b,     true",
            "a/#,   a/b/c/d, true",
            "a/#,   b/a,     false",
            "a/+/#, a/b,     true",
            "a/+/#, a,       false"})
        void matchesAnyNumberOfLevels(String filter, String topic, boolean expected) {
            check(filter, topic, expected);
        }

        @Test
        void theParentLevelMatches() {
            check("a/#", "a", true);
            check("a/b/#", "a/b", true);
            check("a/b/#", "a", false);
        }
    }

    @Nested
    class DollarTopics {
        @ParameterizedTest(name = "{0} ~ {1} = {2}")
        @CsvSource({
            "#,              $SYS/broker, false",
            "+/broker,       $SYS/broker, false",
            "+/#,            $SYS/broker, false",
            "$SYS/#,         $SYS/broker, true",
            "$SYS/+,         $SYS/broker, true",
            "$SYS/broker,    $SYS/broker, true",
            "a/+,            a/$b,        true"})
        void wildcardsInTheFirstLevelDoNotMatchDollarTopics(String filter, String topic, boolean expected) {
            check(filter, topic, expected);
        }
    }

    @Nested
    class EmptyLevels {
        @Test
        void emptyLevelsAreLevels() {
            check("a//b", "a//b", true);
            check("a/+/b", "a//b", true);
            check("a/b", "a//b", false);
            check("+/a", "/a", true);
            check("/a", "/a", true);
            check("a/+", "a/", true);
            check("a/#", "a/", true);
            check("#", "/", true);
        }
    }

    @Nested
    class SharedSubscriptions {
        @Test
        void matchesLikeItsFilter() {
            TopicFilter f = TopicFilter.parse("$share/workers/jobs/+");
            assertEquals("workers", f.shareGroup());
            assertEquals("jobs/+", f.filter());
            assertEquals("$share/workers/jobs/+", f.toString());
            assertTrue(f.matches("jobs/1"));
            assertFalse(f.matches("$share/workers/jobs/1"));
            assertTrue(f.hasWildcard());
        }

        @Test
        void plainFiltersHaveNoGroup() {
            TopicFilter f = TopicFilter.parse("a/b");
            assertNull(f.shareGroup());
            assertFalse(f.hasWildcard());
        }

        @ParameterizedTest
        @CsvSource({"$share/g", "$share//a", "$share/g+/a", "$share/g/", "$share/g/a/#/b"})
        void badSharedFiltersAreRejected(String text) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse(text));
            assertTrue(e.getMessage().contains(text), e.getMessage());
        }
    }

    @Nested
    class Validation {
        @ParameterizedTest(name = "''{0}'': {1}")
        @CsvSource(delimiter = '|', value = {
            "a/#/b | '#' is allowed only as the last level",
            "a#    | must occupy a whole level",
            "a/b+  | must occupy a whole level",
            "+a    | must occupy a whole level"})
        void badFiltersNameTheProblem(String filter, String why) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse(filter));
            assertTrue(e.getMessage().contains("'" + filter + "'") && e.getMessage().contains(why), e.getMessage());
        }

        @Test
        void emptyNullAndNulAreRejected() {
            assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse(""));
            assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse(null));
            assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse("a\u0000b"));
        }

        @Test
        void tooLongIsRejected() {
            String longFilter = "x".repeat(65_536);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse(longFilter));
            assertTrue(e.getMessage().contains("65535"), e.getMessage());
            TopicFilter.parse("x".repeat(65_535));
        }

        @Test
        void topicNamesForPublish() {
            TopicFilter.validateTopicName("a/b".getBytes(StandardCharsets.UTF_8));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> TopicFilter.validateTopicName(new byte[0])).getMessage().contains("empty"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> TopicFilter.validateTopicName("a/+".getBytes(StandardCharsets.UTF_8))).getMessage()
                    .contains("wildcards"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> TopicFilter.validateTopicName("a/#".getBytes(StandardCharsets.UTF_8))).getMessage()
                    .contains("wildcards"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> TopicFilter.validateTopicName(new byte[65_536])).getMessage().contains("65535"));
            assertThrows(IllegalArgumentException.class, () -> TopicFilter.validateTopicName(null));
        }
    }
}
