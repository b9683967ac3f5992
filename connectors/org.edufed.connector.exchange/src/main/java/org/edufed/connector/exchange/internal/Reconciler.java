package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.federation.Topic;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Reconciliation: compares a topic's state at this node with its parent's and reports the differences, and
 * repairs them on request. Down: the parent answers with a digest of every item this node should have
 * inherited; differences are items missing here, items here the parent no longer has, and items that differ.
 * Up: this node sends the ids and versions of the records it holds; the parent answers which it lacks or holds
 * at an older version. Repair goes through the normal paths: down, extra items go and the feed is pulled again
 * from the start (applying is idempotent); up, the records the parent lacks are queued again.
 */
@Component(service = Reconciler.class)
public final class Reconciler {

    static final String STATE_PATH = "/api/v1/federation/exchange/state";
    /** Records per upward comparison request. */
    static final int CHUNK = 5000;
    /** Keys listed per kind of difference in a report (the counts are complete). */
    static final int LISTED = 100;

    private final FederationComponent federation;
    private final InheritanceComponent inheritance;
    private final UpwardComponent upward;
    private final Topics topics;
    private final AuditLog audit;

    @Activate
    public Reconciler(
            @Reference FederationComponent federation,
            @Reference InheritanceComponent inheritance,
            @Reference UpwardComponent upward,
            @Reference Topics topics,
            @Reference AuditLog audit) {
        this.audit = audit;
        this.federation = federation;
        this.inheritance = inheritance;
        this.upward = upward;
        this.topics = topics;
    }

    /** The differences found: complete counts, the first {@value #LISTED} keys of each kind. */
    public record Report(
            String topic,
            String direction,
            int local,
            int parent,
            int missingHere,
            int extraHere,
            int different,
            int missingAtParent,
            List<String> keys,
            boolean repaired) {}

    /** Compares (and, when {@code repair}, repairs) a declared topic with the parent. */
    public Report reconcile(String topic, boolean repair) throws ParentClient.ExchangeException, SQLException {
        Topic declared = topics.get(topic);
        if (declared == null) {
            throw new IllegalArgumentException("item.badTopic");
        }
        FederationStore.ParentRow parent =
                federation.store().parent().orElseThrow(() -> new IllegalArgumentException("parent.none"));
        return declared.direction() == Topic.Direction.DOWN ? down(parent, topic, repair) : up(parent, topic, repair);
    }

    private Report down(FederationStore.ParentRow parent, String topic, boolean repair)
            throws ParentClient.ExchangeException, SQLException {
        JsonNode answer = federation
                .client()
                .send(
                        "GET",
                        parent.url(),
                        STATE_PATH + "?topic=" + URLEncoder.encode(topic, StandardCharsets.UTF_8),
                        null,
                        parent.publicKey(),
                        parent.algorithm(),
                        null)
                .json();
        if (answer == null || !answer.path("items").isObject()) {
            throw new ParentClient.ExchangeException("the parent's state is not readable");
        }
        Map<String, String> theirs = new TreeMap<>();
        answer.path("items")
                .fields()
                .forEachRemaining(e -> theirs.put(e.getKey(), e.getValue().asText()));
        Diff diff = compare(theirs, inheritance.inheritedDigests(topic));
        boolean repaired = false;
        if (repair && !diff.keys().isEmpty()) {
            audit.record(AuditLog.Event.of(
                    "federation.reconcile.repair",
                    topic,
                    AuditLog.Result.SUCCESS,
                    diff.keys().size() + " differences"));
            inheritance.forgetInherited(topic, diff.extra());
            federation.store().storage().inTransaction(c -> {
                federation.store().setWatermark(c, Sync.FEED, 0);
                return null;
            });
            repaired = true;
        }
        return new Report(
                topic,
                "down",
                diff.local(),
                theirs.size(),
                diff.missing(),
                diff.extra().size(),
                diff.different(),
                0,
                diff.keys().subList(0, Math.min(LISTED, diff.keys().size())),
                repaired);
    }

