package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.edufed.kernel.api.HealthService;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.federation.Topic;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work of the exchange routes. Down: pull the parent's feed from this node's watermark, verify it, and
 * apply each batch with the new watermark in one transaction (a crash leaves either the old state or the
 * new, and a batch applied twice changes nothing). Up: a signed heartbeat with this node's version, health
 * and subtree. Failures are recorded and retried with growing pauses.
 */
@Component(service = Sync.class)
public final class Sync {

    private static final Logger LOG = LoggerFactory.getLogger(Sync.class);
    static final String FEED = "feed";
    static final String FEED_PATH = "/api/v1/federation/exchange/feed";
    static final String HEARTBEAT_PATH = "/api/v1/federation/exchange/heartbeat";
    static final String UP_PATH = "/api/v1/federation/exchange/up";
    /**
     * Feed items per page pulled: the most the feed endpoint serves. Every page costs a signed round trip and a
     * transaction at each end; an offline bundle carries up to 50,000 items in one message.
     */
    static final int BATCH = 1000;

    static final Pattern TOPIC = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** Batches per pull before yielding to the next tick. */
    static final int MAX_BATCHES = 200;

    private final FederationComponent federation;
    private final InheritanceComponent inheritance;
    private final NodeIdentity identity;
    private final HealthService health;
    private final Backoff pullBackoff = new Backoff();
    private final Backoff heartbeatBackoff = new Backoff();
    private final Backoff pushBackoff = new Backoff();
    private final UpwardComponent upward;
    private final Topics topics;

    @Activate
    public Sync(
            @Reference FederationComponent federation,
            @Reference InheritanceComponent inheritance,
            @Reference NodeIdentity identity,
            @Reference HealthService health,
            @Reference UpwardComponent upward,
            @Reference Topics topics) {
        this.topics = topics;
        this.upward = upward;
        this.federation = federation;
        this.inheritance = inheritance;
        this.identity = identity;
        this.health = health;
    }

    /** Pulls until caught up (or the batch budget is spent); returns the number of items applied. */
    public int pull() {
        if (!pullBackoff.due()) {
            return 0;
        }
        FederationStore store = federation.store();
        try {
            Optional<FederationStore.ParentRow> parent = store.parent();
            if (parent.isEmpty()) {
                return 0;
            }
            int applied = 0;
            for (int i = 0; i < MAX_BATCHES; i++) {
                long since = store.storage().inTransaction(c -> store.watermark(c, FEED));
                ParentClient.Answer answer = federation
                        .client()
                        .send(
                                "GET",
                                parent.get().url(),
                                FEED_PATH + "?since=" + since + "&limit=" + BATCH,
                                null,
                                parent.get().publicKey(),
                                parent.get().algorithm(),
                                null);
                JsonNode page = answer.json();
                if (page == null || !page.path("items").isArray()) {
                    throw new ParentClient.ExchangeException("the parent's feed page is not readable");
                }
                int n = apply(since, page);
                applied += n;
                if (!page.path("more").asBoolean(false) || n == 0) {
                    break;
                }
            }
            pullBackoff.success();
            if (applied > 0) {
                LOG.info("Applied {} items from the parent's feed", applied);
            }
            return applied;
        } catch (ParentClient.ExchangeException | SQLException | RuntimeException e) {
            pullBackoff.failure();
            record(FEED, e);
            return 0;
        }
    }

