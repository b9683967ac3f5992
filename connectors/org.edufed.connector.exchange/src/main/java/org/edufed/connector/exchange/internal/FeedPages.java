package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.SQLException;
import java.util.List;
import org.edufed.kernel.api.Level;

/**
 * A page of this node's change feed as a child of a given level may see it, online ({@code GET
 * /federation/exchange/feed}) or in an offline bundle: {@code items} after {@code since} in sequence order,
 * {@code next} (the last seq of the page), {@code more} (a full page: ask again), {@code head} (the newest
 * seq, so the child knows how far behind it is). Item values lose the fields their topic hides from the level.
 */
final class FeedPages {

    private FeedPages() {}

    static ObjectNode page(FederationStore store, Topics topics, ObjectNode page, long since, int limit, Level level)
            throws SQLException {
        long head = store.feedHead();
        List<FederationStore.FeedItem> items = store.feed(since, limit);
        ArrayNode arr = page.putArray("items");
        long next = since;
        for (FederationStore.FeedItem item : items) {
            JsonNode payload = Json.parse(item.payload());
            if (payload instanceof ObjectNode p && p.path("value").isTextual()) {
                p.put(
                        "value",
                        topics.visibleTo(item.topic(), level, p.path("value").asText()));
            }
            arr.addObject()
                    .put("seq", item.seq())
                    .put("topic", item.topic())
                    .put("key", item.key())
                    .set("payload", payload);
            next = item.seq();
        }
        return page.put("since", since)
                .put("next", next)
                .put("more", items.size() == limit)
                .put("head", Math.max(head, next));
    }
}
