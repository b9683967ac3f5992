package org.edufed.kernel.api.federation;

import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The records of an upward topic made at this node, as the bundle that owns the topic keeps them in its own rows
 * ({@link Topic#ownRecords()}). The exchange then keeps no copy of them: its outbox names which record changed
 * ({@link Upward#enqueueOwn}) and reads the record from here when it goes up, and it asks here when it reconciles
 * with the parent, lists or counts the records it holds. A registration at a school wrote its record twice
 * before: in the plugin's row and in the exchange's; the second copy was a tenth of the school's CPU while its
 * students registered (bench/README.md).
 *
 * <p>The methods run on the bundle's own connections, outside the exchange's transactions; they only read. A
 * record the bundle no longer holds (deleted with its row) is not given here: its deletion, queued with
 * {@link Upward#enqueueOwn}, is kept by the exchange.
 *
 * @since 1.5
 */
@ConsumerType
public interface OwnRecords {

    /**
     * A record as held now.
     *
     * @param localId its id at this node (the exchange's global id is {@code <node code>:<localId>})
     * @param version its newest version
     * @param payloadJson the record as JSON, the topic's {@link Topic#sensitiveFields() sensitive fields} sealed with
     *     this node's field key, as {@link Upward#enqueueSealed} takes them
     * @param changedAt when it last changed
     */
    record Held(String localId, long version, String payloadJson, Instant changedAt) {
        public Held {
            java.util.Objects.requireNonNull(localId, "localId");
            java.util.Objects.requireNonNull(payloadJson, "payloadJson");
            java.util.Objects.requireNonNull(changedAt, "changedAt");
        }
    }

    /** Those of the given records that are held (the others left out), by local id. */
    Map<String, Held> get(Collection<String> localIds) throws SQLException;

    /** The records last changed, newest first, at most {@code limit}. */
    List<Held> newest(int limit) throws SQLException;

    /** The version of every record held, by local id. */
    Map<String, Long> versions() throws SQLException;

    /** How many records are held. */
    int count() throws SQLException;
}
