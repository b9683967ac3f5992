package org.edufed.kernel.core.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.edufed.kernel.api.storage.Dialect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MigratorTest {

    @TempDir
    Path tmp;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    private final ClassLoader loader = MigratorTest.class.getClassLoader();

    @ParameterizedTest
    @MethodSource("dialects")
    void appliesInOrderOnceAndChoosesDialectScripts(Dialect dialect) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp)) {
            assertEquals(2, storage.migrate("test.good", loader, "migrations/good"));
            // second run: nothing new, nothing applied twice
            assertEquals(2, storage.migrate("test.good", loader, "migrations/good/"));
            try (Connection c = storage.dataSource().getConnection();
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT body, done FROM t_note")) {
                assertTrue(rs.next());
                assertEquals("一; not the end", rs.getString(1));
                assertFalse(rs.getBoolean(2));
                assertFalse(rs.next());
            }
            assertEquals(2, count(storage, "SELECT COUNT(*) FROM edufed_schema WHERE owner = 'test.good'"));
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aFailingScriptLeavesNothingBehind(Dialect dialect) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp)) {
            SQLException e =
                    assertThrows(SQLException.class, () -> storage.migrate("test.broken", loader, "migrations/broken"));
            assertTrue(e.getMessage().contains("test.broken V1"), e.getMessage());
            assertEquals(0, count(storage, "SELECT COUNT(*) FROM edufed_schema WHERE owner = 'test.broken'"));
            assertThrows(SQLException.class, () -> count(storage, "SELECT COUNT(*) FROM t_half"));
        }
    }

    @Test
    void ownersAreIndependentAndAnEmptyFolderIsVersionZero() throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(Dialect.DERBY, tmp)) {
            assertEquals(0, storage.migrate("test.none", loader, "migrations/none"));
            assertEquals(2, storage.migrate("test.good", loader, "migrations/good"));
        }
    }

    @Test
    void splitsStatementsAtLineEndsOnly() {
        List<String> s =
                Migrator.statements("-- c\nCREATE TABLE a (x VARCHAR(5));\n\nINSERT INTO a VALUES ('a;b');\nSELECT 1");
        assertEquals(List.of("CREATE TABLE a (x VARCHAR(5))", "INSERT INTO a VALUES ('a;b')", "SELECT 1"), s);
    }

    static int count(TestDatabases.TestStorage storage, String sql) throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
