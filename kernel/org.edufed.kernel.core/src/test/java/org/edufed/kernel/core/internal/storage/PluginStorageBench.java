package org.edufed.kernel.core.internal.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import javax.sql.DataSource;
import org.edufed.kernel.api.storage.Dialect;
import org.junit.jupiter.api.Test;

/**
 * Not a test: the benchmark behind {@code bench/storage.sh} (the name keeps it out of the test run). Statements
 * per second through a plugin's checked connection and through the raw connection, same embedded Derby, same
 * run, rounds interleaved: point reads (a statement prepared per call, as plugins do: the check, its cache and
 * the wrappers all on the path) and durable single-row inserts in autocommit. Prints one line of JSON.
 */
class PluginStorageBench {

    private static final PluginConnections.Policy POLICY = new PluginConnections.Policy() {
        @Override
        public boolean trusted(Class<?> caller) {
            return false;
        }

        @Override
        public String refused(String plugin, SqlCheck.Refusal refusal, String sql) {
            return refusal.reason();
        }
    };

    @Test
    void run() throws Exception {
        int reads = Integer.parseInt(System.getenv().getOrDefault("BENCH_READS", "200000"));
        int inserts = Integer.parseInt(System.getenv().getOrDefault("BENCH_INSERTS", "3000"));
        int rounds = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "5"));
        Path dir = Files.createTempDirectory("storage-bench");
        try (TestDatabases.TestStorage db = TestDatabases.open(Dialect.DERBY, dir)) {
            Migrator m = new Migrator(db.dataSource(), Dialect.DERBY);
            m.migrate("org.edufed.kernel.core", Migrator.class.getClassLoader(), "org/edufed/kernel/core/db");
            PluginConnections a = new PluginConnections(m.owners(), "a", POLICY);
            m.migrate("test.a", "plugin:a", getClass().getClassLoader(), "plugins/a", sql -> a.check(sql, false));
            DataSource raw = db.dataSource();
            DataSource checked = a.dataSource(raw);
            int[] id = {0};
            insert(raw, 1000, id); // rows to read, and a warm-up of both paths
            insert(checked, 1000, id);
            read(raw, reads / 4);
            read(checked, reads / 4);
            double[] rawRead = new double[rounds];
            double[] checkedRead = new double[rounds];
            double[] rawInsert = new double[rounds];
            double[] checkedInsert = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                rawRead[r] = read(raw, reads);
                checkedRead[r] = read(checked, reads);
                rawInsert[r] = insert(raw, inserts, id);
                checkedInsert[r] = insert(checked, inserts, id);
            }
            double rr = median(rawRead);
            double cr = median(checkedRead);
            double ri = median(rawInsert);
            double ci = median(checkedInsert);
            System.out.printf(
                    "{\"read_raw_per_s\":%.0f,\"read_checked_per_s\":%.0f,\"read_ratio\":%.3f,"
                            + "\"insert_raw_per_s\":%.0f,\"insert_checked_per_s\":%.0f,\"insert_ratio\":%.3f,"
                            + "\"rounds\":%d,\"reads\":%d,\"inserts\":%d}%n",
                    rr, cr, cr / rr, ri, ci, ci / ri, rounds, reads, inserts);
        }
    }

    /** Point reads on one connection, each statement prepared anew; statements per second. */
    private static double read(DataSource ds, int n) throws SQLException {
        try (Connection c = ds.getConnection()) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                try (PreparedStatement ps = c.prepareStatement("SELECT body FROM pa_note WHERE id = ?")) {
                    ps.setInt(1, i % 1000);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        rs.getString(1);
                    }
                }
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** Durable single-row inserts in autocommit; statements per second. */
    private static double insert(DataSource ds, int n, int[] id) throws SQLException {
        try (Connection c = ds.getConnection()) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO pa_note (id, body) VALUES (?, ?)")) {
                    ps.setInt(1, id[0]++);
                    ps.setString(2, "note " + i);
                    ps.executeUpdate();
                }
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
