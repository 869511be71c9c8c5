package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import io.umqtt.api.TopicFilter;

/**
 * The matcher: a table of (filter, topic, expected) grouped by rule, each row checked against
 * the trie and against {@link TopicFilter#matches(byte[])} so the two never disagree; then
 * many filters at once, removal, and a random cross-check.
 */
class TopicTrieTest {

    /** Rule name to rows of {filter, topic, expected}. */
    private static final Map<String, Object[][]> TABLE = new LinkedHashMap<>();

    static {
        TABLE.put("exact levels", new Object[][] {
            {"a", "a", true},
            {"a", "b", false},
            {"a/b", "a/b", true},
            {"a/b", "a", false},
            {"a", "a/b", false},
            {"a/b/c", "a/b/c", true},
            {"a/b/c", "a/b/d", false},
            {"A", "a", false},
            {"ab", "a", false},
            {"a", "ab", false},
            {"\u00e4/\u00f6", "\u00e4/\u00f6", true},
            {"sensors/1/temp", "sensors/1/temp", true},
        });
        TABLE.put("'+' matches exactly one level", new Object[][] {
            {"+", "a", true},
            {"+", "a/b", false},
            {"a/+", "a/b", true},
            {"a/+", "a", false},
            {"a/+", "a/b/c", false},
            {"+/b", "a/b", true},
            {"+/b", "a/c", false},
            {"+/+", "a/b", true},
            {"a/+/c", "a/b/c", true},
            {"a/+/c", "a/b/d", false},
            {"a/+/c", "a/c", false},
            {"+/+/+", "a/b", false},
        });
        TABLE.put("'#' matches any number of levels", new Object[][] {
            {"#", "a", true},
            {"#", "a/b/c", true},
            {"a/#", "a/b", true},
            {"a/#", "a/b/c/d", true},
            {"a/#", "b", false},
            {"a/#", "ab", false},
            {"a/#", "b/a", false},
            {"a/b/#", "a/c", false},
            {"+/#", "a/b", true},
            {"a/+/#", "a/b/c", true},
        });
        TABLE.put("'#' matches the parent level: a/# matches a", new Object[][] {
            {"a/#", "a", true},
            {"a/b/#", "a/b", true},
            {"a/b/#", "a", false},
            {"+/#", "a", true},
            {"a/+/#", "a/b", true},
            {"a/+/#", "a", false},
        });
        TABLE.put("$-topics are not matched by a wildcard in the first level", new Object[][] {
            {"#", "$SYS/broker/uptime", false},
            {"#", "$SYS", false},
            {"+", "$SYS", false},
            {"+/broker", "$SYS/broker", false},
            {"+/#", "$SYS/broker", false},
            {"$SYS/#", "$SYS/broker/uptime", true},
            {"$SYS/#", "$SYS", true},
            {"$SYS/+", "$SYS/broker", true},
            {"$SYS/broker", "$SYS/broker", true},
            {"a/+", "a/$b", true},
            {"a/#", "a/$b/c", true},
            {"#", "a$", true},
        });
        TABLE.put("shared subscriptions match like their filter", new Object[][] {
            {"$share/g/a/+", "a/b", true},
            {"$share/g/a/+", "a/b/c", false},
            {"$share/g/#", "a/b", true},
            {"$share/g/#", "$SYS/x", false},
            {"$share/g/a", "a", true},
            {"$share/g/a/b", "$share/g/a/b", false},
            {"$share/group-2/+/temp", "room/temp", true},
        });
        TABLE.put("empty levels are levels", new Object[][] {
            {"a//b", "a//b", true},
            {"a/b", "a//b", false},
            {"a/+/b", "a//b", true},
            {"+/a", "/a", true},
            {"/a", "/a", true},
            {"/a", "a", false},
            {"/#", "/a", true},
            {"#", "/", true},
            {"+/+", "/", true},
            {"+", "/", false},
            {"a/", "a/", true},
            {"a/", "a", false},
            {"a/+", "a/", true},
            {"a/#", "a/", true},
            {"a//#", "a/", true},
            {"/", "/", true},
            {"+//+", "a//b", true},
        });
    }

