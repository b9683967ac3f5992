package org.edufed.kernel.core.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.api.storage.Storage.TransactionalWork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Given callers writing at the same time through one {@link GroupCommit}, when their work is queued while a lead is
 * busy, then it runs as one transaction with one commit, each caller gets its own outcome (a refused piece rolled
 * back to its savepoint, the others kept), and a group whose transaction cannot go on is run again piece by piece.
 */
class GroupCommitTest {

    @TempDir
    Path tmp;

    private TestDatabases.TestStorage db;
    private DataSource counted;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger commits = new AtomicInteger();
    private ExecutorService callers;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    void open(Dialect dialect) throws SQLException {
        db = TestDatabases.open(dialect, tmp);
        try (Connection c = db.dataSource().getConnection();
                Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE gc_row (id INTEGER NOT NULL PRIMARY KEY, actor VARCHAR(40))");
        }
        DataSource raw = db.dataSource();
        counted = (DataSource)
                Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class}, (p, m, a) -> {
                    if (!m.getName().equals("getConnection")) {
                        return m.invoke(raw, a);
                    }
                    connections.incrementAndGet();
                    Connection c = raw.getConnection();
                    return Proxy.newProxyInstance(
                            getClass().getClassLoader(), new Class<?>[] {Connection.class}, (cp, cm, ca) -> {
                                if (cm.getName().equals("commit")) {
                                    commits.incrementAndGet();
                                }
                                try {
                                    return cm.invoke(c, ca);
                                } catch (java.lang.reflect.InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            });
                });
        callers = Executors.newFixedThreadPool(12);
    }

    @BeforeEach
    void reset() {
        connections.set(0);
        commits.set(0);
    }

    @AfterEach
    void close() throws Exception {
        if (callers != null) {
            callers.shutdownNow();
            assertTrue(callers.awaitTermination(10, TimeUnit.SECONDS));
        }
        if (db != null) {
            db.close();
        }
    }

    private static void insert(Connection c, int id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO gc_row (id, actor) VALUES (?, ?)")) {
            ps.setInt(1, id);
            ps.setString(2, Actor.current().name());
            ps.executeUpdate();
        }
    }

    private Map<Integer, String> rows() throws SQLException {
        Map<Integer, String> out = new TreeMap<>();
        try (Connection c = db.dataSource().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id, actor FROM gc_row")) {
            while (rs.next()) {
                out.put(rs.getInt(1), rs.getString(2));
            }
        }
        return out;
    }

    /**
     * Starts a caller whose work holds the only lead until {@code release} opens, then {@code n} callers (as users
     * {@code u<i>}) whose work runs {@code work(i)}, queued one after the other in that order; waits until all of those are queued, opens the gate, and gives
     * back their outcomes in order.
     */
    private List<Future<Object>> queuedBehindBusyLead(
            GroupCommit groups, int n, java.util.function.IntFunction<TransactionalWork<Object>> work)
            throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Object> first = callers.submit(() -> groups.run(c -> {
            holding.countDown();
            try {
                assertTrue(release.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            insert(c, 0);
            return "first";
        }));
        assertTrue(holding.await(10, TimeUnit.SECONDS));
        List<Future<Object>> out = new ArrayList<>();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int i = 1; i <= n; i++) {
            int k = i;
            out.add(callers.submit(() -> {
                try (Actor.Scope s = Actor.as("u" + k, "127.0.0.1")) {
                    return groups.run(work.apply(k));
                }
            }));
            // each queued before the next is started: the group runs them in this order, which the tests rely on
            // (caller 3 queued before caller 1 once took caller 1's key first)
            while (groups.queued() < i && System.nanoTime() < until) {
                Thread.sleep(1);
            }
        }
        assertEquals(n, groups.queued(), "all callers queued behind the busy lead");
        release.countDown();
        assertEquals("first", first.get(10, TimeUnit.SECONDS));
        return out;
    }

    /** What a caller's work failed with (its future failing within 10 s). */
    private static Throwable failure(Future<?> f) {
        return assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS))
                .getCause();
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void workQueuedTogetherSharesOneCommitAndKeepsEachCallersActor(Dialect dialect) throws Exception {
        open(dialect);
        GroupCommit groups = new GroupCommit(() -> counted, 1);
        List<Future<Object>> out = queuedBehindBusyLead(groups, 10, i -> c -> {
            insert(c, i);
            return "r" + i;
        });
        for (int i = 1; i <= 10; i++) {
            assertEquals("r" + i, out.get(i - 1).get(10, TimeUnit.SECONDS));
        }
        Map<Integer, String> rows = rows();
        assertEquals(11, rows.size());
        for (int i = 1; i <= 10; i++) {
            assertEquals("u" + i, rows.get(i), "the work ran as its caller");
        }
        assertEquals(2, commits.get(), "the first alone, the ten queued behind it in one transaction");
        assertEquals(2, connections.get());
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aRefusedPieceIsRolledBackToItsSavepointAndOnlyItsCallerHearsOfIt(Dialect dialect) throws Exception {
        open(dialect);
        GroupCommit groups = new GroupCommit(() -> counted, 1);
        List<Future<Object>> out = queuedBehindBusyLead(groups, 5, i -> c -> {
            if (i == 3) {
                insert(c, 300); // written, then undone with the piece
                insert(c, 1); // the same key as caller 1's row: refused
            }
            if (i == 4) {
                throw new IllegalArgumentException("bad input");
            }
            insert(c, i);
            return i;
        });
        assertEquals(1, out.get(0).get(10, TimeUnit.SECONDS));
        assertEquals(2, out.get(1).get(10, TimeUnit.SECONDS));
        SQLException sql = assertInstanceOf(SQLException.class, failure(out.get(2)));
        assertEquals("23505", sql.getSQLState());
        assertEquals(
                "bad input",
                assertInstanceOf(IllegalArgumentException.class, failure(out.get(3)))
                        .getMessage());
        assertEquals(5, out.get(4).get(10, TimeUnit.SECONDS));
        assertEquals(List.of(0, 1, 2, 5), new ArrayList<>(rows().keySet()));
        assertEquals(2, commits.get());
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aGroupWhoseTransactionEndsIsRunAgainPieceByPiece(Dialect dialect) throws Exception {
        open(dialect);
        GroupCommit groups = new GroupCommit(() -> counted, 1);
        AtomicInteger lockRaces = new AtomicInteger();
        List<Future<Object>> out = queuedBehindBusyLead(groups, 4, i -> c -> {
            insert(c, i);
            if (i == 2 && lockRaces.getAndIncrement() == 0) {
                throw new SQLException("deadlock (as the database would say)", "40001");
            }
            return i;
        });
        for (int i = 1; i <= 4; i++) {
            assertEquals(i, out.get(i - 1).get(10, TimeUnit.SECONDS));
        }
        assertEquals(List.of(0, 1, 2, 3, 4), new ArrayList<>(rows().keySet()), "each row once");
        assertEquals(2, lockRaces.get());
        assertEquals(1 + 4, commits.get(), "the first, then each of the four alone");
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void anErrorInAPieceLeavesNothingOfItsGroupCommitted(Dialect dialect) throws Exception {
        open(dialect);
        GroupCommit groups = new GroupCommit(() -> counted, 1);
        List<Future<Object>> out = queuedBehindBusyLead(groups, 3, i -> c -> {
            insert(c, i);
            if (i == 3) {
                throw new AssertionError("a bug in the work");
            }
            return i;
        });
        for (Future<Object> f : out) {
            assertInstanceOf(AssertionError.class, failure(f));
        }
        assertEquals(List.of(0), new ArrayList<>(rows().keySet()), "only the first caller's row");
        // alone (its own transaction), the same
        assertThrows(
                AssertionError.class,
                () -> groups.run(c -> {
                    insert(c, 9);
                    throw new AssertionError("a bug in the work");
                }));
        assertEquals(List.of(0), new ArrayList<>(rows().keySet()), "nothing of the lone caller's either");
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void switchedOffEachCallerRunsAloneAtOnce(Dialect dialect) throws Exception {
        open(dialect);
        GroupCommit groups = new GroupCommit(() -> counted, 1);
        CountDownLatch release = new CountDownLatch(1);
        System.setProperty(GroupCommit.SWITCH, "false");
        try {
            Future<Object> first = callers.submit(() -> groups.run(c -> {
                try {
                    assertTrue(release.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                insert(c, 0);
                return 0;
            }));
            for (int i = 1; i <= 3; i++) {
                int k = i;
                // not queued behind the first, which still holds its transaction
                Integer done = groups.run(c -> {
                    insert(c, k);
                    return k;
                });
                assertEquals(k, done);
            }
            assertEquals(0, groups.queued());
            release.countDown();
            assertEquals(0, first.get(10, TimeUnit.SECONDS));
        } finally {
            System.clearProperty(GroupCommit.SWITCH);
            release.countDown();
        }
        assertEquals(4, commits.get(), "one transaction each");
        assertEquals(4, rows().size());
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void underLoadEveryCallerGetsItsOwnRowOnceWithFewerCommits(Dialect dialect) throws Exception {
        open(dialect);
        GroupCommit groups = new GroupCommit(() -> counted, 2);
        int n = 600;
        List<Future<Object>> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            int k = i;
            out.add(callers.submit(() -> groups.run(c -> {
                insert(c, k);
                return k;
            })));
        }
        for (int i = 1; i <= n; i++) {
            assertEquals(i, out.get(i - 1).get(30, TimeUnit.SECONDS));
        }
        assertEquals(n, rows().size());
        assertEquals(0, groups.queued());
        assertTrue(commits.get() <= n, commits.get() + " commits");
    }

    /** Waits for a gate in a piece of work (10 s at most). */
    private static void await(CountDownLatch gate) {
        try {
            assertTrue(gate.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A caller that holds one of the leads (running its work alone) until {@code release} opens. */
    private Future<Object> holdingALead(GroupCommit groups, int id, CountDownLatch release) throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        Future<Object> f = callers.submit(() -> groups.run(c -> {
            holding.countDown();
            await(release);
            insert(c, id);
            return id;
        }));
        assertTrue(holding.await(10, TimeUnit.SECONDS));
        return f;
    }

    private static void untilQueued(GroupCommit groups, int n) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (groups.queued() < n && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(n, groups.queued());
    }

    @Test
    void aCallerWhoseWorkALeaderHasTakenWaitsWithoutSpinning() throws Exception {
        open(Dialect.DERBY);
        GroupCommit groups = new GroupCommit(() -> counted, 2);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        CountDownLatch releaseSecond = new CountDownLatch(1);
        Future<Object> first = holdingALead(groups, 100, releaseFirst);
        Future<Object> second = holdingALead(groups, 200, releaseSecond);
        // two callers queue behind the busy leads; whichever leads takes both, and the first piece holds the group
        CountDownLatch groupRunning = new CountDownLatch(1);
        CountDownLatch releaseGroup = new CountDownLatch(1);
        List<Thread> waiting = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Future<Object>> out = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            int k = i;
            out.add(callers.submit(() -> {
                waiting.add(Thread.currentThread());
                return groups.run(c -> {
                    if (k == 1) {
                        groupRunning.countDown();
                        await(releaseGroup);
                    }
                    insert(c, k);
                    return k;
                });
            }));
            untilQueued(groups, k);
        }
        releaseFirst.countDown();
        assertEquals(100, first.get(10, TimeUnit.SECONDS));
        assertTrue(groupRunning.await(10, TimeUnit.SECONDS));
        // a lead is free now and nothing is queued: the caller whose piece is in the running group has nothing to
        // lead, and must not loop on the free lead while it waits (it did: a core's share at a busy school)
        releaseSecond.countDown();
        assertEquals(200, second.get(10, TimeUnit.SECONDS));
        int runnable = 0;
        for (int sample = 0; sample < 60; sample++) {
            Thread.sleep(5);
            for (Thread t : waiting) {
                if (t.getState() == Thread.State.RUNNABLE) {
                    runnable++;
                }
            }
        }
        assertTrue(runnable < 10, runnable + " of 120 samples found a waiting caller running");
        releaseGroup.countDown();
        assertEquals(1, out.get(0).get(10, TimeUnit.SECONDS));
        assertEquals(2, out.get(1).get(10, TimeUnit.SECONDS));
        assertEquals(List.of(1, 2, 100, 200), new ArrayList<>(rows().keySet()));
        assertEquals(3, commits.get(), "the two alone, then the group of two");
    }

    @Test
    void twoLeadersPerProcessorWithinHalfThePool() {
        String was = System.clearProperty(GroupCommit.LEADERS);
        try {
            int cpus = Runtime.getRuntime().availableProcessors();
            int perCpus = Math.max(2, Math.min(16, 2 * cpus));
            assertEquals(Math.min(perCpus, 4), GroupCommit.leaders(8)); // a school's pool: at most half of it
            assertEquals(perCpus, GroupCommit.leaders(1000));
            assertEquals(1, GroupCommit.leaders(2));
            assertEquals(1, GroupCommit.leaders(1)); // never none
            System.setProperty(GroupCommit.LEADERS, "6");
            assertEquals(6, GroupCommit.leaders(8)); // the operator's choice wins
            System.setProperty(GroupCommit.LEADERS, "500");
            assertEquals(64, GroupCommit.leaders(8));
        } finally {
            if (was == null) {
                System.clearProperty(GroupCommit.LEADERS);
            } else {
                System.setProperty(GroupCommit.LEADERS, was);
            }
        }
    }
}
