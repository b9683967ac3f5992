package org.edufed.connector.exchange.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The exchange's tables (migrated on activation) and their SQL: tokens, children, parent, nonces,
 * rejections, the feed and watermarks. A service of this bundle only.
 */
@Component(service = FederationStore.class)
public final class FederationStore {

    static final String OWNER = "org.edufed.connector.exchange";

    /** A child as the parent keeps it, with its key. */
    record ChildRow(
            NodeRef node,
            String url,
            String publicKey,
            String algorithm,
            String status,
            Instant enrolledAt,
            Instant lastSeen,
            String version,
            String subtree,
            String previousKey) {
        Federation.Child toChild() {
            return new Federation.Child(node, url, algorithm, status, enrolledAt, lastSeen);
        }
    }

    /** The parent as the child keeps it, with its key. */
    record ParentRow(NodeRef node, String url, String publicKey, String algorithm, Instant enrolledAt) {
        Federation.Parent toParent() {
            return new Federation.Parent(node, url, algorithm, enrolledAt);
        }
    }

    /** One entry of the feed. */
    record FeedItem(long seq, String topic, String key, String payload) {}

    /** Where this node stands with its parent's feed. */
    record Watermark(
            String topic,
            long seq,
            Instant lastSuccess,
            String lastError,
            Instant lastErrorAt,
            Long parentHead,
            long applied) {}

    private final Storage storage;

    @Activate
    public FederationStore(@Reference Storage storage) throws SQLException {
        this.storage = storage;
        storage.migrate(OWNER, FederationStore.class.getClassLoader(), "org/edufed/connector/exchange/db");
    }

    Storage storage() {
        return storage;
    }

    // --- tokens -----------------------------------------------------------------------------------

