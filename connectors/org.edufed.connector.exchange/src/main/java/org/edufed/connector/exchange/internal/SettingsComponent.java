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
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.federation.Provenance;
import org.edufed.kernel.api.federation.Settings;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Inheritable settings. A node has its own values and what it inherited from its parent's feed; the
 * effective value follows the mode set above: a {@code locked} inherited value wins; otherwise this node's
 * own value overrides (with provenance saying so); otherwise the inherited value applies. What the children
 * see is published on this node's feed in the same transaction as the change.
 */
@Component(service = {Settings.class, SettingsComponent.class})
public final class SettingsComponent implements Settings {

    static final String TOPIC = "settings";
    static final Pattern KEY = Pattern.compile("[a-z0-9][a-z0-9._-]{0,199}");
    static final int MAX_VALUE = 4000;

    private final FederationStore store;
    private final NodeRef self;
    private final boolean mayHaveChildren;

    @Activate
    public SettingsComponent(@Reference FederationStore store, @Reference NodeIdentity identity) {
        this.store = store;
        this.self = new NodeRef(identity.level().id(), identity.code(), identity.name());
        this.mayHaveChildren = identity.level() != Level.SCHOOL;
    }

    record Own(String key, String value, Mode mode) {}

    record Inherited(String key, String value, Mode mode, NodeRef setBy, NodeRef overriddenBy, long version) {}

