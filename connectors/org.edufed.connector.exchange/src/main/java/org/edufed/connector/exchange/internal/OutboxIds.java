package org.edufed.connector.exchange.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The ids of outbox rows, handed out by the exchange from blocks it reserves in {@code edufed_fed_seq} (row {@code
 * outbox}), not by the database's identity generator. The parent de-duplicates by (child, outbox id), so an id must never come twice
 * — and Derby's identity generator, shared by every transaction, reserves its ranges in a nested transaction that
 * falls back to the writer's own when it finds the catalogue row locked by it: should that writer's transaction
 * then roll back, the reservation rolls back with it while the generator goes on from memory, and every later
 * insert fails ("a lock could not be obtained") until the node restarts. Many registrations sharing one
 * transaction (group commit) made that happen within a minute of a busy start.
 *
 * <p>A block is reserved in the transaction of the writer that needs it, the row locked first, so that
 * reservations follow one another; the new top is above both what is stored and what this node
 * has handed out already, so a reservation undone by its writer's rollback is never handed out twice. At the
 * first reservation after a start the stored top is raised to above the highest id still in the outbox and the
 * highest acknowledged by the parent (which covers the one case a rollback could have left: a block undone, then
 * the node stopped before the next reservation).
 */
final class OutboxIds {

    /** Ids reserved at once: one reservation (a row update in a writer's transaction) per this many rows. */
    static final int BLOCK = 1000;

    private long next;
    private long limit;
    private boolean seeded;

    /**
     * {@code n} consecutive ids for rows the caller inserts in its transaction {@code c}; returns the first. May
     * reserve a block in {@code c} (which then holds the reservation row's lock until it ends).
     */
    long take(Connection c, int n) throws SQLException {
        if (n < 1) {
            throw new IllegalArgumentException("ids wanted: " + n);
        }
        synchronized (this) {
            if (limit - next >= n) {
                long first = next;
                next += n;
                return first;
            }
        }
        // a new block, reserved outside the monitor: waiting for the row here while holding it could wait for a
        // writer that waits for the monitor
        try (PreparedStatement lock =
                c.prepareStatement("UPDATE edufed_fed_seq SET value = value WHERE name = 'outbox'")) {
            if (lock.executeUpdate() != 1) {
                throw new SQLException("edufed_fed_seq has no row for the outbox (migration V7 missing?)");
            }
        }
        boolean seed;
        long floor;
        synchronized (this) {
            seed = !seeded;
            floor = limit; // read with the row locked: every reservation before this one is in it
        }
        if (seed) {
            floor = Math.max(floor, highestUsed(c) + 1);
        }
        long size = Math.max(BLOCK, n);
        long top = FederationStore.advanceSequence(c, "outbox", floor, size);
        synchronized (this) {
            seeded = true;
            long start = top - size;
            // ours is above every id handed out so far; what was left of the block before is not used
            next = start + n;
            limit = top;
            return start;
        }
    }

    /** The highest outbox id this node can have handed out that is still known: in the outbox, or acknowledged. */
    private static long highestUsed(Connection c) throws SQLException {
        long max = 0;
        for (String sql :
                new String[] {"SELECT MAX(id) FROM edufed_fed_outbox", "SELECT MAX(seq) FROM edufed_fed_watermark"}) {
            try (PreparedStatement ps = c.prepareStatement(sql);
                    ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    max = Math.max(max, rs.getLong(1));
                }
            }
        }
        return max;
    }
}
