package org.edufed.connector.exchange.internal;

import java.time.Instant;
import java.util.List;
import org.edufed.kernel.api.federation.Federation;

/**
 * How this node's exchange is doing, for the API ({@code GET /api/v1/federation/status}), the console page and
 * the shell ({@code edufed:sync-status}).
 *
 * @param feed the downward side: this node's own feed head (what its children pull), how far it has applied
 *     its parent's feed, the parent's head as last seen and the lag in items between the two
 * @param outbox the upward side: records waiting for the parent, records the parent refused for good
 * @param topics every declared topic with its own figures
 * @param rejectedMessages signed messages refused by this node (forged, replayed, stale, unknown sender …)
 */
public record SyncStatus(
        Federation.Parent parent,
        Feed feed,
        Outbox outbox,
        Channel heartbeat,
        int rejectedMessages,
        List<TopicStatus> topics) {

    /** The last success and failure of one kind of exchange. */
    public record Channel(Instant lastSuccess, String lastError, Instant lastErrorAt) {}

    public record Feed(
            long head,
            long watermark,
            Long parentHead,
            Long lag,
            Instant lastSuccess,
            String lastError,
            Instant lastErrorAt) {}

    public record Outbox(int pending, int dead, Instant lastSuccess, String lastError, Instant lastErrorAt) {}

    /**
     * One topic. Down: {@code watermark} is the last feed seq applied for it, {@code applied} how many items
     * so far, {@code records} the items this node inherited. Up: {@code watermark} is the last outbox id the
     * parent acknowledged, {@code applied} how many, {@code pending} the queue depth, {@code dead} the refused,
     * {@code records} what this node holds (its own and its subtree's). {@code lastError} is that of the
     * direction's channel when it failed after the topic's last success.
     */
    public record TopicStatus(
            String name,
            String direction,
            String description,
            long watermark,
            long applied,
            int records,
            int pending,
            int dead,
            Instant lastSuccess,
            String lastError,
            Instant lastErrorAt) {}
}
