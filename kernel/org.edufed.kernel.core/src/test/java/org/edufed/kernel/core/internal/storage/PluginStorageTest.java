package org.edufed.kernel.core.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.edufed.kernel.api.storage.Dialect;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Given a node's database with the kernel's tables and two plugins' tables, when a plugin's checked connection
 * runs SQL, then it reaches its own tables only; the kernel still writes its own tables on that connection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PluginStorageTest {

    /** Not a {@code @TempDir}: JUnit cleans those after each method, and the database lives for the class. */
    private Path tmp;

    private final java.util.Map<Dialect, Object[]> opened = new java.util.EnumMap<>(Dialect.class);

    private final List<String> refusals = new ArrayList<>();
    private TestDatabases.TestStorage db;
    private Migrator migrator;
    private PluginConnections a;
    private PluginConnections b;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    /** Stands for kernel code (the exchange's outbox, an inherited item) handed a plugin's connection. */
    static final class KernelCode {
        static void writeOwnTable(Connection c, String role) throws SQLException {
            try (PreparedStatement ps =
                    c.prepareStatement("INSERT INTO edufed_role (name, description) VALUES (?, ?)")) {
                ps.setString(1, role);
                ps.setString(2, "written by the kernel in the plugin's transaction");
                ps.executeUpdate();
            }
        }
    }

    private final PluginConnections.Policy policy = new PluginConnections.Policy() {
        @Override
        public boolean trusted(Class<?> caller) {
            return caller == KernelCode.class;
        }

        @Override
        public String refused(String plugin, SqlCheck.Refusal refusal, String sql) {
            refusals.add(plugin + ": " + refusal.reason());
            return plugin + ": " + refusal.reason();
        }
    };

    /** One database per dialect for the class: the kernel's migrations take seconds. */
    private void open(Dialect dialect) throws Exception {
        refusals.clear();
        Object[] o = opened.get(dialect);
        if (o != null) {
            db = (TestDatabases.TestStorage) o[0];
            migrator = (Migrator) o[1];
            a = (PluginConnections) o[2];
            b = (PluginConnections) o[3];
            return;
        }
        if (tmp == null) {
            tmp = java.nio.file.Files.createTempDirectory("plugin-storage-test");
        }
        db = TestDatabases.open(dialect, tmp);
        migrator = new Migrator(db.dataSource(), dialect);
        migrator.migrate("org.edufed.kernel.core", Migrator.class.getClassLoader(), "org/edufed/kernel/core/db");
        a = new PluginConnections(migrator.owners(), "a", policy);
        b = new PluginConnections(migrator.owners(), "b", policy);
        ClassLoader l = PluginStorageTest.class.getClassLoader();
        migrator.migrate("test.a", "plugin:a", l, "plugins/a", sql -> a.check(sql, false));
        migrator.migrate("test.b", "plugin:b", l, "plugins/b", sql -> b.check(sql, false));
        opened.put(dialect, new Object[] {db, migrator, a, b});
    }

    @AfterAll
    void close() throws SQLException {
        for (Object[] o : opened.values()) {
            ((TestDatabases.TestStorage) o[0]).close();
        }
    }

    private DataSource as(PluginConnections p) {
        return p.dataSource(db.dataSource());
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aPluginUsesItsOwnTables(Dialect dialect) throws Exception {
        open(dialect);
        try (Connection c = as(a).getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO pa_note (id, body) VALUES (?, ?)")) {
                ps.setInt(1, 100 + (int) (System.nanoTime() % 1_000_000));
                ps.setString(2, "edufed_account; -- not a table here");
                ps.executeUpdate();
            }
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT n.body FROM pa_note n WHERE n.body LIKE 'edufed%'")) {
                assertTrue(rs.next());
                assertEquals("edufed_account; -- not a table here", rs.getString(1));
                assertSame(c, rs.getStatement().getConnection(), "a result set leads back to the checked connection");
            }
            assertSame(c, c.getMetaData().getConnection());
        }
        assertEquals(List.of(), refusals);
        assertEquals("plugin:a", migrator.owners().owner("pa_note"));
        assertEquals("plugin:b", migrator.owners().owner("pb_secret"));
        assertEquals("org.edufed.kernel.core", migrator.owners().owner("edufed_account"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "SELECT * FROM edufed_account",
                "select * from EDUFED_ACCOUNT",
                "SELECT * FROM \"EDUFED_ACCOUNT\"",
                "SELECT n.body, x.username FROM pa_note n JOIN edufed_account x ON x.username = n.body",
                "SELECT * FROM pa_note, edufed_audit",
                "SELECT * FROM pa_note WHERE id IN (SELECT 1 FROM edufed_grant)",
                "ALTER TABLE edufed_account ADD COLUMN x INT",
                "DROP TABLE edufed_audit",
                "DELETE FROM edufed_audit",
                "INSERT INTO pa_note SELECT id, secret FROM pb_secret",
                "UPDATE pb_secret SET secret = 'x'",
                "SELECT * FROM pa_note /* a comment */ JOIN edufed_account ON 1 = 1",
                "SELECT 'it''s' FROM pa_note; SELECT * FROM edufed_account",
                "SELECT * FROM pa_note /* /* */ JOIN edufed_account ON 1=1 -- */",
                "SELECT * FROM pa_note WHERE body = 'unterminated",
                "CALL SYSCS_UTIL.SYSCS_EXPORT_TABLE('APP', 'EDUFED_ACCOUNT', '/tmp/x', null, null, null)",
                "VALUES SYSCS_UTIL.SYSCS_GET_DATABASE_PROPERTY('derby.user.x')",
                "CREATE FUNCTION f() RETURNS INT LANGUAGE JAVA EXTERNAL NAME 'x.y' PARAMETER STYLE JAVA",
                "SET SCHEMA sys",
                "CREATE INDEX pa_x ON edufed_account (username)",
                "SELECT * FROM app.edufed_account",
                "SELECT * FROM edufed_table_owner",
            })
    void refusedWhatBelongsToOthers(String sql) throws Exception {
        open(Dialect.DERBY);
        try (Connection c = as(a).getConnection()) {
            SQLException e = assertThrows(SQLException.class, () -> c.prepareStatement(sql));
            assertEquals(PluginConnections.REFUSED, e.getSQLState());
            try (Statement st = c.createStatement()) {
                assertThrows(SQLException.class, () -> st.execute(sql));
                assertThrows(SQLException.class, () -> st.addBatch(sql));
            }
            assertThrows(SQLException.class, () -> c.prepareCall(sql));
            assertThrows(SQLException.class, () -> c.nativeSQL(sql));
        }
        assertFalse(refusals.isEmpty());
        assertTrue(refusals.get(0).startsWith("a: "), refusals.get(0));
    }

    @Test
    void theRefusalNamesTheTableAndItsOwner() throws Exception {
        open(Dialect.DERBY);
        try (Connection c = as(a).getConnection()) {
            SQLException e = assertThrows(SQLException.class, () -> c.prepareStatement("SELECT * FROM pb_secret"));
            assertEquals("a: table pb_secret belongs to plugin:b", e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "SELECT body FROM pa_note WHERE body = 'SELECT * FROM edufed_account'",
                "SELECT body FROM pa_note -- edufed_account\n WHERE id = 1",
                "SELECT body FROM pa_note /* edufed_audit */ WHERE id = 1",
                "SELECT body AS \"a name\" FROM pa_note WHERE body <> 'it''s edufed_grant'",
                "UPDATE pa_note SET body = 'DROP TABLE edufed_audit' WHERE id = 2",
            })
    void notFooledByLiteralsCommentsOrQuotedNames(String sql) throws Exception {
        open(Dialect.DERBY);
        try (Connection c = as(a).getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.execute();
        }
        assertEquals(List.of(), refusals);
    }

    @Test
    void noRawConnectionForAPlugin() throws Exception {
        open(Dialect.DERBY);
        DataSource ds = as(a);
        assertFalse(ds.isWrapperFor(org.apache.derby.jdbc.EmbeddedDataSource.class));
        assertThrows(SQLException.class, () -> ds.unwrap(org.apache.derby.jdbc.EmbeddedDataSource.class));
        try (Connection c = ds.getConnection()) {
            assertFalse(c.isWrapperFor(org.apache.derby.iapi.jdbc.EngineConnection.class));
            assertThrows(SQLException.class, () -> c.unwrap(org.apache.derby.iapi.jdbc.EngineConnection.class));
            assertSame(c, c.unwrap(Connection.class));
            assertThrows(SQLException.class, () -> c.setSchema("SYS"));
        }
    }

    @Test
    void theKernelWritesItsTablesOnThePluginsConnectionInOneTransaction() throws Exception {
        open(Dialect.DERBY);
        for (boolean commit : new boolean[] {false, true}) {
            try (Connection c = as(a).getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO pa_note (id, body) VALUES (7, 'x')")) {
                    ps.executeUpdate();
                }
                KernelCode.writeOwnTable(c, "r7");
                // the plugin itself still may not, on the same connection
                assertThrows(SQLException.class, () -> c.prepareStatement("SELECT * FROM edufed_role"));
                if (commit) {
                    c.commit();
                } else {
                    c.rollback();
                }
                c.setAutoCommit(true);
            }
            int expected = commit ? 1 : 0;
            assertEquals(expected, count("SELECT COUNT(*) FROM pa_note WHERE id = 7"));
            assertEquals(expected, count("SELECT COUNT(*) FROM edufed_role WHERE name = 'r7'"));
        }
    }

    /**
     * The platform's view of a plugin's connection (what the node's storage gives its own bundles): the pooled
     * connection it wraps, in the same transaction, taking the kernel's statements without a check; any other
     * connection as it is.
     */
    @Test
    void thePlatformsViewOfAPluginsConnectionIsTheSameTransactionUnchecked() throws Exception {
        open(Dialect.DERBY);
        try (Connection raw = db.dataSource().getConnection()) {
            assertSame(raw, PluginConnections.unchecked(raw));
        }
        try (Connection c = as(a).getConnection()) {
            Connection own = PluginConnections.unchecked(c);
            assertFalse(java.lang.reflect.Proxy.isProxyClass(own.getClass()), "not the plugin's checked proxy");
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO pa_note (id, body) VALUES (8, 'y')")) {
                ps.executeUpdate();
            }
            try (PreparedStatement ps =
                    own.prepareStatement("INSERT INTO edufed_role (name, description) VALUES ('r8', 'platform')")) {
                ps.executeUpdate(); // not KernelCode: no look at the stack lets it through, the view is unchecked
            }
            assertEquals(List.of(), refusals);
            assertThrows(SQLException.class, () -> c.prepareStatement("SELECT * FROM edufed_role"));
            c.rollback();
            c.setAutoCommit(true);
        }
        assertEquals(0, count("SELECT COUNT(*) FROM pa_note WHERE id = 8"));
        assertEquals(0, count("SELECT COUNT(*) FROM edufed_role WHERE name = 'r8'"), "one transaction, rolled back");
    }

    @Test
    void aMigrationAlteringAKernelTableIsRefusedAndLeavesNothing() throws Exception {
        open(Dialect.DERBY);
        PluginConnections evil = new PluginConnections(migrator.owners(), "evil", policy);
        SQLException e = assertThrows(
                SQLException.class,
                () -> migrator.migrate(
                        "test.evil",
                        "plugin:evil",
                        PluginStorageTest.class.getClassLoader(),
                        "plugins/evil",
                        sql -> evil.check(sql, false)));
        assertTrue(e.getMessage().contains("edufed_account"), e.getMessage());
        assertEquals(List.of("evil: table edufed_account belongs to org.edufed.kernel.core"), refusals);
        assertEquals(0, count("SELECT COUNT(*) FROM edufed_schema WHERE owner = 'test.evil'"));
        try (Connection c = db.dataSource().getConnection()) {
            assertFalse(TableOwners.tables(c).contains("pe_thing"), "the script ran not at all");
        }
    }

    @Test
    void existingTablesAreClaimedByTheMigrationsThatMadeThem() throws Exception {
        open(Dialect.DERBY);
        try (Connection c = db.dataSource().getConnection();
                Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM edufed_table_owner WHERE table_name IN ('pa_note', 'edufed_account')");
        }
        migrator.owners().reload();
        assertEquals(TableOwners.KERNEL, migrator.owners().owner("pa_note"), "unclaimed: the kernel's");
        ClassLoader l = PluginStorageTest.class.getClassLoader();
        migrator.migrate("test.a", "plugin:a", l, "plugins/a", sql -> a.check(sql, false));
        migrator.migrate("org.edufed.kernel.core", Migrator.class.getClassLoader(), "org/edufed/kernel/core/db");
        assertEquals("plugin:a", migrator.owners().owner("pa_note"));
        assertEquals("org.edufed.kernel.core", migrator.owners().owner("edufed_account"));
    }

    private int count(String sql) throws SQLException {
        try (Connection c = db.dataSource().getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
