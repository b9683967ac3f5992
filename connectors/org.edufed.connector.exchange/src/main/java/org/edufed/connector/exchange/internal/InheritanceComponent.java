package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.federation.Provenance;
import org.edufed.kernel.api.federation.Topic;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.storage.Dialect;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Inheritable items of every downward topic. A node has its own values and what it inherited from its
 * parent's feed; the effective value follows the mode set above: a {@code locked} inherited value wins;
 * otherwise this node's own value overrides (with provenance saying so); otherwise the inherited value
 * applies. What the children see is published on this node's feed in the same transaction as the change, and
 * which own values this node holds goes up the tree (topic {@value #OWN_TOPIC}, keys and modes only, never
 * the values) so that an upper level can preview whose overrides would hide a change.
 */
@Component(service = {Inheritance.class, InheritanceComponent.class})
public final class InheritanceComponent implements Inheritance {

    static final String OWN_TOPIC = "inheritance.own";
    static final Pattern KEY = Pattern.compile("[a-z0-9][a-z0-9._-]{0,199}");
    static final int MAX_VALUE = 32_000;
    static final int MAX_SETTING = 4000;

    private final FederationStore store;
    private final FederationComponent federation;
    private final UpwardComponent upward;
    private final Topics topics;
    private final AuditLog audit;
    private final NodeRef self;
    private final boolean mayHaveChildren;
    private final boolean hasParentLevel;

    @Activate
    public InheritanceComponent(
            @Reference FederationStore store,
            @Reference FederationComponent federation,
            @Reference UpwardComponent upward,
            @Reference Topics topics,
            @Reference NodeIdentity identity,
            @Reference AuditLog audit) {
        this.audit = audit;
        this.store = store;
        this.federation = federation;
        this.upward = upward;
        this.topics = topics;
        this.self = new NodeRef(identity.level().id(), identity.code(), identity.name());
        this.mayHaveChildren = identity.level() != Level.SCHOOL;
        this.hasParentLevel = identity.level() != Level.PROVINCE;
    }

    record Own(String value, Mode mode) {}

    record Inherited(String value, Mode mode, NodeRef setBy, NodeRef overriddenBy, long version) {}

    // --- Inheritance --------------------------------------------------------------------------------

    @Override
    public List<Item> effective(String topic) {
        try (Connection c = store.storage().dataSource().getConnection()) {
            Map<String, Own> own = new HashMap<>();
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT item_key, item_value, mode FROM edufed_item WHERE topic = ?")) {
                ps.setString(1, topic);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        own.put(rs.getString(1), new Own(rs.getString(2), Mode.parse(rs.getString(3))));
                    }
                }
            }
            Map<String, Inherited> inherited = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT item_key, " + INHERITED_COLUMNS + " FROM edufed_item_inherited WHERE topic = ?")) {
                ps.setString(1, topic);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        inherited.put(rs.getString(1), inherited(rs, 2));
                    }
                }
            }
            TreeSet<String> keys = new TreeSet<>(own.keySet());
            keys.addAll(inherited.keySet());
            List<Item> out = new ArrayList<>(keys.size());
            for (String key : keys) {
                effective(topic, key, inherited.get(key), own.get(key)).ifPresent(out::add);
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Item> effective(String topic, String key) {
        try (Connection c = store.storage().dataSource().getConnection()) {
            return effective(topic, key, inherited(c, topic, key), own(c, topic, key));
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public int change(String topic, List<Change> changes) throws LockedException {
        return changeChecked(topic, changes, MAX_VALUE);
    }

    @Override
    public int change(Connection connection, String topic, List<Change> changes) throws LockedException {
        check(topic, changes, MAX_VALUE);
        try {
            return store(connection, topic, changes);
        } catch (LockedSignal locked) {
            throw new LockedException(locked.key, locked.provenance);
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    private int changeChecked(String topic, List<Change> changes, int maxValue) throws LockedException {
        check(topic, changes, maxValue);
        return store(topic, changes);
    }

    /** A change's topic, keys, modes and values, as the topic's own check sees them. */
    private void check(String topic, List<Change> changes, int maxValue) {
        Topic declared = topics.get(topic);
        if (declared == null || declared.direction() != Topic.Direction.DOWN) {
            throw new IllegalArgumentException("item.badTopic");
        }
        validate(changes, maxValue);
        for (Change ch : changes) {
            if (ch.value() != null) {
                declared.validate(ch.key(), ch.value());
            }
        }
    }

    /**
     * Seeds reference data shipped with a bundle (see {@link Dictionaries}): the same path as a change, for a
     * topic its bundle declares, whether or not the declaration has reached {@link Topics} yet.
     */
    int seed(String topic, List<Change> changes) throws LockedException {
        validate(changes, MAX_VALUE);
        return store(topic, changes);
    }

    private int store(String topic, List<Change> changes) throws LockedException {
        try {
            return store.storage().inTransaction(c -> store(c, topic, changes));
        } catch (LockedSignal locked) {
            throw new LockedException(locked.key, locked.provenance);
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    /** Stores the changes inside the transaction of {@code c}; throws {@link LockedSignal} for a locked key. */
    private int store(Connection c, String topic, List<Change> changes) throws SQLException {
        List<String> keys = changes.stream().map(Change::key).toList();
        Map<String, Inherited> inherited = inheritedFor(c, topic, keys);
        for (Change ch : changes) {
            Inherited in = inherited.get(ch.key());
            if (in != null && in.mode() == Mode.LOCKED) {
                throw new LockedSignal(ch.key(), provenance(in));
            }
        }
        // which keys have an own value already: those are updated (or deleted), the others inserted;
        // a removal of a key without one changes nothing
        Set<String> held = ownKeys(c, topic, keys);
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO edufed_item (topic, item_key,"
                        + " item_value, mode, updated_at) VALUES (?, ?, ?, ?, ?)");
                PreparedStatement up = c.prepareStatement("UPDATE edufed_item SET item_value = ?, mode = ?,"
                        + " updated_at = ? WHERE topic = ? AND item_key = ?");
                PreparedStatement del =
                        c.prepareStatement("DELETE FROM edufed_item WHERE topic = ? AND item_key = ?")) {
            boolean inserts = false, updates = false, deletes = false;
            for (Change ch : changes) {
                boolean there = held.contains(ch.key());
                if (ch.value() == null) {
                    if (there) {
                        del.setString(1, topic);
                        del.setString(2, ch.key());
                        del.addBatch();
                        deletes = true;
                    }
                } else if (there) {
                    up.setString(1, ch.value());
                    up.setString(2, ch.mode().id());
                    up.setTimestamp(3, now);
                    up.setString(4, topic);
                    up.setString(5, ch.key());
                    up.addBatch();
                    updates = true;
                } else {
                    ins.setString(1, topic);
                    ins.setString(2, ch.key());
                    ins.setString(3, ch.value());
                    ins.setString(4, ch.mode().id());
                    ins.setTimestamp(5, now);
                    ins.addBatch();
                    inserts = true;
                }
            }
            if (deletes) {
                del.executeBatch();
            }
            if (updates) {
                up.executeBatch();
            }
            if (inserts) {
                ins.executeBatch();
            }
        }
        List<FederationStore.FeedEntry> feed = new ArrayList<>();
        List<Upward.Entry> owns = new ArrayList<>();
        int effective = 0;
        long version = versionNow();
        for (int i = 0; i < changes.size(); i++) {
            Change ch = changes.get(i);
            if (ch.value() == null && !held.contains(ch.key())) {
                continue; // nothing was there: nothing changes
            }
            effective++;
            Own own = ch.value() == null ? null : new Own(ch.value(), ch.mode());
            if (mayHaveChildren) {
                feed.add(new FederationStore.FeedEntry(
                        topic, ch.key(), Json.text(downward(ch.key(), inherited.get(ch.key()), own))));
            }
            if (hasParentLevel) {
                ObjectNode record = Json.object().put("topic", topic).put("key", ch.key());
                if (own != null) {
                    record.put("mode", own.mode().id());
                }
                owns.add(new Upward.Entry(topic + "/" + ch.key(), version, Json.text(record), own == null));
            }
        }
        if (!owns.isEmpty()) {
            upward.enqueueAll(c, OWN_TOPIC, owns);
        }
        store.appendAll(c, feed);
        audit.record(
                c,
                AuditLog.Event.of(
                        "inherit.change",
                        topic,
                        AuditLog.Result.SUCCESS,
                        effective + " of " + changes.size() + ": " + keys(changes)));
        return effective;
    }

    /** The first keys of a batch with their modes, for the audit trail (never the values). */
    private static String keys(List<Change> changes) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(changes.size(), 10); i++) {
            Change ch = changes.get(i);
            b.append(i == 0 ? "" : ", ")
                    .append(ch.key())
                    .append(ch.value() == null ? " (removed)" : " " + ch.mode().id());
        }
        return changes.size() > 10 ? b.append(", …").toString() : b.toString();
    }

    private static void validate(List<Change> changes, int maxValue) {
        if (changes == null || changes.isEmpty() || changes.size() > MAX_CHANGES) {
            throw new IllegalArgumentException("item.badBatch");
        }
        Set<String> seen = new HashSet<>();
        for (Change ch : changes) {
            if (ch == null || ch.key() == null || !KEY.matcher(ch.key()).matches()) {
                throw new IllegalArgumentException("setting.badKey");
            }
            if (!seen.add(ch.key())) {
                throw new IllegalArgumentException("item.duplicateKey");
            }
            if (ch.value() != null && ch.value().length() > maxValue) {
                throw new IllegalArgumentException("setting.badValue");
            }
            if (ch.value() != null && ch.mode() == null) {
                throw new IllegalArgumentException("setting.badMode");
            }
        }
    }

    /** Versions of the own-value records sent up: microseconds, so that later changes carry larger ones. */
    private static long versionNow() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    @Override
    public Preview preview(String topic, String key, Mode mode) throws LockedException {
        if (topic == null || !topics.isDeclared(topic, Topic.Direction.DOWN)) {
            throw new IllegalArgumentException("item.badTopic");
        }
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("setting.badKey");
        }
        if (mode == null) {
            throw new IllegalArgumentException("setting.badMode");
        }
        Map<String, Mode> owners = new HashMap<>();
        try (Connection c = store.storage().dataSource().getConnection()) {
            Inherited in = inherited(c, topic, key);
            if (in != null && in.mode() == Mode.LOCKED) {
                throw new LockedException(key, provenance(in));
            }
            // own values below, as the descendants reported them (global id <origin>:<topic>/<key>)
            try (PreparedStatement ps = c.prepareStatement("SELECT origin, payload FROM edufed_fed_record"
                    + " WHERE topic = ? AND deleted = FALSE AND global_id LIKE ? ESCAPE '\\'")) {
                ps.setString(1, OWN_TOPIC);
                ps.setString(
                        2,
                        "%:"
                                + (topic + "/" + key)
                                        .replace("\\", "\\\\")
                                        .replace("_", "\\_")
                                        .replace("%", "\\%"));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        JsonNode p = Json.parse(rs.getString(2));
                        if (p != null
                                && topic.equals(p.path("topic").asText())
                                && key.equals(p.path("key").asText())) {
                            owners.put(
                                    rs.getString(1), Mode.parse(p.path("mode").asText()));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        List<Reach> nodes = new ArrayList<>();
        walk(federation.tree().children(), mode, owners, null, nodes);
        int reached = (int) nodes.stream().filter(Reach::reached).count();
        return new Preview(topic, key, mode, nodes.size(), reached, nodes);
    }

    /**
     * Follows the tree down: a {@code local} change reaches nobody; a {@code locked} one reaches everybody
     * (superseding own values below); an {@code overridable} one stops at the first node with an own value,
     * which hides it for itself and, unless its own value is {@code local}, for its subtree.
     */
    private static void walk(
            List<Federation.TreeNode> children,
            Mode mode,
            Map<String, Mode> owners,
            NodeRef hiddenBy,
            List<Reach> out) {
        for (Federation.TreeNode child : children) {
            Mode own = owners.get(child.node().code());
            NodeRef hides = hiddenBy;
            boolean reached;
            if (mode == Mode.LOCAL) {
                reached = false;
            } else if (mode == Mode.LOCKED) {
                reached = true;
            } else if (hiddenBy != null) {
                reached = false;
            } else if (own != null) {
                reached = false;
                hides = child.node();
            } else {
                reached = true;
            }
            out.add(new Reach(child.node(), reached, reached ? null : hides, own));
            NodeRef below = own == Mode.LOCAL && hides == child.node() ? hiddenBy : hides;
            walk(child.children(), mode, owners, below, out);
        }
    }

    /** A change with the given longest value (settings keep their 4,000-character limit). */
    int change(String topic, List<Change> changes, int maxValue) throws LockedException {
        return changeChecked(topic, changes, maxValue);
    }

    // --- reconciliation ------------------------------------------------------------------------------------

    /** A digest of each item this node inherited for a topic (what its parent's feed gave it). */
    Map<String, String> inheritedDigests(String topic) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = store.storage().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT item_key, " + INHERITED_COLUMNS + " FROM edufed_item_inherited WHERE topic = ?")) {
            ps.setString(1, topic);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Inherited in = inherited(rs, 2);
                    out.put(rs.getString(1), digest(in.value(), in.mode(), in.setBy(), in.overriddenBy()));
                }
            }
        }
        return out;
    }

    /** A digest of each item a child of {@code level} should have inherited from this node for a topic. */
    Map<String, String> downwardDigests(String topic, Level level) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = store.storage().dataSource().getConnection()) {
            Set<String> keys = new TreeSet<>();
            for (String table : new String[] {"edufed_item", "edufed_item_inherited"}) {
                try (PreparedStatement ps = c.prepareStatement("SELECT item_key FROM " + table + " WHERE topic = ?")) {
                    ps.setString(1, topic);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            keys.add(rs.getString(1));
                        }
                    }
                }
            }
            for (String key : keys) {
                ObjectNode down = downward(key, inherited(c, topic, key), own(c, topic, key));
                if (!down.path("deleted").asBoolean(false)) {
                    NodeRef over = down.hasNonNull("overriddenBy") ? ref(down.path("overriddenBy")) : null;
                    out.put(
                            key,
                            digest(
                                    topics.visibleTo(
                                            topic, level, down.path("value").asText()),
                                    Mode.parse(down.path("mode").asText()),
                                    ref(down.path("setBy")),
                                    over));
                }
            }
        }
        return out;
    }

    private static String digest(String value, Mode mode, NodeRef setBy, NodeRef over) {
        return SignedMessages.sha256Hex(
                value + "\n" + mode.id() + "\n" + setBy.code() + "\n" + (over == null ? "" : over.code()));
    }

    /** Forgets inherited items the parent no longer has, and tells this node's children, in one transaction. */
    void forgetInherited(String topic, List<String> keys) throws SQLException {
        if (keys.isEmpty()) {
            return;
        }
        store.storage().inTransaction(c -> {
            List<FederationStore.FeedEntry> feed = new ArrayList<>();
            try (PreparedStatement del =
                    c.prepareStatement("DELETE FROM edufed_item_inherited WHERE topic = ? AND item_key = ?")) {
                for (String key : keys) {
                    del.setString(1, topic);
                    del.setString(2, key);
                    del.addBatch();
                    if (mayHaveChildren) {
                        feed.add(new FederationStore.FeedEntry(
                                topic, key, Json.text(downward(key, null, own(c, topic, key)))));
                    }
                }
                del.executeBatch();
            }
            store.appendAll(c, feed);
            return null;
        });
    }

    // --- the feed: applying the parent's, publishing this node's ---------------------------------------

    /** One item of the parent's feed. */
    record FeedItem(long seq, String topic, JsonNode payload) {}

    /**
     * Applies items of the parent's feed inside the caller's transaction (idempotent: the same items twice
     * leave the same state) and passes on to this node's children what they should now see. When an item
     * appears more than once, its last state is what counts.
     */
    void applyFromParent(Connection c, List<FeedItem> items) throws SQLException {
        Map<String, FeedItem> last = new LinkedHashMap<>();
        for (FeedItem item : items) {
            String id = item.topic() + "\n" + item.payload().path("key").asText();
            last.remove(id);
            last.put(id, item);
        }
        Map<String, List<String>> keysByTopic = new LinkedHashMap<>();
        for (FeedItem item : last.values()) {
            keysByTopic
                    .computeIfAbsent(item.topic(), t -> new ArrayList<>())
                    .add(item.payload().path("key").asText());
        }
        // which items are held already: those are updated (or deleted by a tombstone), the others inserted
        Map<String, Set<String>> held = new HashMap<>();
        for (Map.Entry<String, List<String>> t : keysByTopic.entrySet()) {
            held.put(t.getKey(), keys(c, "edufed_item_inherited", t.getKey(), t.getValue()));
        }
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO edufed_item_inherited (topic, item_key,"
                        + " item_value, mode, set_level, set_code, set_name, over_level, over_code, over_name,"
                        + " version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                PreparedStatement up = c.prepareStatement("UPDATE edufed_item_inherited SET item_value = ?, mode = ?,"
                        + " set_level = ?, set_code = ?, set_name = ?, over_level = ?, over_code = ?, over_name = ?,"
                        + " version = ?, updated_at = ? WHERE topic = ? AND item_key = ?");
                PreparedStatement del =
                        c.prepareStatement("DELETE FROM edufed_item_inherited WHERE topic = ? AND item_key = ?")) {
            boolean inserts = false, updates = false, deletes = false;
            for (FeedItem item : last.values()) {
                String key = item.payload().path("key").asText();
                boolean there = held.get(item.topic()).contains(key);
                Inherited in = inherited(item);
                if (in == null) {
                    if (there) {
                        del.setString(1, item.topic());
                        del.setString(2, key);
                        del.addBatch();
                        deletes = true;
                    }
                } else if (there) {
                    up.setString(1, in.value());
                    up.setString(2, in.mode().id());
                    bindRef(up, 3, in.setBy());
                    bindRef(up, 6, in.overriddenBy());
                    up.setLong(9, in.version());
                    up.setTimestamp(10, now);
                    up.setString(11, item.topic());
                    up.setString(12, key);
                    up.addBatch();
                    updates = true;
                } else {
                    ins.setString(1, item.topic());
                    ins.setString(2, key);
                    ins.setString(3, in.value());
                    ins.setString(4, in.mode().id());
                    bindRef(ins, 5, in.setBy());
                    bindRef(ins, 8, in.overriddenBy());
                    ins.setLong(11, in.version());
                    ins.setTimestamp(12, now);
                    ins.addBatch();
                    inserts = true;
                }
            }
            if (deletes) {
                del.executeBatch();
            }
            if (updates) {
                up.executeBatch();
            }
            if (inserts) {
                ins.executeBatch();
            }
        }
        if (!mayHaveChildren) {
            return;
        }
        Map<String, Map<String, Own>> owns = new HashMap<>();
        for (Map.Entry<String, List<String>> t : keysByTopic.entrySet()) {
            owns.put(t.getKey(), ownFor(c, t.getKey(), t.getValue()));
        }
        List<FederationStore.FeedEntry> feed = new ArrayList<>(last.size());
        for (FeedItem item : last.values()) {
            String key = item.payload().path("key").asText();
            Own own = owns.get(item.topic()).get(key);
            feed.add(new FederationStore.FeedEntry(item.topic(), key, Json.text(downward(key, inherited(item), own))));
        }
        store.appendAll(c, feed);
    }

    /** What an item of the parent's feed says this node inherits ({@code null}: nothing, a tombstone). */
    private static Inherited inherited(FeedItem item) {
        JsonNode p = item.payload();
        Mode mode = Mode.parse(p.path("mode").asText());
        if (p.path("deleted").asBoolean(false)
                || mode == null
                || !p.path("value").isTextual()) {
            return null;
        }
        NodeRef over = p.hasNonNull("overriddenBy") ? ref(p.path("overriddenBy")) : null;
        return new Inherited(p.path("value").asText(), mode, ref(p.path("setBy")), over, item.seq());
    }

    private static void bindRef(PreparedStatement ps, int first, NodeRef ref) throws SQLException {
        ps.setString(first, ref == null ? null : ref.level());
        ps.setString(first + 1, ref == null ? null : ref.code());
        ps.setString(first + 2, ref == null ? null : ref.name());
    }

    /** What the children of this node inherit for a key (a tombstone when nothing). */
    private ObjectNode downward(String key, Inherited in, Own own) {
        ObjectNode item = Json.object().put("key", key);
        if (in != null && in.mode() == Mode.LOCKED) {
            return fill(item, in.value(), in.mode(), in.setBy(), in.overriddenBy());
        }
        if (own != null && own.mode() != Mode.LOCAL) {
            return in != null
                    ? fill(item, own.value(), own.mode(), in.setBy(), self)
                    : fill(item, own.value(), own.mode(), self, null);
        }
        if (in != null) {
            return fill(item, in.value(), in.mode(), in.setBy(), in.overriddenBy());
        }
        return item.put("deleted", true);
    }

    private static ObjectNode fill(ObjectNode item, String value, Mode mode, NodeRef setBy, NodeRef over) {
        item.put("value", value).put("mode", mode.id());
        item.set("setBy", refJson(setBy));
        if (over != null) {
            item.set("overriddenBy", refJson(over));
        }
        return item;
    }

    private Optional<Item> effective(String topic, String key, Inherited in, Own own) {
        if (in != null && (in.mode() == Mode.LOCKED || own == null)) {
            return Optional.of(new Item(topic, key, in.value(), provenance(in), in.version()));
        }
        if (own != null) {
            Provenance p =
                    in != null ? new Provenance(in.setBy(), own.mode(), self) : new Provenance(self, own.mode(), null);
            return Optional.of(new Item(topic, key, own.value(), p, in == null ? 0L : in.version()));
        }
        return Optional.empty();
    }

    private static Provenance provenance(Inherited in) {
        return new Provenance(in.setBy(), in.mode(), in.overriddenBy());
    }

    private static Own own(Connection c, String topic, String key) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT item_value, mode FROM edufed_item WHERE topic = ? AND item_key = ?")) {
            ps.setString(1, topic);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Own(rs.getString(1), Mode.parse(rs.getString(2))) : null;
            }
        }
    }

    /** This node's own values of the keys (see {@link #forKeys}). */
    private Map<String, Own> ownFor(Connection c, String topic, List<String> keys) throws SQLException {
        Map<String, Own> out = new HashMap<>();
        forKeys(
                c,
                ", item_value, mode",
                "edufed_item",
                topic,
                keys,
                (key, rs) -> out.put(key, new Own(rs.getString(2), Mode.parse(rs.getString(3)))));
        return out;
    }

    /** Which of the keys have an own value here (see {@link #forKeys}). */
    private Set<String> ownKeys(Connection c, String topic, List<String> keys) throws SQLException {
        return keys(c, "edufed_item", topic, keys);
    }

    /** Which of the keys have a row in the table, {@code edufed_item} or {@code edufed_item_inherited}. */
    private Set<String> keys(Connection c, String table, String topic, List<String> keys) throws SQLException {
        Set<String> out = new HashSet<>();
        forKeys(c, "", table, topic, keys, (key, rs) -> out.add(key));
        return out;
    }

    /** What this node inherited for the keys (see {@link #forKeys}). */
    private Map<String, Inherited> inheritedFor(Connection c, String topic, List<String> keys) throws SQLException {
        Map<String, Inherited> out = new HashMap<>();
        forKeys(
                c,
                ", " + INHERITED_COLUMNS,
                "edufed_item_inherited",
                topic,
                keys,
                (key, rs) -> out.put(key, inherited(rs, 2)));
        return out;
    }

    @FunctionalInterface
    private interface RowReader {
        /** Reads a row whose column 1 is the key, the columns asked for from column 2 on. */
        void read(String key, ResultSet rs) throws SQLException;
    }

    /**
     * Reads many keys of a topic from a table keyed by (topic, item_key): the rows found are given to the
     * reader, once each. On Derby, a batch first reads the range of the primary key from its smallest key to
     * its largest in one statement, at most about twice as many rows as keys (a bulk change's keys are mostly
     * new, or near each other): when that range holds no more rows, what it did not find is not there, and
     * nothing else is read; otherwise the keys not found yet are looked up one by one, one primary-key lookup
     * each through one prepared statement. (An {@code IN} list on the key's second column made Derby scan the
     * topic's rows for every chunk of keys, a cost that grew with the table.) Keys are compared as Derby
     * compares them only for the ASCII keys {@link #KEY} allows; other keys are always looked up one by one,
     * as on PostgreSQL, whose collation may order them differently.
     */
    private void forKeys(Connection c, String columns, String table, String topic, List<String> keys, RowReader reader)
            throws SQLException {
        Set<String> wanted = new HashSet<>(keys);
        Set<String> found = new HashSet<>();
        if (wanted.size() > 1 && store.storage().dialect() == Dialect.DERBY) {
            String min = null;
            String max = null;
            boolean ascii = true;
            for (String key : wanted) {
                ascii &= KEY.matcher(key).matches();
                min = min == null || key.compareTo(min) < 0 ? key : min;
                max = max == null || key.compareTo(max) > 0 ? key : max;
            }
            if (ascii) {
                int limit = 2 * wanted.size() + 16;
                int rows = 0;
                try (PreparedStatement ps = c.prepareStatement("SELECT item_key" + columns + " FROM " + table
                        + " WHERE topic = ? AND item_key >= ? AND item_key <= ?")) {
                    ps.setString(1, topic);
                    ps.setString(2, min);
                    ps.setString(3, max);
                    ps.setMaxRows(limit);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            rows++;
                            String key = rs.getString(1);
                            if (wanted.contains(key) && found.add(key)) {
                                reader.read(key, rs);
                            }
                        }
                    }
                }
                if (rows < limit) {
                    return; // the whole range was read
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT item_key" + columns + " FROM " + table + " WHERE topic = ? AND item_key = ?")) {
            ps.setString(1, topic);
            for (String key : wanted) {
                if (found.contains(key)) {
                    continue;
                }
                ps.setString(2, key);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        found.add(key);
                        reader.read(key, rs);
                    }
                }
            }
        }
    }

    private static final String INHERITED_COLUMNS =
            "item_value, mode, set_level, set_code, set_name, over_level, over_code, over_name, version";

    private static Inherited inherited(Connection c, String topic, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT " + INHERITED_COLUMNS + " FROM edufed_item_inherited WHERE topic = ? AND item_key = ?")) {
            ps.setString(1, topic);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? inherited(rs, 1) : null;
            }
        }
    }

    /** Reads the {@link #INHERITED_COLUMNS} starting at column {@code first}. */
    private static Inherited inherited(ResultSet rs, int first) throws SQLException {
        NodeRef over = rs.getString(first + 6) == null
                ? null
                : new NodeRef(rs.getString(first + 5), rs.getString(first + 6), rs.getString(first + 7));
        return new Inherited(
                rs.getString(first),
                Mode.parse(rs.getString(first + 1)),
                new NodeRef(rs.getString(first + 2), rs.getString(first + 3), rs.getString(first + 4)),
                over,
                rs.getLong(first + 8));
    }

    static ObjectNode refJson(NodeRef ref) {
        return Json.object().put("level", ref.level()).put("code", ref.code()).put("name", ref.name());
    }

    static NodeRef ref(JsonNode n) {
        return new NodeRef(
                n.path("level").asText(),
                n.path("code").asText(),
                n.path("name").asText());
    }

    /** Carries a lock refusal out of the transaction (which it rolls back). */
    private static final class LockedSignal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String key;
        private final transient Provenance provenance;

        LockedSignal(String key, Provenance provenance) {
            super(null, null, false, false);
            this.key = key;
            this.provenance = provenance;
        }
    }
}
