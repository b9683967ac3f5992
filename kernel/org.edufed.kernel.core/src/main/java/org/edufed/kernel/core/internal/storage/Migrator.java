package org.edufed.kernel.core.internal.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.edufed.kernel.api.storage.Dialect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies per-owner schema migrations: {@code <path>/V1.sql}, {@code V2.sql}, … in order, preferring a
 * dialect-specific {@code V<n>.<dialect>.sql} where one exists. Each script runs in one transaction together
 * with its row in {@code edufed_schema}, so a script is applied completely or not at all, and at most once
 * even when two nodes share one database.
 */
public final class Migrator {

    private static final Logger LOG = LoggerFactory.getLogger(Migrator.class);
    private static final int MAX_SCRIPTS = 10_000;

    /** Checks each statement of a script before it runs; throws to refuse it. */
    @FunctionalInterface
    public interface StatementCheck {
        void check(String sql) throws SQLException;
    }

    private final DataSource dataSource;
    private final Dialect dialect;
    private final TableOwners owners;

    public Migrator(DataSource dataSource, Dialect dialect) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.owners = new TableOwners(dataSource);
    }

    TableOwners owners() {
        return owners;
    }

    /** Migrates one owner of the kernel; returns its schema version afterwards. */
    public int migrate(String owner, ClassLoader loader, String path) throws SQLException {
        return migrate(owner, owner, loader, path, sql -> {});
    }

    /**
     * Migrates one owner; the tables its scripts create belong to {@code tableOwner}, and each statement passes
     * {@code check} first. Returns the owner's schema version afterwards.
     */
    public int migrate(String owner, String tableOwner, ClassLoader loader, String path, StatementCheck check)
            throws SQLException {
        try {
            return migrateScripts(owner, tableOwner, loader, path, check);
        } finally {
            owners.reload();
        }
    }

    private int migrateScripts(String owner, String tableOwner, ClassLoader loader, String path, StatementCheck check)
            throws SQLException {
        ensureSchemaTable();
        Map<Integer, String> applied = applied(owner);
        java.util.Set<String> claimed = new java.util.TreeSet<>();
        String base = path.endsWith("/") ? path : path + "/";
        int version = 0;
        for (int v = 1; v <= MAX_SCRIPTS; v++) {
            URL script = loader.getResource(base + "V" + v + "." + dialect.id() + ".sql");
            if (script == null) {
                script = loader.getResource(base + "V" + v + ".sql");
            }
            if (script == null) {
                break;
            }
            String sql = read(script);
            String checksum = sha256(sql);
            if (applied.containsKey(v)) {
                if (!applied.get(v).equals(checksum)) {
                    LOG.warn("Migration {} V{} changed after it was applied; the database keeps the old one", owner, v);
                }
                claimed.addAll(TableOwners.createdBy(sql));
            } else {
                apply(owner, tableOwner, v, sql, checksum, check);
                LOG.info("Applied migration {} V{} on {}", owner, v, dialect.id());
            }
            version = v;
        }
        if (!claimed.isEmpty()) {
            // tables made before owners were recorded: the scripts this owner applied name them
            try (Connection c = dataSource.getConnection()) {
                owners.claim(c, tableOwner, claimed);
            }
        }
        return version;
    }

    private void apply(String owner, String tableOwner, int version, String sql, String checksum, StatementCheck check)
            throws SQLException {
        List<String> statements = statements(sql);
        for (String statement : statements) {
            check.check(statement);
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                java.util.Set<String> before = TableOwners.tables(c);
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO edufed_schema (owner, version, checksum, applied_at) VALUES (?, ?, ?, ?)")) {
                    ps.setString(1, owner);
                    ps.setInt(2, version);
                    ps.setString(3, checksum);
                    ps.setTimestamp(4, Timestamp.from(Instant.now()));
                    ps.executeUpdate();
                }
                try (Statement st = c.createStatement()) {
                    for (String statement : statements) {
                        st.execute(statement);
                    }
                }
                owners.record(c, tableOwner, before, TableOwners.tables(c));
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                if (isDuplicateKey(e) && applied(owner).containsKey(version)) {
                    return; // another node applied it at the same moment
                }
                throw new SQLException(
                        "migration " + owner + " V" + version + " failed: " + e.getMessage(), e.getSQLState(), e);
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private Map<Integer, String> applied(String owner) throws SQLException {
        Map<Integer, String> result = new HashMap<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT version, checksum FROM edufed_schema WHERE owner = ?")) {
            ps.setString(1, owner);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.put(rs.getInt(1), rs.getString(2));
                }
            }
        }
        return result;
    }

    private void ensureSchemaTable() throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            try {
                st.execute(
                        "CREATE TABLE edufed_schema (owner VARCHAR(200) NOT NULL, version INT NOT NULL, "
                                + "checksum VARCHAR(64) NOT NULL, applied_at TIMESTAMP NOT NULL, PRIMARY KEY (owner, version))");
            } catch (SQLException e) {
                if (!isAlreadyExists(e)) {
                    throw e;
                }
            }
            owners.ensureTable(c);
        }
    }

    /** Splits a script into statements: a statement ends with a line that ends in {@code ;}. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\r?\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String s = current.toString().strip();
                out.add(s.substring(0, s.length() - 1).strip());
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            out.add(current.toString().strip());
        }
        return out;
    }

    static boolean isAlreadyExists(SQLException e) {
        // Derby: X0Y32 (table exists); PostgreSQL: 42P07 (duplicate table), 23505 on a concurrent create
        String state = e.getSQLState();
        return "X0Y32".equals(state) || "42P07".equals(state) || "23505".equals(state);
    }

    private boolean isDuplicateKey(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("23");
    }

    private static String read(URL url) throws SQLException {
        try (InputStream in = url.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SQLException("cannot read migration " + url + ": " + e.getMessage(), e);
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
