package org.edufed.kernel.api.audit;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The node's audit trail. Entries are appended in order, each carrying the SM3 hash of the one before, so
 * that changing or removing an entry breaks the chain and {@link #verify()} says where. Entries older than the
 * retention period are dropped from the start of the chain, whose last dropped hash is kept as its anchor.
 */
@ProviderType
public interface AuditLog {

    /** How an audited action ended. */
    enum Result {
        SUCCESS,
        FAILURE,
        DENIED
    }

    /**
     * What happened. {@code actor} and {@code address} default to the {@link Actor#current() current actor}
     * when {@code null}; {@code action} is a dotted name ({@code login}, {@code settings.change},
     * {@code federation.revoke}, {@code personal.view} …); {@code detail} must never hold a secret.
     */
    record Event(String actor, String address, String action, String target, Result result, String detail) {
        public static Event of(String action, String target, Result result, String detail) {
            return new Event(null, null, action, target, result, detail);
        }
    }

    /** An entry of the trail. */
    record Entry(
            long id,
            Instant at,
            String node,
            String actor,
            String address,
            String action,
            String target,
            Result result,
            String detail,
            String hash) {}

    /** The outcome of a verification of the whole chain. */
    record Verification(long checked, boolean intact, Long firstBroken, String reason) {}

    /** Records an event in a transaction of its own. Never throws: a failure to audit is logged as an error. */
    void record(Event event);

    /** Records an event inside the caller's transaction: the change and its audit entry commit together. */
    void record(Connection connection, Event event) throws SQLException;

    /** The newest entries, newest first; {@code action} filters by prefix when not {@code null}. */
    List<Entry> recent(int limit, String action);

    /** Counts of entries per action and result since a time (for the summaries that go up the tree). */
    record Count(String action, Result result, long count) {}

    List<Count> countsSince(Instant since);

    /** Walks the whole chain from its anchor and checks every hash. */
    Verification verify();
}