    void addToken(String hash, Instant expires) throws SQLException {
        storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO edufed_fed_token (token_hash, created_at, expires_at) VALUES (?, ?, ?)")) {
                ps.setString(1, hash);
                ps.setTimestamp(2, Timestamp.from(Instant.now()));
                ps.setTimestamp(3, Timestamp.from(expires));
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Marks an unused, unexpired token used; false when there is none such. */
    boolean useToken(Connection c, String hash, String usedBy) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE edufed_fed_token SET used_at = ?, used_by = ?"
                + " WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?")) {
            Timestamp now = Timestamp.from(Instant.now());
            ps.setTimestamp(1, now);
            ps.setString(2, usedBy);
            ps.setString(3, hash);
            ps.setTimestamp(4, now);
            return ps.executeUpdate() == 1;
        }
    }

    // --- children ---------------------------------------------------------------------------------

    void putChild(Connection c, NodeRef node, String url, String publicKey, String algorithm) throws SQLException {
        try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_fed_child WHERE code = ?")) {
            del.setString(1, node.code());
            del.executeUpdate();
        }
        try (PreparedStatement ps =
                c.prepareStatement("INSERT INTO edufed_fed_child (code, level, name, url, public_key,"
                        + " algorithm, status, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?)")) {
            ps.setString(1, node.code());
            ps.setString(2, node.level());
            ps.setString(3, node.name());
            ps.setString(4, url);
            ps.setString(5, publicKey);
            ps.setString(6, algorithm);
            ps.setTimestamp(7, Timestamp.from(Instant.now()));
            ps.executeUpdate();
        }
    }

    Optional<ChildRow> child(String code) throws SQLException {
        List<ChildRow> rows = children("WHERE code = ?", code);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    List<ChildRow> children() throws SQLException {
        return children("", null);
    }

    private List<ChildRow> children(String where, String arg) throws SQLException {
        List<ChildRow> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT code, level, name, url, public_key, algorithm, status,"
                                + " enrolled_at, last_seen, version, subtree, previous_key FROM edufed_fed_child "
                                + where
                                + " ORDER BY code")) {
            if (arg != null) {
                ps.setString(1, arg);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ChildRow(
                            new NodeRef(rs.getString(2), rs.getString(1), rs.getString(3)),
                            rs.getString(4),
                            rs.getString(5),
                            rs.getString(6),
                            rs.getString(7),
                            instant(rs.getTimestamp(8)),
                            instant(rs.getTimestamp(9)),
                            rs.getString(10),
                            rs.getString(11),
                            rs.getString(12)));
                }
            }
        }
        return out;
    }

    boolean revoke(String code) throws SQLException {
        return storage.inTransaction(c -> {
            try (PreparedStatement ps =
                    c.prepareStatement("UPDATE edufed_fed_child SET status = 'revoked' WHERE code = ?")) {
                ps.setString(1, code);
                return ps.executeUpdate() == 1;
            }
        });
    }

    void recordHeartbeat(String code, String version, String subtree) throws SQLException {
        storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE edufed_fed_child SET last_seen = ?, version = ?, subtree = ? WHERE code = ?")) {
                ps.setTimestamp(1, Timestamp.from(Instant.now()));
                ps.setString(2, version);
                ps.setString(3, subtree);
                ps.setString(4, code);
                ps.executeUpdate();
            }
            return null;
        });
    }

    // --- parent -----------------------------------------------------------------------------------

    void putParent(NodeRef node, String url, String publicKey, String algorithm) throws SQLException {
        storage.inTransaction(c -> {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_fed_parent")) {
                del.executeUpdate();
            }
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_fed_watermark")) {
                del.executeUpdate(); // a new parent: its feed starts from the beginning
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO edufed_fed_parent (code, level, name, url,"
                    + " public_key, algorithm, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, node.code());
                ps.setString(2, node.level());
                ps.setString(3, node.name());
                ps.setString(4, url);
                ps.setString(5, publicKey);
                ps.setString(6, algorithm);
                ps.setTimestamp(7, Timestamp.from(Instant.now()));
                ps.executeUpdate();
            }
            return null;
        });
    }

    Optional<ParentRow> parent() throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT code, level, name, url, public_key, algorithm, enrolled_at FROM edufed_fed_parent");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new ParentRow(
                    new NodeRef(rs.getString(2), rs.getString(1), rs.getString(3)),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getString(6),
                    instant(rs.getTimestamp(7))));
        }
    }

    // --- key rotation ------------------------------------------------------------------------------

    /** A child rotated its key: the new one is used from now on, the old one until the new one is first seen. */
    void rotateChildKey(String code, String newKey) throws SQLException {
        execute(
                "UPDATE edufed_fed_child SET previous_key = public_key, public_key = ? WHERE code = ?"
                        + " AND status = 'active'",
                newKey,
                code);
    }

    /** The child signed with its new key: the previous one is no longer accepted. */
    void forgetPreviousKey(String code) throws SQLException {
        execute("UPDATE edufed_fed_child SET previous_key = NULL WHERE code = ?", code);
    }

    /** The parent rotated its key (this node followed its signed rotation statement). */
    void setParentKey(String newKey) throws SQLException {
        execute("UPDATE edufed_fed_parent SET public_key = ?", newKey);
    }

    void addKeyRotation(String envelope) throws SQLException {
        execute(
                "INSERT INTO edufed_fed_key_rotation (rotated_at, envelope) VALUES (?, ?)",
                Timestamp.from(Instant.now()),
                envelope);
    }

    /** One statement in a transaction of its own. */
    private void execute(String sql, Object... params) throws SQLException {
        storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** This node's latest rotation envelopes, oldest first. */
    List<String> keyRotations(int latest) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT envelope FROM edufed_fed_key_rotation ORDER BY id DESC")) {
            ps.setMaxRows(latest);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(0, rs.getString(1));
                }
            }
        }
        return out;
    }

    // --- nonces and rejections --------------------------------------------------------------------

    /** Records a nonce; false when it was seen before (a replay). */
    boolean firstUse(String node, String nonce) throws SQLException {
        try {
            storage.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO edufed_fed_nonce (node_code, nonce, seen_at) VALUES (?, ?, ?)")) {
                    ps.setString(1, node);
                    ps.setString(2, nonce);
                    ps.setTimestamp(3, Timestamp.from(Instant.now()));
                    ps.executeUpdate();
                }
                return null;
            });
            return true;
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("23")) {
                return false;
            }
            throw e;
        }
    }

    /** Forgets nonces older than the accepted clock skew: older messages are refused by their time anyway. */
    int purgeNonces(Instant before) throws SQLException {
        return storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM edufed_fed_nonce WHERE seen_at < ?")) {
                ps.setTimestamp(1, Timestamp.from(before));
                return ps.executeUpdate();
            }
        });
    }

    void reject(String node, String path, String reason) throws SQLException {
        storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO edufed_fed_rejected (rejected_at, node_code, path, reason) VALUES (?, ?, ?, ?)")) {
                ps.setTimestamp(1, Timestamp.from(Instant.now()));
                ps.setString(2, node == null ? null : truncate(node, 20));
                ps.setString(3, truncate(path, 200));
                ps.setString(4, truncate(reason, 200));
                ps.executeUpdate();
            }
            return null;
        });
    }

    int rejectedCount() throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM edufed_fed_rejected");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    // --- feed -------------------------------------------------------------------------------------

    /** An entry to append to the feed. */
    record FeedEntry(String topic, String key, String payload) {}

    /**
     * Raises the named sequence of {@code edufed_fed_seq} to at least {@code floor} and then by {@code by}, in the
     * caller's transaction (the row stays locked until it ends); returns the new value: the values from {@code
     * new - by} up to {@code new - 1} are the caller's.
     */
    static long advanceSequence(Connection c, String name, long floor, long by) throws SQLException {
        try (PreparedStatement up = c.prepareStatement("UPDATE edufed_fed_seq SET value = CASE WHEN value >"
                + " CAST(? AS BIGINT) THEN value ELSE CAST(? AS BIGINT) END + CAST(? AS BIGINT) WHERE name = ?")) {
            up.setLong(1, floor);
            up.setLong(2, floor);
            up.setLong(3, by);
            up.setString(4, name);
            if (up.executeUpdate() != 1) {
                throw new SQLException("edufed_fed_seq has no row " + name);
            }
        }
        try (PreparedStatement q = c.prepareStatement("SELECT value FROM edufed_fed_seq WHERE name = ?")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Appends entries to the feed inside the caller's transaction, in order. The sequence row is locked until
     * commit, so appends serialise and a reader never sees seq n+1 committed before seq n; seqs have no gaps.
     */
    void appendAll(Connection c, List<FeedEntry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        long seq = advanceSequence(c, "feed", 0, entries.size()) - entries.size();
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO edufed_fed_feed (seq, topic, item_key, payload, created_at) VALUES (?, ?, ?, ?, ?)")) {
            for (FeedEntry e : entries) {
                ps.setLong(1, ++seq);
                ps.setString(2, e.topic());
                ps.setString(3, e.key());
                ps.setString(4, e.payload());
                ps.setTimestamp(5, now);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    List<FeedItem> feed(long since, int limit) throws SQLException {
        List<FeedItem> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT seq, topic, item_key, payload FROM edufed_fed_feed WHERE seq > ? ORDER BY seq")) {
            ps.setLong(1, since);
            ps.setMaxRows(limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new FeedItem(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
        }
        return out;
    }

    long feedHead() throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT value FROM edufed_fed_seq WHERE name = 'feed'");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    // --- watermarks -------------------------------------------------------------------------------

    long watermark(Connection c, String topic) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM edufed_fed_watermark WHERE topic = ?")) {
            ps.setString(1, topic);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        }
    }

    void setWatermark(Connection c, String topic, long seq) throws SQLException {
        update(c, topic, "seq = ?, last_success = ?, last_error = NULL", seq, Timestamp.from(Instant.now()));
    }

    /**
     * Counts items of a topic applied from the parent's feed (down) or acknowledged by the parent (up): the
     * last feed seq or outbox id, how many so far, when.
     */
    void advance(Connection c, String topic, long seq, long count) throws SQLException {
        update(
                c,
                topic,
                "seq = ?, applied = applied + ?, last_success = ?, last_error = NULL",
                seq,
                count,
                Timestamp.from(Instant.now()));
    }

    /** A successful pull: the parent's feed head as its last page reported it (how far behind this node is). */
    void setParentHead(Connection c, long head) throws SQLException {
        update(
                c,
                Sync.FEED,
                "parent_head = ?, last_success = ?, last_error = NULL",
                head,
                Timestamp.from(Instant.now()));
    }

    /** A successful exchange of a kind ({@code up}, {@code heartbeat}). */
    void succeeded(String topic) throws SQLException {
        storage.inTransaction(c -> {
            update(c, topic, "last_success = ?, last_error = NULL", Timestamp.from(Instant.now()));
            return null;
        });
    }

    void recordError(String topic, String error) throws SQLException {
        storage.inTransaction(c -> {
            update(c, topic, "last_error = ?, last_error_at = ?", truncate(error, 500), Timestamp.from(Instant.now()));
            return null;
        });
    }

    /** Updates a topic's status row, creating it first when there is none. */
    private static void update(Connection c, String topic, String assignments, Object... values) throws SQLException {
        for (int attempt = 0; attempt < 2; attempt++) {
            try (PreparedStatement up =
                    c.prepareStatement("UPDATE edufed_fed_watermark SET " + assignments + " WHERE topic = ?")) {
                for (int i = 0; i < values.length; i++) {
                    up.setObject(i + 1, values[i]);
                }
                up.setString(values.length + 1, topic);
                if (up.executeUpdate() == 1) {
                    return;
                }
            }
            try (PreparedStatement ins =
                    c.prepareStatement("INSERT INTO edufed_fed_watermark (topic, seq) VALUES (?, 0)")) {
                ins.setString(1, topic);
                ins.executeUpdate();
            }
        }
    }

    List<Watermark> watermarks() throws SQLException {
        List<Watermark> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT topic, seq, last_success, last_error, last_error_at,"
                        + " parent_head, applied FROM edufed_fed_watermark ORDER BY topic");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long head = rs.getLong(6);
                Long parentHead = rs.wasNull() ? null : head;
                out.add(new Watermark(
                        rs.getString(1),
                        rs.getLong(2),
                        instant(rs.getTimestamp(3)),
                        rs.getString(4),
                        instant(rs.getTimestamp(5)),
                        parentHead,
                        rs.getLong(7)));
            }
        }
        return out;
    }

    /** Per topic: how many rows of a table (outbox, dead letters, records held, items inherited). */
    Map<String, Integer> countByTopic(String table) throws SQLException {
        if (!table.matches("edufed_fed_(outbox|dead|record)|edufed_item_inherited")) {
            throw new IllegalArgumentException(table);
        }
        Map<String, Integer> out = new HashMap<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT topic, COUNT(*) FROM " + table + " GROUP BY topic");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getInt(2));
            }
        }
        return out;
    }

    /**
     * How many rows of a table one topic has (records held, items inherited): counted over the topic's range of
     * the primary key, which on Derby reads and copies far less than counting every topic at once.
     */
    int countOf(String table, String topic) throws SQLException {
        if (!table.matches("edufed_fed_(outbox|dead|record)|edufed_item_inherited")) {
            throw new IllegalArgumentException(table);
        }
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE topic = ?")) {
            ps.setString(1, topic);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * Compacts the feed: an entry superseded by a later entry of the same item goes (applying an item is
     * idempotent and carries its whole state, so a child that is behind still converges to the same result).
     * Returns how many entries were removed.
     */
    int compactFeed() throws SQLException {
        return storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM edufed_fed_feed WHERE EXISTS (SELECT 1 FROM"
                    + " edufed_fed_feed later WHERE later.topic = edufed_fed_feed.topic"
                    + " AND later.item_key = edufed_fed_feed.item_key AND later.seq > edufed_fed_feed.seq)")) {
                return ps.executeUpdate();
            }
        });
    }

    static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