    @TestFactory
    Stream<DynamicContainer> matchesLikeTheTable() {
        return TABLE.entrySet().stream().map(rule -> dynamicContainer(rule.getKey(),
                Arrays.stream(rule.getValue()).map(row -> {
                    String filter = (String) row[0];
                    String topic = (String) row[1];
                    boolean expected = (Boolean) row[2];
                    return dynamicTest("'" + filter + "' " + (expected ? "matches" : "does not match") + " '"
                            + topic + "'", () -> {
                        TopicTrie<String> trie = new TopicTrie<>();
                        trie.add(TopicFilter.parse(filter), filter);
                        List<String> found = match(trie, topic);
                        assertEquals(expected ? List.of(filter) : List.of(), found, "trie");
                        assertEquals(expected, TopicFilter.parse(filter).matches(topic), "TopicFilter");
                    });
                })));
    }

    @Test
    void findsExactlyTheMatchingFiltersAmongMany() {
        TopicTrie<String> trie = new TopicTrie<>();
        List<String> filters = new ArrayList<>();
        for (Object[][] rows : TABLE.values()) {
            for (Object[] row : rows) {
                if (!filters.contains(row[0])) {
                    filters.add((String) row[0]);
                    trie.add(TopicFilter.parse((String) row[0]), (String) row[0]);
                }
            }
        }
        assertEquals(filters.size(), trie.size());
        for (Object[][] rows : TABLE.values()) {
            for (Object[] row : rows) {
                String topic = (String) row[1];
                if (topic.startsWith("$share/")) {
                    continue; // not a topic a broker would deliver
                }
                Set<String> expected = new HashSet<>();
                for (String f : filters) {
                    if (TopicFilter.parse(f).matches(topic)) {
                        expected.add(f);
                    }
                }
                List<String> found = match(trie, topic);
                assertEquals(expected, new HashSet<>(found), topic);
                assertEquals(expected.size(), found.size(), "each filter once for " + topic);
            }
        }
    }

    /**
     * A topic is never a filter: '+' and '#' in a received topic (which a correct broker never
     * sends, and the umqtt clients refuse) are compared as plain bytes, so they match only
     * filters that would match any level there.
     */
    @Test
    void wildcardsInATopicAreLiteralBytes() {
        TopicTrie<String> trie = new TopicTrie<>();
        for (String f : new String[] {"a", "a/b", "a/b/c", "b/c", "x/y", "a/+", "+/b", "+/+", "a/#", "#", "+"}) {
            trie.add(TopicFilter.parse(f), f);
        }
        Map<String, Set<String>> expected = new LinkedHashMap<>();
        expected.put("#", Set.of("#", "+"));
        expected.put("+", Set.of("#", "+"));
        expected.put("a/#", Set.of("a/+", "+/+", "a/#", "#"));
        expected.put("a/+", Set.of("a/+", "+/+", "a/#", "#"));
        expected.put("+/b", Set.of("+/b", "+/+", "#"));
        expected.put("#/c", Set.of("+/+", "#"));
        expected.put("+/+", Set.of("+/+", "#"));
        expected.put("+/+/+", Set.of("#"));
        expected.put("a/#/c", Set.of("a/#", "#"));
        for (Map.Entry<String, Set<String>> e : expected.entrySet()) {
            List<String> found = match(trie, e.getKey());
            assertEquals(e.getValue(), new HashSet<>(found), "topic '" + e.getKey() + "'");
            assertEquals(e.getValue().size(), found.size(), "each once: " + found);
            for (String f : e.getValue()) {
                assertTrue(TopicFilter.parse(f).matches(e.getKey()), f + " agrees with TopicFilter");
            }
        }
    }

    @Test
    void valuesUnderOneFilterAndOneValueUnderSeveralFiltersAreAllReported() {
        TopicTrie<String> trie = new TopicTrie<>();
        trie.add(TopicFilter.parse("a/+"), "x");
        trie.add(TopicFilter.parse("a/+"), "y");
        trie.add(TopicFilter.parse("a/#"), "x");
        List<String> found = match(trie, "a/b");
        found.sort(null);
        assertEquals(List.of("x", "x", "y"), found);
    }

