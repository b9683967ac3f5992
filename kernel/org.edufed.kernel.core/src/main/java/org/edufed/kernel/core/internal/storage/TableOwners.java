package org.edufed.kernel.core.internal.storage;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Who owns each table of the node's schema, kept in {@code edufed_table_owner}: the owner whose migration created
 * it (a kernel bundle's name, or {@code plugin:<id>} for a plugin's). The migrator records it from the catalogue
 * before and after each script; tables of databases older than this record are claimed by their owner from the
 * {@code CREATE TABLE} statements of the migrations it had applied, when it migrates at its next start. A table
 * in the catalogue that no owner claims belongs to the kernel.
 */
final class TableOwners {

    /** The owner of tables no migration claims. */
    static final String KERNEL = "kernel";

    private static final Pattern CREATE_TABLE = Pattern.compile(
            "(?i)\\bCREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?((?:\"[^\"]+\"|[\\p{L}_][\\p{L}\\p{N}_$]*)"
                    + "(?:\\.(?:\"[^\"]+\"|[\\p{L}_][\\p{L}\\p{N}_$]*))?)");

    private final DataSource dataSource;
    private volatile Map<String, String> owners = Map.of();

    TableOwners(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The owner of a table (lower case), or {@code null} when no such table is known. */
    String owner(String table) {
        return owners.get(table);
    }

    /** Table (lower case) → owner as last read; a new map after every change. */
    Map<String, String> snapshot() {
        return owners;
    }

    /** Creates the owners' table if needed (beside {@code edufed_schema}, which the migrator itself keeps). */
    void ensureTable(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE edufed_table_owner (table_name VARCHAR(128) NOT NULL PRIMARY KEY, "
                    + "owner VARCHAR(200) NOT NULL)");
        } catch (SQLException e) {
            if (!Migrator.isAlreadyExists(e)) {
                throw e;
            }
        }
        claim(c, "org.edufed.kernel.core", Set.of("edufed_schema", "edufed_table_owner"));
    }

    /** The tables of the connection's current schema, lower case. */
    static Set<String> tables(Connection c) throws SQLException {
        Set<String> out = new TreeSet<>();
        DatabaseMetaData md = c.getMetaData();
        try (ResultSet rs = md.getTables(null, c.getSchema(), "%", new String[] {"TABLE", "VIEW"})) {
            while (rs.next()) {
                out.add(rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }

    /** Records what a script changed: tables that appeared belong to the owner, tables that went are forgotten. */
    void record(Connection c, String owner, Set<String> before, Set<String> after) throws SQLException {
        Set<String> created = new TreeSet<>(after);
        created.removeAll(before);
        Set<String> dropped = new TreeSet<>(before);
        dropped.removeAll(after);
        try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_table_owner WHERE table_name = ?")) {
            for (String t : dropped) {
                del.setString(1, t);
                del.executeUpdate();
            }
        }
        try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_table_owner WHERE table_name = ?");
                PreparedStatement ins =
                        c.prepareStatement("INSERT INTO edufed_table_owner (table_name, owner) VALUES (?, ?)")) {
            for (String t : created) {
                del.setString(1, t); // a row left by a table dropped outside any migration
                del.executeUpdate();
                ins.setString(1, t);
                ins.setString(2, owner);
                ins.executeUpdate();
            }
        }
    }

    /** Gives the owner those of the named tables that exist and have no owner yet. */
    void claim(Connection c, String owner, Collection<String> names) throws SQLException {
        if (names.isEmpty()) {
            return;
        }
        Set<String> existing = tables(c);
        Map<String, String> recorded = rows(c);
        try (PreparedStatement ins =
                c.prepareStatement("INSERT INTO edufed_table_owner (table_name, owner) VALUES (?, ?)")) {
            for (String t : names) {
                if (existing.contains(t) && !recorded.containsKey(t)) {
                    ins.setString(1, t);
                    ins.setString(2, owner);
                    try {
                        ins.executeUpdate();
                    } catch (SQLException e) {
                        if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) {
                            throw e;
                        } // another node sharing the database claimed it at the same moment
                    }
                }
            }
        }
    }

    /** The tables a script creates, lower case, by its {@code CREATE TABLE} statements. */
    static Set<String> createdBy(String script) {
        Set<String> out = new TreeSet<>();
        Matcher m = CREATE_TABLE.matcher(script);
        while (m.find()) {
            String name = m.group(1).replace("\"", "");
            out.add(name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT));
        }
        return out;
    }

    /** Reads the owners again: the recorded ones, and the kernel for every other table of the catalogue. */
    void reload() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            Map<String, String> fresh = new HashMap<>();
            for (String t : tables(c)) {
                fresh.put(t, KERNEL);
            }
            fresh.putAll(rows(c));
            owners = Map.copyOf(fresh);
        }
    }

    private static Map<String, String> rows(Connection c) throws SQLException {
        Map<String, String> out = new HashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT table_name, owner FROM edufed_table_owner")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }
}
