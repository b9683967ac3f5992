package org.edufed.kernel.core.internal.storage;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.derby.jdbc.EmbeddedDataSource;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.api.storage.Storage;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The databases unit tests run against: always an embedded Derby in a temp folder; PostgreSQL too when
 * {@code EDUFED_PG_URL} (plus {@code EDUFED_PG_USER}, {@code EDUFED_PG_PASSWORD}) names one, as {@code
 * ./edufed test} and CI arrange. Each PostgreSQL test gets a schema of its own, dropped afterwards.
 */
public final class TestDatabases {

    private TestDatabases() {}

    /** A storage over one test database; close it to drop what it made. */
    public interface TestStorage extends Storage, AutoCloseable {
        @Override
        void close() throws SQLException;
    }

    public static List<Dialect> available() {
        List<Dialect> list = new ArrayList<>(List.of(Dialect.DERBY));
        String pg = System.getenv("EDUFED_PG_URL");
        if (pg != null && !pg.isBlank()) {
            list.add(Dialect.POSTGRESQL);
        }
        return list;
    }

    public static TestStorage open(Dialect dialect, Path tempDir) throws SQLException {
        if (dialect == Dialect.DERBY) {
            EmbeddedDataSource ds = new EmbeddedDataSource();
            ds.setDatabaseName(tempDir.resolve("derby-" + UUID.randomUUID()).toString());
            ds.setCreateDatabase("create");
            return storage(ds, dialect, () -> {
                EmbeddedDataSource shutdown = new EmbeddedDataSource();
                shutdown.setDatabaseName(ds.getDatabaseName());
                shutdown.setShutdownDatabase("shutdown");
                try (Connection c = shutdown.getConnection()) {
                    // not reached: shutdown answers with an SQLException
                } catch (SQLException expected) {
                    // 08006: database shut down
                }
            });
        }
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "");
        PGSimpleDataSource admin = pg(null);
        try (Connection c = admin.getConnection();
                Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        PGSimpleDataSource ds = pg(schema);
        return storage(ds, dialect, () -> {
            try (Connection c = admin.getConnection();
                    Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        });
    }

    private static PGSimpleDataSource pg(String schema) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(System.getenv("EDUFED_PG_URL"));
        ds.setUser(System.getenv("EDUFED_PG_USER"));
        ds.setPassword(System.getenv("EDUFED_PG_PASSWORD"));
        if (schema != null) {
            ds.setCurrentSchema(schema);
        }
        return ds;
    }

    private interface Cleanup {
        void run() throws SQLException;
    }

    private static TestStorage storage(DataSource ds, Dialect dialect, Cleanup cleanup) {
        Migrator migrator = new Migrator(ds, dialect);
        return new TestStorage() {
            @Override
            public DataSource dataSource() {
                return ds;
            }

            @Override
            public Dialect dialect() {
                return dialect;
            }

            @Override
            public int migrate(String owner, ClassLoader loader, String path) throws SQLException {
                return migrator.migrate(owner, loader, path);
            }

            @Override
            public <T> T inTransaction(TransactionalWork<T> work) throws SQLException {
                return Transactions.run(ds, work);
            }

            @Override
            public void close() throws SQLException {
                cleanup.run();
            }
        };
    }
}