    @Test
    void removeTakesOutOnlyThatValueAndTheTrieCanBeRefilled() {
        TopicTrie<String> trie = new TopicTrie<>();
        TopicFilter deep = TopicFilter.parse("a/+/c/#");
        TopicFilter plain = TopicFilter.parse("a/b/c");
        trie.add(deep, "deep");
        trie.add(plain, "plain");
        assertFalse(trie.remove(plain, "other"), "not there under that value");
        assertFalse(trie.remove(TopicFilter.parse("x/y"), "plain"), "not there under that filter");
        assertTrue(trie.remove(plain, "plain"));
        assertEquals(List.of("deep"), match(trie, "a/b/c"));
        assertTrue(trie.remove(deep, "deep"));
        assertEquals(0, trie.size());
        assertEquals(List.of(), match(trie, "a/b/c"));
        trie.add(plain, "again");
        assertEquals(List.of("again"), match(trie, "a/b/c"));
    }

    @Test
    void manySiblingLevelsAreFoundAndRemoved() {
        TopicTrie<Integer> trie = new TopicTrie<>();
        int n = 10_000;
        Integer[] values = new Integer[n]; // values are matched by identity
        for (int i = 0; i < n; i++) {
            values[i] = i;
            trie.add(TopicFilter.parse("dev/" + i + "/temp"), values[i]);
        }
        for (int i = 0; i < n; i += 997) {
            assertEquals(List.of(i), match(trie, "dev/" + i + "/temp"));
        }
        for (int i = 0; i < n; i += 2) {
            assertTrue(trie.remove(TopicFilter.parse("dev/" + i + "/temp"), values[i]));
        }
        assertEquals(n / 2, trie.size());
        assertEquals(List.of(), match(trie, "dev/42/temp"));
        assertEquals(List.of(43), match(trie, "dev/43/temp"));
    }

    @Test
    void aTopicOfThirtyThousandLevelsIsWalkedWithoutRecursion() {
        TopicTrie<String> trie = new TopicTrie<>();
        trie.add(TopicFilter.parse("#"), "all");
        trie.add(TopicFilter.parse("+/+/#"), "two-or-more");
        trie.add(TopicFilter.parse("a/+"), "a-one");
        StringBuilder topic = new StringBuilder("a");
        for (int i = 1; i < 30_000; i++) {
            topic.append("/a");
        }
        List<String> found = match(trie, topic.toString());
        found.sort(null);
        assertEquals(List.of("all", "two-or-more"), found);
    }

    @Test
    void agreesWithTopicFilterOnRandomFiltersAndTopics() {
        Random random = new Random(4711);
        String[] words = {"a", "b", "", "$x", "c"};
        TopicTrie<String> trie = new TopicTrie<>();
        Map<String, TopicFilter> filters = new LinkedHashMap<>();
        while (filters.size() < 400) {
            String f = randomFilter(random, words);
            if (!f.isEmpty() && !filters.containsKey(f)) {
                filters.put(f, TopicFilter.parse(f));
                trie.add(filters.get(f), f);
            }
        }
        for (int i = 0; i < 3000; i++) {
            String topic = randomTopic(random, words);
            byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
            Set<String> expected = new HashSet<>();
            for (Map.Entry<String, TopicFilter> f : filters.entrySet()) {
                if (f.getValue().matches(bytes)) {
                    expected.add(f.getKey());
                }
            }
            List<String> found = match(trie, topic);
            assertEquals(expected, new HashSet<>(found), "topic '" + topic + "'");
            assertEquals(expected.size(), found.size(), "each filter once for '" + topic + "'");
        }
    }

    private static String randomFilter(Random random, String[] words) {
        int levels = 1 + random.nextInt(4);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            if (i > 0) {
                s.append('/');
            }
            int pick = random.nextInt(words.length + 2);
            if (pick == words.length) {
                s.append('+');
            } else if (pick == words.length + 1 && i == levels - 1) {
                s.append('#');
            } else {
                s.append(words[pick % words.length]);
            }
        }
        return s.toString();
    }

    private static String randomTopic(Random random, String[] words) {
        int levels = 1 + random.nextInt(5);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            if (i > 0) {
                s.append('/');
            }
            s.append(words[random.nextInt(words.length)]);
        }
        return s.length() == 0 ? "a" : s.toString();
    }

    private static <V> List<V> match(TopicTrie<V> trie, String topic) {
        List<V> found = new ArrayList<>();
        int n = trie.match(topic.getBytes(StandardCharsets.UTF_8), found::add);
        assertEquals(found.size(), n, "returned count");
        return found;
    }
}