    private Report up(FederationStore.ParentRow parent, String topic, boolean repair)
            throws ParentClient.ExchangeException, SQLException {
        List<UpwardComponent.Item> held = upward.held(topic);
        List<String> keys = new ArrayList<>();
        List<UpwardComponent.Item> lacking = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < held.size() || i == 0; i += CHUNK) {
            List<UpwardComponent.Item> chunk = held.subList(i, Math.min(held.size(), i + CHUNK));
            ObjectNode body = Json.object().put("topic", topic);
            ArrayNode arr = body.putArray("records");
            for (UpwardComponent.Item item : chunk) {
                arr.addObject().put("globalId", item.globalId()).put("version", item.version());
            }
            JsonNode answer = federation
                    .client()
                    .send(
                            "POST",
                            parent.url(),
                            STATE_PATH,
                            Json.bytes(body),
                            parent.publicKey(),
                            parent.algorithm(),
                            null)
                    .json();
            if (answer == null || !answer.path("lacking").isArray()) {
                throw new ParentClient.ExchangeException("the parent's state is not readable");
            }
            total = answer.path("total").asInt(total);
            Map<String, UpwardComponent.Item> byId = new HashMap<>();
            chunk.forEach(item -> byId.put(item.globalId(), item));
            for (JsonNode id : answer.path("lacking")) {
                Optional.ofNullable(byId.get(id.asText())).ifPresent(lacking::add);
                list(keys, "missingAtParent:" + id.asText());
            }
        }
        boolean repaired = false;
        if (repair && !lacking.isEmpty()) {
            audit.record(AuditLog.Event.of(
                    "federation.reconcile.repair",
                    topic,
                    AuditLog.Result.SUCCESS,
                    lacking.size() + " records queued again"));
            upward.requeue(lacking);
            repaired = true;
        }
        return new Report(topic, "up", held.size(), total, 0, 0, 0, lacking.size(), keys, repaired);
    }

    /** Down: how this node's inherited items differ from what the parent says it should have. */
    record Diff(int local, int missing, int different, List<String> extra, List<String> keys) {}

    /** Compares digests by key: {@code theirs} from the parent, {@code ours} here. */
    static Diff compare(Map<String, String> theirs, Map<String, String> ours) {
        List<String> keys = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        int missing = 0;
        int different = 0;
        for (Map.Entry<String, String> e : theirs.entrySet()) {
            String mine = ours.get(e.getKey());
            if (mine == null) {
                missing++;
                keys.add("missing:" + e.getKey());
            } else if (!mine.equals(e.getValue())) {
                different++;
                keys.add("different:" + e.getKey());
            }
        }
        for (String key : ours.keySet()) {
            if (!theirs.containsKey(key)) {
                extra.add(key);
                keys.add("extra:" + key);
            }
        }
        return new Diff(ours.size(), missing, different, extra, keys);
    }

    /** The parent's side, down: a digest of every item a child of {@code level} should have inherited. */
    ObjectNode downState(String topic, Level level, java.util.function.Predicate<String> reach) throws SQLException {
        ObjectNode answer = Json.object().put("topic", topic);
        ObjectNode items = answer.putObject("items");
        boolean addressed = topics.isAddressed(topic);
        inheritance.downwardDigests(topic, level).forEach((key, digest) -> {
            if (!addressed || reach.test(FeedPages.addressee(key))) {
                items.put(key, digest);
            }
        });
        return answer;
    }

    /** The parent's side, up: which of the child's records it lacks or holds at an older version. */
    ObjectNode upState(JsonNode request) throws SQLException {
        String topic = request.path("topic").asText();
        ObjectNode answer = Json.object().put("topic", topic);
        ArrayNode lacking = answer.putArray("lacking");
        try (Connection c = federation.store().storage().dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT version FROM edufed_fed_record WHERE topic = ? AND global_id = ?")) {
            for (JsonNode r : request.path("records")) {
                ps.setString(1, topic);
                ps.setString(2, r.path("globalId").asText());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getLong(1) < r.path("version").asLong()) {
                        lacking.add(r.path("globalId").asText());
                    }
                }
            }
        }
        answer.put("total", upward.heldCount(topic));
        return answer;
    }

    private static void list(List<String> keys, String key) {
        if (keys.size() < LISTED) {
            keys.add(key);
        }
    }
}
