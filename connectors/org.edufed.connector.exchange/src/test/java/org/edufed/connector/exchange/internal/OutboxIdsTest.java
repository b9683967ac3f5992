package org.edufed.connector.exchange.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.core.internal.storage.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Given writers taking outbox ids in their transactions, then no id comes twice: across blocks, when a writer that
 * reserved a block rolls back, from many threads at once, and after a restart.
 */
class OutboxIdsTest {

    @TempDir
    Path tmp;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    private static void insert(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO edufed_fed_outbox (id, topic, global_id, origin,"
                + " version, deleted, payload, created_at) VALUES (?, 't', ?, 'o', 1, FALSE, '{}', ?)")) {
            ps.setLong(1, id);
            ps.setString(2, "g" + id);
            ps.setTimestamp(3, Timestamp.from(Instant.now()));
            ps.executeUpdate();
        }
    }

    /** Takes {@code n} ids and writes an outbox row with each, in one transaction; returns the first. */
    private static long taken(TestDatabases.TestStorage storage, OutboxIds ids, int n) throws SQLException {
        return storage.inTransaction(c -> {
            long first = ids.take(c, n);
            for (long k = first; k < first + n; k++) {
                insert(c, k);
            }
            return first;
        });
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void idsAreConsecutiveWithinABlockAndNeverComeTwice(Dialect d) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(d, tmp)) {
            new FederationStore(storage);
            OutboxIds ids = new OutboxIds();
            Set<Long> seen = new HashSet<>();
            long previous = 0;
            for (int i = 0; i < 2 * OutboxIds.BLOCK + 7; i++) {
                long id = taken(storage, ids, 3);
                assertTrue(id > previous, id + " after " + previous);
                for (long k = id; k < id + 3; k++) {
                    assertTrue(seen.add(k), "id " + k + " twice");
                }
                previous = id + 2;
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aBlockReservedByAWriterThatRollsBackIsNotHandedOutAgain(Dialect d) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(d, tmp)) {
            new FederationStore(storage);
            OutboxIds ids = new OutboxIds();
            long[] reserved = new long[1];
            long[] used = new long[1];
            try (Connection a = storage.dataSource().getConnection();
                    Connection b = storage.dataSource().getConnection()) {
                a.setAutoCommit(false);
                b.setAutoCommit(false);
                reserved[0] = ids.take(a, 1); // reserves the first block in a's transaction
                used[0] = ids.take(b, 1); // from the same block: no reservation
                insert(b, used[0]);
                b.commit();
                a.rollback(); // the reservation is undone; the id b committed is not
            }
            assertEquals(reserved[0] + 1, used[0]);
            // the rest of the block is used up, then a new one reserved: above every id handed out
            long last = storage.inTransaction(c -> {
                long id = ids.take(c, OutboxIds.BLOCK);
                insert(c, id);
                return id;
            });
            assertTrue(last > used[0], last + " after " + used[0]);
            // and after a restart (a new allocator), above them too, though the stored top was undone once
            long afterRestart = storage.inTransaction(c -> new OutboxIds().take(c, 1));
            assertTrue(afterRestart > last, afterRestart + " after " + last);
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void manyWritersAtOnceGetDistinctIds(Dialect d) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(d, tmp)) {
            new FederationStore(storage);
            OutboxIds ids = new OutboxIds();
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<List<Long>>> out = new ArrayList<>();
                for (int t = 0; t < 6; t++) {
                    out.add(pool.submit(() -> {
                        List<Long> mine = new ArrayList<>();
                        for (int i = 0; i < 250; i++) {
                            mine.add(taken(storage, ids, 2));
                        }
                        return mine;
                    }));
                }
                Set<Long> all = new HashSet<>();
                for (Future<List<Long>> f : out) {
                    for (long id : f.get(60, TimeUnit.SECONDS)) {
                        assertTrue(all.add(id), "id " + id + " twice");
                    }
                }
                assertEquals(1500, all.size());
            } finally {
                pool.shutdownNow();
                assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            }
        }
    }
}