    /**
     * Applies one page in one transaction, with its watermark, the parent's head it reports and per-topic
     * counts; nothing when another pull got there first. A page that starts after the watermark (a hole), is
     * out of order or holds a malformed item is refused whole and nothing of it is applied.
     */
    int apply(long since, JsonNode page) throws SQLException {
        FederationStore store = federation.store();
        return store.storage().inTransaction(c -> {
            long watermark = store.watermark(c, FEED);
            if (since > watermark) {
                // the page starts after what we have: applying it would leave a hole
                throw new SQLException(
                        "feed gap: page starts after " + since + ", applied up to " + watermark, "22000");
            }
            long last = since;
            List<InheritanceComponent.FeedItem> fresh = new ArrayList<>();
            Map<String, long[]> perTopic = new TreeMap<>(); // topic → {items applied, last seq}
            for (JsonNode item : page.path("items")) {
                long seq = item.path("seq").asLong();
                if (seq <= last) {
                    throw new SQLException("feed out of order: " + seq + " after " + last, "22000");
                }
                last = seq;
                if (seq <= watermark) {
                    continue; // applied before (a page or an offline bundle seen twice)
                }
                String topic = item.path("topic").asText();
                JsonNode payload = item.path("payload");
                if (!TOPIC.matcher(topic).matches()
                        || !InheritanceComponent.KEY
                                .matcher(payload.path("key").asText())
                                .matches()) {
                    throw new SQLException("feed item " + seq + " is malformed", "22000");
                }
                fresh.add(new InheritanceComponent.FeedItem(seq, topic, payload));
                long[] t = perTopic.computeIfAbsent(topic, k -> new long[2]);
                t[0]++;
                t[1] = seq;
            }
            inheritance.applyFromParent(c, fresh);
            if (last > watermark) {
                store.setWatermark(c, FEED, last);
            }
            for (Map.Entry<String, long[]> t : perTopic.entrySet()) {
                store.advance(c, t.getKey(), t.getValue()[1], t.getValue()[0]);
            }
            if (page.has("head")) {
                store.setParentHead(c, page.path("head").asLong());
            }
            return fresh.size();
        });
    }

    /**
     * Pushes the outbox to the parent, batch by batch, until it is empty or the parent is not reachable;
     * returns the number of items the parent acknowledged. A batch whose answer is lost is sent again with
     * the same ids, and the parent acknowledges it as a duplicate without applying it twice.
     */
    public int push() {
        if (!pushBackoff.due()) {
            return 0;
        }
        try {
            Optional<FederationStore.ParentRow> parent = federation.store().parent();
            if (parent.isEmpty()) {
                return 0;
            }
            int acknowledged = 0;
            for (int i = 0; i < MAX_BATCHES; i++) {
                java.util.List<UpwardComponent.Item> batch =
                        upward.pending(UpwardComponent.BATCH, UpwardComponent.PUSH_CHARS);
                if (batch.isEmpty()) {
                    break;
                }
                ParentClient.Answer answer = federation
                        .client()
                        .send(
                                "POST",
                                parent.get().url(),
                                UP_PATH,
                                Json.bytes(upward.toJson(
                                        batch, Level.parse(parent.get().node().level()))),
                                parent.get().publicKey(),
                                parent.get().algorithm(),
                                null);
                JsonNode results = answer.json();
                if (results == null || !results.path("results").isArray()) {
                    throw new ParentClient.ExchangeException("the parent's answer to a push is not readable");
                }
                upward.settle(results, batch);
                int done = 0;
                for (JsonNode r : results.path("results")) {
                    if (!"retry".equals(r.path("status").asText())) {
                        done++;
                    }
                }
                acknowledged += done;
                if (done == 0) {
                    break; // everything left waits for the parent to learn of its origins
                }
            }
            pushBackoff.success();
            if (acknowledged > 0) {
                federation.store().succeeded("up");
                LOG.info("Pushed {} records to the parent", acknowledged);
            }
            return acknowledged;
        } catch (ParentClient.ExchangeException | SQLException | RuntimeException e) {
            pushBackoff.failure();
            record("up", e);
            return 0;
        }
    }

