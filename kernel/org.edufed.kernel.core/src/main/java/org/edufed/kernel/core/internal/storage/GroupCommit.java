package org.edufed.kernel.core.internal.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.storage.Storage.TransactionalWork;

/**
 * Group commit: small independent transactions that arrive together share one database transaction and its
 * commit. A caller queues its work; a caller that gets one of the few {@linkplain #leaders leads} takes what is
 * queued (up to {@link #MAX_GROUP}), runs each piece under its own savepoint with the actor of the caller who
 * queued it, commits once, and wakes the callers. A piece that throws is rolled back to its savepoint and its
 * caller gets the exception; the others are not touched. Nothing is acknowledged before the commit: when the
 * shared transaction cannot go on (a deadlock or lock timeout rolls it back, a savepoint cannot be rolled back,
 * the commit fails) each piece is run again alone in its own transaction ({@link Transactions},
 * with its retries) — so, as for {@link Transactions}, work must keep its effects inside the transaction.
 *
 * <p>A caller that finds nothing else queued and a lead free runs its work in a transaction of its own, as
 * {@link Transactions#run} would: under light load nothing changes. Under load, one commit (one log flush, one
 * pooled connection taken and given back) serves a group, and the groups use at most {@code leaders} connections
 * instead of one per request.
 */
