package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.edufed.kernel.api.Level;

/**
 * A page of this node's change feed as a child of a given level may see it, online ({@code GET
 * /federation/exchange/feed}) or in an offline bundle: {@code items} after {@code since} in sequence order,
 * {@code next} (the last seq of the page), {@code more} (a full page: ask again), {@code head} (the newest
 * seq, so the child knows how far behind it is). Item values lose the fields their topic hides from the level;
 * items of {@link org.edufed.kernel.api.federation.Topic#addressed() addressed} topics go only to the child whose
 * branch leads to the node their key names (the sequence still moves past the others). A page ends early, with
 * {@code more}, once its payloads reach a number of characters (the item that reaches it is the last), so that a page
 * of many large items stays within what its reader takes.
 */
final class FeedPages {

    private FeedPages() {}

    /** The payload characters of an online page (and one item beyond): 1,000 items of 8 KB each. */
    static final long PAGE_CHARS = 8_000_000;

    /** Every node is reached (tests of what a page holds). */
    static final Predicate<String> EVERYONE = code -> true;

    static ObjectNode page(
            FederationStore store,
            Topics topics,
            ObjectNode page,
            long since,
            int limit,
            Level level,
            Predicate<String> reach)
            throws SQLException {
        return page(store, topics, page, since, limit, PAGE_CHARS, level, reach);
    }

    /** {@link #page}, ending once its payloads reach {@code maxChars} characters. */
    static ObjectNode page(
            FederationStore store,
            Topics topics,
            ObjectNode page,
            long since,
            int limit,
            long maxChars,
            Level level,
            Predicate<String> reach)
            throws SQLException {
        return page(store, topics, page, since, limit, maxChars, level, reach, false);
    }

    /**
     * Whether an addressed item's key names a node in the child's branch: the child itself or a node its last
     * heartbeat reported below it (read only when an addressed item comes, not at every pull).
     */
    static Predicate<String> branchOf(FederationStore.ChildRow child) {
        Set<String>[] codes = new Set[1];
        return code -> {
            if (codes[0] == null) {
                Set<String> c = new HashSet<>();
                c.add(child.node().code());
                UpwardComponent.collectCodes(Json.parse(child.subtree()), c);
                codes[0] = c;
            }
            return codes[0].contains(code);
        };
    }

    /** The node an addressed item's key names: its first dot-separated part. */
    static String addressee(String key) {
        int dot = key.indexOf('.');
        return dot < 0 ? key : key.substring(0, dot);
    }

    /**
     * A page to be serialised at once (an answer of the feed endpoint): the payloads of topics that hide no
     * field from any level are put in as the JSON text stored (written by this node's JSON mapper), not parsed
     * and written again item by item; the page is the same JSON. Read such a page only after serialising it.
     */
    static ObjectNode serialisedPage(
            FederationStore store,
            Topics topics,
            ObjectNode page,
            long since,
            int limit,
            Level level,
            Predicate<String> reach)
            throws SQLException {
        return page(store, topics, page, since, limit, PAGE_CHARS, level, reach, true);
    }

    private static ObjectNode page(
            FederationStore store,
            Topics topics,
            ObjectNode page,
            long since,
            int limit,
            long maxChars,
            Level level,
            Predicate<String> reach,
            boolean raw)
            throws SQLException {
        long head = store.feedHead();
        List<FederationStore.FeedItem> items = store.feed(since, limit);
        ArrayNode arr = page.putArray("items");
        long next = since;
        long chars = 0;
        boolean cut = false;
        for (FederationStore.FeedItem item : items) {
            if (chars >= maxChars) {
                cut = true; // the rest on the next page
                break;
            }
            next = item.seq();
            if (topics.isAddressed(item.topic()) && !reach.test(addressee(item.key()))) {
                continue; // meant for a node in another branch
            }
            chars += item.payload().length();
            ObjectNode entry = arr.addObject()
                    .put("seq", item.seq())
                    .put("topic", item.topic())
                    .put("key", item.key());
            if (raw && !topics.hidesFields(item.topic())) {
                entry.putRawValue("payload", new RawValue(item.payload()));
            } else {
                JsonNode payload = Json.parse(item.payload());
                if (payload instanceof ObjectNode p && p.path("value").isTextual()) {
                    p.put(
                            "value",
                            topics.visibleTo(
                                    item.topic(), level, p.path("value").asText()));
                }
                entry.set("payload", payload);
            }
        }
        return page.put("since", since)
                .put("next", next)
                .put("more", cut || items.size() == limit)
                .put("head", Math.max(head, next));
    }
}
