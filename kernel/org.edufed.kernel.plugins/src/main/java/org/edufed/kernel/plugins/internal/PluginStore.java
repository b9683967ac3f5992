package org.edufed.kernel.plugins.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.edufed.kernel.api.storage.Storage;

/** The {@code edufed_plugin} table: what this node runs or tried to run, one row a plugin. */
final class PluginStore {

    enum State {
        WAITING,
        RUNNING,
        REFUSED,
        FAILED,
        REVOKED,
        REMOVED;

        String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A row. {@code reasonArgs} are the text arguments of {@code reasonKey} (JSON array text). */
    record Row(
            String id,
            String version,
            String digest,
            State state,
            String reasonKey,
            String reasonArgs,
            String runningVersion,
            String runningDigest,
            String featureName,
            String featureVersion,
            String featuresUri,
            List<String> bundles,
            String descriptor,
            long statusVersion,
            Instant updatedAt) {

        boolean running() {
            return runningDigest != null;
        }

        Object[] args() {
            if (reasonArgs == null) {
                return new Object[0];
            }
            ArrayNode a;
            try {
                a = (ArrayNode) CatalogueEntry.MAPPER.readTree(reasonArgs);
            } catch (java.io.IOException | ClassCastException e) {
                return new Object[] {reasonArgs};
            }
            Object[] out = new Object[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = a.get(i).asText();
            }
            return out;
        }

        /** The status record that goes up the tree. */
        String statusJson(String node) {
            ObjectNode o = CatalogueEntry.MAPPER.createObjectNode();
            o.put("id", id);
            o.put("node", node);
            o.put("version", version);
            o.put("digest", digest);
            o.put("state", state.id());
            o.put("runningVersion", runningVersion);
            if (reasonKey != null) {
                o.put("reasonKey", reasonKey);
                o.put("reason", Texts.get(java.util.Locale.ROOT, reasonKey, args()));
            }
            o.put("at", updatedAt.toString());
            return o.toString();
        }
    }

    static String args(Object... args) {
        ArrayNode a = CatalogueEntry.MAPPER.createArrayNode();
        for (Object o : args) {
            a.add(String.valueOf(o));
        }
        return a.toString();
    }

    private static final String COLUMNS = "plugin_id, version, digest, state, reason_key, reason_args, running_version,"
            + " running_digest, feature_name, feature_version, features_uri, bundles, descriptor, status_version, updated_at";

    private final Storage storage;

    PluginStore(Storage storage) {
        this.storage = storage;
    }

    Map<String, Row> all() throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT " + COLUMNS + " FROM edufed_plugin ORDER BY plugin_id");
                ResultSet rs = ps.executeQuery()) {
            Map<String, Row> out = new LinkedHashMap<>();
            while (rs.next()) {
                Row r = row(rs);
                out.put(r.id(), r);
            }
            return out;
        }
    }

    /** The digests tried here and refused or failed. */
    java.util.Set<String> attempted() throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT digest FROM edufed_plugin_attempt");
                ResultSet rs = ps.executeQuery()) {
            java.util.Set<String> out = new java.util.HashSet<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }

    /** Remembers a refused or failed archive, inside the caller's transaction. */
    void attempted(Connection c, Row r) throws SQLException {
        try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_plugin_attempt WHERE digest = ?")) {
            del.setString(1, r.digest());
            del.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO edufed_plugin_attempt"
                + " (digest, plugin_id, version, state, reason_key, attempted_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, r.digest());
            ps.setString(2, r.id());
            ps.setString(3, r.version());
            ps.setString(4, r.state().name());
            ps.setString(5, r.reasonKey());
            ps.setTimestamp(6, Timestamp.from(r.updatedAt()));
            ps.executeUpdate();
        }
    }

    /** Writes the row (insert or replace) inside the caller's transaction. */
    void put(Connection c, Row r) throws SQLException {
        try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_plugin WHERE plugin_id = ?")) {
            del.setString(1, r.id());
            del.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO edufed_plugin (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, r.id());
            ps.setString(2, r.version());
            ps.setString(3, r.digest());
            ps.setString(4, r.state().name());
            ps.setString(5, r.reasonKey());
            ps.setString(6, r.reasonArgs());
            ps.setString(7, r.runningVersion());
            ps.setString(8, r.runningDigest());
            ps.setString(9, r.featureName());
            ps.setString(10, r.featureVersion());
            ps.setString(11, r.featuresUri());
            ps.setString(12, r.bundles() == null || r.bundles().isEmpty() ? null : String.join("\n", r.bundles()));
            ps.setString(13, r.descriptor());
            ps.setLong(14, r.statusVersion());
            ps.setTimestamp(15, Timestamp.from(r.updatedAt()));
            ps.executeUpdate();
        }
    }

    private static Row row(ResultSet rs) throws SQLException {
        String bundles = rs.getString(12);
        return new Row(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                State.valueOf(rs.getString(4)),
                rs.getString(5),
                rs.getString(6),
                rs.getString(7),
                rs.getString(8),
                rs.getString(9),
                rs.getString(10),
                rs.getString(11),
                bundles == null ? List.of() : new ArrayList<>(List.of(bundles.split("\n"))),
                rs.getString(13),
                rs.getLong(14),
                rs.getTimestamp(15).toInstant());
    }
}