    /**
     * Forgets nonces older than twice the accepted clock skew (a message that old is refused for its time
     * anyway, so the replay table stays small), drops the copies of own records their plugins keep now (see
     * {@link UpwardComponent#dropOwnCopies}) and compacts the feed (see {@link FederationStore#compactFeed}).
     */
    public void housekeeping() {
        try {
            int n = federation.store().purgeNonces(Instant.now().minusMillis(2 * SignedMessages.MAX_SKEW_MS));
            if (n > 0) {
                LOG.debug("forgot {} old nonces", n);
            }
            int compacted = federation.store().compactFeed();
            if (compacted > 0) {
                LOG.info("Compacted the feed: {} superseded entries removed", compacted);
            }
            int copies = upward.dropOwnCopies();
            if (copies > 0) {
                LOG.info("Dropped {} copies of own records their plugins now keep", copies);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("housekeeping failed: {}", e.getMessage());
        }
    }

    /** Sends a heartbeat with this node's subtree; returns whether the parent took it. */
    public boolean heartbeat() {
        if (!heartbeatBackoff.due()) {
            return false;
        }
        try {
            Optional<FederationStore.ParentRow> parent = federation.store().parent();
            if (parent.isEmpty()) {
                return false;
            }
            Federation.TreeNode tree = federation.tree();
            ObjectNode body = Json.object()
                    .put("version", identity.version())
                    .put("ready", health.report().ready())
                    .put("at", Instant.now().toString());
            body.set("children", FederationComponent.childrenJson(tree.children()));
            federation
                    .client()
                    .send(
                            "POST",
                            parent.get().url(),
                            HEARTBEAT_PATH,
                            Json.bytes(body),
                            parent.get().publicKey(),
                            parent.get().algorithm(),
                            null);
            heartbeatBackoff.success();
            federation.store().succeeded("heartbeat");
            return true;
        } catch (ParentClient.ExchangeException | SQLException | RuntimeException e) {
            heartbeatBackoff.failure();
            record("heartbeat", e);
            return false;
        }
    }

    /** The sync status of this node (see {@link SyncStatus}). */
    public SyncStatus status() throws SQLException {
        FederationStore store = federation.store();
        Map<String, FederationStore.Watermark> rows = new HashMap<>();
        for (FederationStore.Watermark w : store.watermarks()) {
            rows.put(w.topic(), w);
        }
        FederationStore.Watermark none = new FederationStore.Watermark("", 0, null, null, null, null, 0);
        FederationStore.Watermark feed = rows.getOrDefault(FEED, none);
        FederationStore.Watermark up = rows.getOrDefault("up", none);
        FederationStore.Watermark beat = rows.getOrDefault("heartbeat", none);
        Map<String, Integer> pending = store.countByTopic("edufed_fed_outbox");
        Map<String, Integer> dead = store.countByTopic("edufed_fed_dead");
        List<SyncStatus.TopicStatus> list = new ArrayList<>();
        for (Topic t : topics.list()) {
            boolean down = t.direction() == Topic.Direction.DOWN;
            // the large tables are counted per declared topic (the small outbox and dead letters all at once)
            int count = down ? store.countOf("edufed_item_inherited", t.name()) : upward.heldCount(t.name());
            FederationStore.Watermark w = rows.getOrDefault(t.name(), none);
            FederationStore.Watermark channel = down ? feed : up;
            boolean failedSince = channel.lastErrorAt() != null
                    && (w.lastSuccess() == null || channel.lastErrorAt().isAfter(w.lastSuccess()));
            list.add(new SyncStatus.TopicStatus(
                    t.name(),
                    t.direction().name().toLowerCase(Locale.ROOT),
                    t.description(),
                    w.seq(),
                    w.applied(),
                    count,
                    pending.getOrDefault(t.name(), 0),
                    dead.getOrDefault(t.name(), 0),
                    w.lastSuccess(),
                    failedSince ? channel.lastError() : null,
                    failedSince ? channel.lastErrorAt() : null));
        }
        Long lag = feed.parentHead() == null ? null : Math.max(0, feed.parentHead() - feed.seq());
        return new SyncStatus(
                federation.parent().orElse(null),
                new SyncStatus.Feed(
                        store.feedHead(),
                        feed.seq(),
                        feed.parentHead(),
                        lag,
                        feed.lastSuccess(),
                        feed.lastError(),
                        feed.lastErrorAt()),
                new SyncStatus.Outbox(
                        pending.values().stream().mapToInt(Integer::intValue).sum(),
                        dead.values().stream().mapToInt(Integer::intValue).sum(),
                        up.lastSuccess(),
                        up.lastError(),
                        up.lastErrorAt()),
                new SyncStatus.Channel(beat.lastSuccess(), beat.lastError(), beat.lastErrorAt()),
                store.rejectedCount(),
                list);
    }

    private void record(String topic, Exception e) {
        LOG.warn("exchange {} failed: {}", topic, e.getMessage());
        try {
            federation
                    .store()
                    .recordError(topic, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (SQLException inner) {
            LOG.error("could not record the failure: {}", inner.getMessage());
        }
    }

    /** Pauses after failures: 1, 2, 4 … ticks skipped, at most 32; reset by a success. */
    static final class Backoff {
        private int failures;
        private int skip;

        synchronized boolean due() {
            if (skip > 0) {
                skip--;
                return false;
            }
            return true;
        }

        synchronized void failure() {
            failures = Math.min(failures + 1, 6);
            skip = (1 << failures) / 2;
        }

        synchronized void success() {
            failures = 0;
            skip = 0;
        }
    }
}
