package org.edufed.kernel.api.federation;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Records that travel up the tree. A bundle writes its business change and {@link #enqueue} in one
 * transaction (the same connection); the exchange pushes the outbox to the parent with idempotency keys, the
 * parent de-duplicates, keeps the newest version of each record and passes it on upward. Nothing
 * acknowledged is lost; nothing is applied twice.
 */
@ProviderType
public interface Upward {

    /** A record as held here: created at this node or received from below. */
    record Record(
            String topic,
            String globalId,
            String origin,
            long version,
            boolean deleted,
            String payload,
            Instant receivedAt) {}

    /**
     * Records a change of a record created at this node and queues it for the parent, inside the caller's
     * transaction. The global id is {@code <this node's code>:<localId>}.
     *
     * @param payloadJson the record as JSON (at most 32,000 characters)
     */
    void enqueue(Connection connection, String topic, String localId, long version, String payloadJson, boolean deleted)
            throws SQLException;

    /** A record of this node's for {@link #enqueueAll}. */
    record Entry(String localId, long version, String payloadJson, boolean deleted) {}

    /**
     * {@link #enqueue Enqueues} many records of one topic inside the caller's transaction, in a few batched
     * statements rather than several per record.
     */
    void enqueueAll(Connection connection, String topic, List<Entry> entries) throws SQLException;

    /**
     * {@link #enqueueAll Enqueues} records whose {@link Topic#sensitiveFields() sensitive fields} the caller has
     * encrypted already with this node's {@link org.edufed.kernel.api.crypto.FieldEncryption#encrypt} (as it keeps
     * them in its own rows): the exchange stores them as given instead of encrypting each value again and writing
     * the record anew, and opens them as any other when they go up.
     *
     * @throws IllegalArgumentException as {@link #enqueueAll}, and when a sensitive field present (a non-empty
     *     string) is not such a ciphertext; nothing is queued then
     * @since 1.4
     */
    void enqueueSealed(Connection connection, String topic, List<Entry> entries) throws SQLException;

    /** A change of a record its bundle keeps itself, for {@link #enqueueOwn}. */
    record Change(String localId, long version, boolean deleted) {}

    /**
     * Queues changes of records of a topic whose bundle keeps them in its own rows ({@link Topic#ownRecords()}),
     * inside the caller's transaction (in which the rows changed): only which record and version changed is
     * written; the record goes up as {@link OwnRecords#get} gives it when its turn comes (its newest version). A
     * deletion ({@code deleted}: the row is gone) is kept by the exchange, to go up and to be reconciled.
     *
     * @throws IllegalArgumentException when the topic is not an upward topic whose records its bundle keeps, or an
     *     id is blank or longer than 270 characters; nothing is queued then
     * @since 1.5
     */
    void enqueueOwn(Connection connection, String topic, List<Change> changes) throws SQLException;

    /** The records of a topic held here (own and from the subtree), newest first. */
    List<Record> records(String topic, int limit);

    /**
     * The records of a topic held here whose origin is in {@code scope} (filtered in the query), newest first.
     */
    List<Record> records(String topic, org.edufed.kernel.api.security.Scope scope, int limit);

    /** Items waiting to go up, and items the parent refused for good. */
    record Queue(int pending, int dead) {}

    Queue queue();
}