    @Override
    public List<EffectiveSetting> effective() {
        try (Connection c = store.storage().dataSource().getConnection()) {
            TreeSet<String> keys = new TreeSet<>();
            keys.addAll(column(c, "SELECT setting_key FROM edufed_setting"));
            keys.addAll(column(c, "SELECT setting_key FROM edufed_setting_inherited"));
            List<EffectiveSetting> out = new ArrayList<>();
            for (String key : keys) {
                effective(c, key).ifPresent(out::add);
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<EffectiveSetting> effective(String key) {
        try (Connection c = store.storage().dataSource().getConnection()) {
            return effective(c, key);
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public EffectiveSetting set(String key, String value, Mode mode) throws LockedException {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("setting.badKey");
        }
        if (value == null || value.length() > MAX_VALUE) {
            throw new IllegalArgumentException("setting.badValue");
        }
        if (mode == null) {
            throw new IllegalArgumentException("setting.badMode");
        }
        try {
            return store.storage().inTransaction(c -> {
                Optional<Inherited> inherited = inherited(c, key);
                if (inherited.isPresent() && inherited.get().mode() == Mode.LOCKED) {
                    throw new LockedSignal(provenance(inherited.get()));
                }
                try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_setting WHERE setting_key = ?")) {
                    del.setString(1, key);
                    del.executeUpdate();
                }
                try (PreparedStatement ins =
                        c.prepareStatement("INSERT INTO edufed_setting (setting_key, setting_value,"
                                + " mode, updated_at) VALUES (?, ?, ?, ?)")) {
                    ins.setString(1, key);
                    ins.setString(2, value);
                    ins.setString(3, mode.id());
                    ins.setTimestamp(4, Timestamp.from(Instant.now()));
                    ins.executeUpdate();
                }
                publish(c, key);
                return effective(c, key).orElseThrow();
            });
        } catch (LockedSignal locked) {
            throw new LockedException(key, locked.provenance);
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean remove(String key) throws LockedException {
        try {
            return store.storage().inTransaction(c -> {
                Optional<Inherited> inherited = inherited(c, key);
                if (inherited.isPresent() && inherited.get().mode() == Mode.LOCKED) {
                    throw new LockedSignal(provenance(inherited.get()));
                }
                int n;
                try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_setting WHERE setting_key = ?")) {
                    del.setString(1, key);
                    n = del.executeUpdate();
                }
                if (n > 0) {
                    publish(c, key);
                }
                return n > 0;
            });
        } catch (LockedSignal locked) {
            throw new LockedException(key, locked.provenance);
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    /**
     * Applies one inherited setting from the parent's feed inside the caller's transaction (idempotent: the
     * same item twice leaves the same state), and passes on to this node's children what they should see.
     */
    void applyFromParent(Connection c, JsonNode item, long version) throws SQLException {
        String key = item.path("key").asText();
        try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_setting_inherited WHERE setting_key = ?")) {
            del.setString(1, key);
            del.executeUpdate();
        }
        if (!item.path("deleted").asBoolean(false)) {
            NodeRef setBy = ref(item.path("setBy"));
            NodeRef over = item.hasNonNull("overriddenBy") ? ref(item.path("overriddenBy")) : null;
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO edufed_setting_inherited (setting_key,"
                    + " setting_value, mode, set_level, set_code, set_name, over_level, over_code, over_name, version,"
                    + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps(
                        ins,
                        key,
                        item.path("value").asText(),
                        Mode.parse(item.path("mode").asText()).id(),
                        setBy,
                        over,
                        version);
                ins.executeUpdate();
            }
        }
        publish(c, key);
    }

    private static void ps(
            PreparedStatement ins, String key, String value, String mode, NodeRef setBy, NodeRef over, long version)
            throws SQLException {
        ins.setString(1, key);
        ins.setString(2, value);
        ins.setString(3, mode);
        ins.setString(4, setBy.level());
        ins.setString(5, setBy.code());
        ins.setString(6, setBy.name());
        ins.setString(7, over == null ? null : over.level());
        ins.setString(8, over == null ? null : over.code());
        ins.setString(9, over == null ? null : over.name());
        ins.setLong(10, version);
        ins.setTimestamp(11, Timestamp.from(Instant.now()));
    }

    /** Puts on this node's feed what its children should now see for the key. */
    private void publish(Connection c, String key) throws SQLException {
        if (!mayHaveChildren) {
            return;
        }
        store.append(c, TOPIC, key, Json.text(downward(c, key)));
    }

    /** What the children of this node inherit for a key (a tombstone when nothing). */
    ObjectNode downward(Connection c, String key) throws SQLException {
        Optional<Inherited> in = inherited(c, key);
        Optional<Own> own = own(c, key);
        ObjectNode item = Json.object().put("key", key);
        if (in.isPresent() && in.get().mode() == Mode.LOCKED) {
            return fill(
                    item,
                    in.get().value(),
                    in.get().mode(),
                    in.get().setBy(),
                    in.get().overriddenBy());
        }
        if (own.isPresent() && own.get().mode() != Mode.LOCAL) {
            return in.isPresent()
                    ? fill(item, own.get().value(), own.get().mode(), in.get().setBy(), self)
                    : fill(item, own.get().value(), own.get().mode(), self, null);
        }
        if (in.isPresent()) {
            return fill(
                    item,
                    in.get().value(),
                    in.get().mode(),
                    in.get().setBy(),
                    in.get().overriddenBy());
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

    private Optional<EffectiveSetting> effective(Connection c, String key) throws SQLException {
        Optional<Inherited> in = inherited(c, key);
        Optional<Own> own = own(c, key);
        if (in.isPresent() && (in.get().mode() == Mode.LOCKED || own.isEmpty())) {
            return Optional.of(new EffectiveSetting(
                    key, in.get().value(), provenance(in.get()), in.get().version()));
        }
        if (own.isPresent()) {
            Provenance p = in.isPresent()
                    ? new Provenance(in.get().setBy(), own.get().mode(), self)
                    : new Provenance(self, own.get().mode(), null);
            return Optional.of(new EffectiveSetting(
                    key, own.get().value(), p, in.map(Inherited::version).orElse(0L)));
        }
        return Optional.empty();
    }

    private static Provenance provenance(Inherited in) {
        return new Provenance(in.setBy(), in.mode(), in.overriddenBy());
    }

    private static Optional<Own> own(Connection c, String key) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT setting_value, mode FROM edufed_setting WHERE setting_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? Optional.of(new Own(key, rs.getString(1), Mode.parse(rs.getString(2))))
                        : Optional.empty();
            }
        }
    }

    private static Optional<Inherited> inherited(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT setting_value, mode, set_level, set_code, set_name,"
                + " over_level, over_code, over_name, version FROM edufed_setting_inherited WHERE setting_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                NodeRef over =
                        rs.getString(7) == null ? null : new NodeRef(rs.getString(6), rs.getString(7), rs.getString(8));
                return Optional.of(new Inherited(
                        key,
                        rs.getString(1),
                        Mode.parse(rs.getString(2)),
                        new NodeRef(rs.getString(3), rs.getString(4), rs.getString(5)),
                        over,
                        rs.getLong(9)));
            }
        }
    }

    private static List<String> column(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
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
        private final transient Provenance provenance;

        LockedSignal(Provenance provenance) {
            super(null, null, false, false);
            this.provenance = provenance;
        }
    }
}
