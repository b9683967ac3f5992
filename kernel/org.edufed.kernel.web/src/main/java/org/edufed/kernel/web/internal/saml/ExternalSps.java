package org.edufed.kernel.web.internal.saml;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.edufed.kernel.api.storage.Storage;

/**
 * The service providers outside the tree that an administrator registered at this node's IdP (table {@code
 * edufed_saml_sp}): a name chosen here, the SP's entity ID and its SAML metadata as given.
 */
final class ExternalSps {

    static final String OWNER = "org.edufed.kernel.web";

    /** One registration. */
    record Entry(String name, String entityId, String metadata, String registeredBy, Instant registeredAt) {}

    private final Storage storage;

    ExternalSps(Storage storage) throws SQLException {
        this.storage = storage;
        storage.migrate(OWNER, ExternalSps.class.getClassLoader(), "org/edufed/kernel/web/db");
    }

    List<Entry> list() throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT name, entity_id, metadata, registered_by,"
                        + " registered_at FROM edufed_saml_sp ORDER BY name");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Entry(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getTimestamp(5).toInstant()));
            }
        }
        return out;
    }

    Optional<Entry> find(String name) throws SQLException {
        return list().stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /**
     * Registers or replaces an SP under {@code name}, in one transaction; refuses ({@code sso.sp.duplicate}) an
     * entity ID another registration holds. Returns whether it was new.
     */
    boolean put(Entry entry) throws SQLException {
        return storage.inTransaction(c -> {
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT name FROM edufed_saml_sp WHERE entity_id = ? AND name <> ?")) {
                ps.setString(1, entry.entityId());
                ps.setString(2, entry.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        throw new IllegalArgumentException("sso.sp.duplicate");
                    }
                }
            }
            int updated;
            try (PreparedStatement ps = c.prepareStatement("UPDATE edufed_saml_sp SET entity_id = ?, metadata = ?,"
                    + " registered_by = ?, registered_at = ? WHERE name = ?")) {
                ps.setString(1, entry.entityId());
                ps.setString(2, entry.metadata());
                ps.setString(3, entry.registeredBy());
                ps.setTimestamp(4, Timestamp.from(entry.registeredAt()));
                ps.setString(5, entry.name());
                updated = ps.executeUpdate();
            }
            if (updated > 0) {
                return false;
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO edufed_saml_sp (name, entity_id, metadata,"
                    + " registered_by, registered_at) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, entry.name());
                ps.setString(2, entry.entityId());
                ps.setString(3, entry.metadata());
                ps.setString(4, entry.registeredBy());
                ps.setTimestamp(5, Timestamp.from(entry.registeredAt()));
                ps.executeUpdate();
            }
            return true;
        });
    }

    /** Removes a registration; false when there is none by that name. */
    boolean remove(String name) throws SQLException {
        return storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM edufed_saml_sp WHERE name = ?")) {
                ps.setString(1, name);
                return ps.executeUpdate() > 0;
            }
        });
    }
}
