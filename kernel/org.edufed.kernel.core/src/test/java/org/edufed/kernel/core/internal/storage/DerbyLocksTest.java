package org.edufed.kernel.core.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.edufed.kernel.api.storage.Dialect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Derby as the storage sets it up: a deadlock is found within seconds, not after Derby's default 20. */
class DerbyLocksTest {

    @TempDir
    Path tmp;

    @Test
    void twoTransactionsCrossingOnAUniqueKeyEndInADeadlockWithinSeconds() throws Exception {
        try (TestDatabases.TestStorage db = TestDatabases.open(Dialect.DERBY, tmp)) {
            try (Connection c = db.dataSource().getConnection();
                    Statement st = c.createStatement()) {
                StorageComponent.detectDeadlocksSoon(c);
                st.execute("CREATE TABLE person (id VARCHAR(20) NOT NULL PRIMARY KEY)");
            }
            CountDownLatch bothHoldOne = new CountDownLatch(2);
            long start = System.nanoTime();
            // each inserts its own key, then the other's: each waits for the other's lock
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> cross(db, "a", "b", bothHoldOne));
            CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> cross(db, "b", "a", bothHoldOne));
            String one = first.get(30, TimeUnit.SECONDS);
            String other = second.get(30, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(
                    one.equals("40001") || other.equals("40001"),
                    "one of them is chosen to end: " + one + ", " + other);
            assertTrue(seconds < 10, "found after " + seconds + " s");
            // the other went on and committed both rows it wanted; nothing of the ended one is left
            try (Connection c = db.dataSource().getConnection();
                    Statement st = c.createStatement();
                    var rs = st.executeQuery("SELECT COUNT(*) FROM person")) {
                rs.next();
                assertEquals(2, rs.getInt(1));
            }
        }
    }

    /** Inserts {@code mine}, waits until the other holds its own, inserts {@code theirs}; the outcome's SQLSTATE. */
    private static String cross(TestDatabases.TestStorage db, String mine, String theirs, CountDownLatch bothHoldOne) {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO person (id) VALUES (?)")) {
                ins.setString(1, mine);
                ins.executeUpdate();
                bothHoldOne.countDown();
                bothHoldOne.await(10, TimeUnit.SECONDS);
                ins.setString(1, theirs);
                ins.executeUpdate();
                c.commit();
                return "committed";
            } catch (SQLException e) {
                c.rollback();
                return e.getSQLState();
            }
        } catch (SQLException | InterruptedException e) {
            return e.toString();
        }
    }
}