final class GroupCommit {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupCommit.class);

    /** The most pieces of work in one transaction: enough to share the commit, few enough to keep latency low. */
    static final int MAX_GROUP = 32;

    /**
     * How long a waiting caller sleeps before it looks again on its own. It is woken when its work is done and when
     * a lead is given back while it is first in the queue, so this only bounds the cost of a missed wake-up.
     */
    private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** System property: how many groups may run at once (see {@link #leaders}). */
    static final String LEADERS = "edufed.storage.groupCommit.leaders";

    /**
     * How many of a bundle's groups run at once: two per processor (at least two, at most sixteen), and no more
     * than half the pooled connections ({@code poolMax}), so that the rest of the node still gets one while that
     * bundle is busy (each bundle has its own groups; only the exam plugin shares transactions today);
     * {@value #LEADERS} sets it (1–64). Two per processor, not one: a group's commit waits for its log to reach the disk (a synchronous
     * write, ~1 ms on the test VM) and, with one group per core, both cores could wait at once with nothing
     * else to do. A school (two cores, 8 connections) measured 2,921–3,177 registrations/s with four against
     * 2,594–2,645/s with two, in 20-s runs on one database (see bench/README.md).
     */
    static int leaders(int poolMax) {
        int perCpus = Math.max(2, Math.min(16, 2 * Runtime.getRuntime().availableProcessors()));
        int def = Math.max(1, Math.min(perCpus, poolMax / 2));
        return Math.max(1, Math.min(64, Integer.getInteger(LEADERS, def)));
    }

    private final Supplier<DataSource> dataSource;
    private final Semaphore leads;
    private final ConcurrentLinkedQueue<Piece<?>> queued = new ConcurrentLinkedQueue<>();

    /**
     * @param dataSource where the connections come from (asked for each group: a plugin's view is looked up per
     *     call)
     * @param leaders how many groups may run at once, each on its own connection
     */
    GroupCommit(Supplier<DataSource> dataSource, int leaders) {
        this.dataSource = dataSource;
        this.leads = new Semaphore(leaders);
    }

    /** One caller's work, its actor, and what came of it. */
    private static final class Piece<T> {
        final TransactionalWork<T> work;
        final Actor.Who who;
        final Thread caller = Thread.currentThread();
        /** A leader has taken it into its group: its caller only waits now, until {@link #done}. */
        volatile boolean taken;

        volatile boolean done;
        /** Its outcome is final (committed, or refused): an error later in the group does not change it. */
        boolean settled;

        T result;
        Throwable failure;

        Piece(TransactionalWork<T> work) {
            this.work = work;
            this.who = Actor.current();
        }

        void runAlone(DataSource ds) {
            try (Actor.Scope s = Actor.as(who.name(), who.address())) {
                result = Transactions.run(ds, work);
            } catch (SQLException | RuntimeException e) {
                failure = e;
            }
            settled = true;
        }

        void finish() {
            done = true;
            if (caller != Thread.currentThread()) {
                LockSupport.unpark(caller);
            }
        }
    }

    /** Runs the work, alone or with others queued at the same time; returns once it is committed. */
    <T> T run(TransactionalWork<T> work) throws SQLException {
        if (!enabled()) {
            return Transactions.run(dataSource.get(), work);
        }
        if (queued.isEmpty() && leads.tryAcquire()) {
            try {
                return Transactions.run(dataSource.get(), work);
            } finally {
                leads.release();
                wakeNext();
            }
        }
        Piece<T> piece = new Piece<>(work);
        queued.add(piece);
        boolean interrupted = false;
        while (!piece.done) {
            // once a leader has taken the piece its caller waits to be woken (finish): trying the free leads
            // meanwhile found an empty queue again and again, a busy loop on the cores the groups it waited for
            // needed (its empty lists were a sixth of all the memory a school allocated under registration load)
            if (!piece.taken && leads.tryAcquire()) {
                try {
                    lead();
                } finally {
                    leads.release();
                }
                wakeNext();
            } else {
                LockSupport.parkNanos(this, RECHECK_NANOS);
                // queued work is run and its outcome given whatever happens: an interrupt is kept for afterwards
                interrupted |= Thread.interrupted();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return outcome(piece);
    }

    /**
     * The system property that turns group commit off ({@code false}): each piece of work then runs in a
     * transaction of its own: for an operator, should shared transactions ever misbehave on a database, and for
     * measuring what they save. Read at every call (a map lookup).
     */
    static final String SWITCH = "edufed.storage.groupCommit";

    static boolean enabled() {
        return !"false".equals(System.getProperty(SWITCH));
    }

    /** How many pieces of work wait for a lead (counted one by one: for tests and diagnostics). */
    int queued() {
        return queued.size();
    }

    /** Wakes a waiting caller to lead the work still queued, if any (a lead has just been given back). */
    private void wakeNext() {
        Piece<?> next = queued.peek();
        if (next != null) {
            LockSupport.unpark(next.caller);
        }
    }

    private static <T> T outcome(Piece<T> piece) throws SQLException {
        Throwable f = piece.failure;
        if (f == null) {
            return piece.result;
        }
        // rethrown on the caller's thread with the caller's stack, the cause's type kept
        if (f instanceof SQLException e) {
            throw e;
        }
        if (f instanceof RuntimeException e) {
            throw e;
        }
        throw (Error) f;
    }

    /** Takes what is queued and runs it as one group. */
    private void lead() {
        if (queued.peek() == null) {
            return;
        }
        List<Piece<?>> group = new ArrayList<>(Math.min(MAX_GROUP, 8));
        for (Piece<?> p; group.size() < MAX_GROUP && (p = queued.poll()) != null; ) {
            p.taken = true;
            group.add(p);
        }
        if (group.isEmpty()) {
            return;
        }
        DataSource ds;
        try {
            ds = dataSource.get();
        } catch (RuntimeException e) {
            group.forEach(p -> p.failure = e);
            group.forEach(Piece::finish);
            return;
        }
        try {
            if (group.size() == 1) {
                group.get(0).runAlone(ds);
            } else if (!together(ds, group)) {
                for (Piece<?> p : group) {
                    // all of them, also those refused in the group: a duplicate of a piece that now fails is not
                    p.result = null;
                    p.failure = null;
                    p.runAlone(ds);
                }
            } else {
                group.forEach(p -> p.settled = true);
            }
        } catch (Throwable e) {
            for (Piece<?> p : group) {
                if (!p.settled) {
                    p.result = null;
                    p.failure = e;
                }
            }
        } finally {
            group.forEach(Piece::finish);
        }
    }

    /**
     * Runs the group in one transaction, each piece under its own savepoint. Returns whether it committed; when
     * not, the transaction is rolled back and every piece is to be run again alone.
     */
    private static boolean together(DataSource ds, List<Piece<?>> group) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            boolean committed = false;
            try {
                for (Piece<?> p : group) {
                    SQLException ended = runOne(c, p);
                    if (ended != null) {
                        LOG.warn(
                                "a shared transaction of {} could not go on ({} {}); each runs again alone",
                                group.size(),
                                ended.getSQLState(),
                                ended.getMessage());
                        return false;
                    }
                }
                c.commit();
                committed = true;
                return true;
            } catch (SQLException | RuntimeException e) {
                LOG.warn("a shared transaction of {} failed ({}); each runs again alone", group.size(), e.toString());
                return false;
            } finally {
                if (!committed) {
                    // also when a piece threw an Error: setAutoCommit(true) below would commit what is there
                    try {
                        c.rollback();
                    } catch (SQLException ignored) {
                        // the connection is gone; the pieces run again on another
                    }
                }
                try {
                    c.setAutoCommit(true);
                } catch (SQLException ignored) {
                    // as above: the pool drops a broken connection
                }
            }
        } catch (SQLException e) {
            return false; // no connection: each piece tries alone, and gets its own error
        }
    }

    /**
     * Runs one piece under a savepoint. Returns {@code null} when the group can go on (the piece done, or refused
     * and rolled back to its savepoint), or the error that ended the shared transaction (the piece's failure rolled
     * it back, or its savepoint could not be rolled back): the pieces are then to run again alone.
     */
    private static <T> SQLException runOne(Connection c, Piece<T> p) throws SQLException {
        Savepoint sp = c.setSavepoint();
        try (Actor.Scope s = Actor.as(p.who.name(), p.who.address())) {
            p.result = p.work.run(c);
        } catch (SQLException | RuntimeException e) {
            if (e instanceof SQLException q && endsTransaction(q)) {
                return q;
            }
            try {
                c.rollback(sp);
            } catch (SQLException lost) {
                return lost;
            }
            p.result = null;
            p.failure = e;
            return null;
        }
        c.releaseSavepoint(sp);
        return null;
    }

    /**
     * Whether an error ended the transaction, not only the statement: SQLSTATE class 40 (transaction rollback:
     * deadlock, lock timeout, serialisation) or 08 (connection exception).
     */
    static boolean endsTransaction(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                if (state.startsWith("40") || state.startsWith("08")) {
                    return true;
                }
            }
        }
        return false;
    }
}
