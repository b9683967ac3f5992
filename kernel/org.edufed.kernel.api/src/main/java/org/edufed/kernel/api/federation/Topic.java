package org.edufed.kernel.api.federation;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edufed.kernel.api.Level;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A topic the exchange carries, declared by the bundle that owns it as an OSGi service. Plugins declare
 * what they sync this way and never open a channel of their own: an upward record of an undeclared topic is
 * refused where it is written, and a parent that does not (yet) know a topic keeps the child's records
 * waiting rather than losing them.
 */
@ConsumerType
public interface Topic {

    /** Which way records of a topic travel. */
    enum Direction {
        /** From a node to its children (inherited items, on the change feed). */
        DOWN,
        /** From a node to its ancestors (records through the outbox). */
        UP
    }

    /** Lower-case, dotted, at most 64 characters, e.g. {@code exam.registrations}. */
    String name();

    Direction direction();

    /**
     * Which levels see which top-level fields of a record's JSON object: a field named here travels only to
     * nodes of the levels given (down: when the feed is served to a child; up: when a record is pushed to the
     * parent); fields not named travel everywhere. Decided where the record is sent from, so a level that must
     * not see a field never receives it.
     */
    default Map<String, Set<Level>> fieldLevels() {
        return Map.of();
    }

    /**
     * Checks an inheritable item of a downward topic before this node stores its own value, e.g. that a
     * dictionary entry names something. Throws {@link IllegalArgumentException} with a message for the user to
     * refuse it (the whole change is refused, nothing is stored).
     */
    default void validate(String key, String value) {}

    /** A line for operators, in zh-CN. */
    default String description() {
        return name();
    }

    /**
     * Top-level fields of a record's JSON object that hold personal data (ID numbers, phone numbers): wherever
     * the exchange stores a record of this topic (the outbox, the records held at every level above), those
     * fields are encrypted with the node's {@link org.edufed.kernel.api.crypto.FieldEncryption field key}; they
     * travel between nodes in clear inside the signed envelope, and each node encrypts them under its own key.
     * {@link Upward#records} and {@link #received} hand them out encrypted: decrypt (or reveal) them where needed.
     *
     * @since 1.3
     */
    default Set<String> sensitiveFields() {
        return Set.of();
    }

    /**
     * Called at a node above the origin, inside the transaction that keeps them, with the records of this
     * (upward) topic received from below that are newer than those held: a plugin keeps its own view of them
     * (a table it can query by status, school …) exactly once, committed with their receipt. A throw rolls the
     * whole push back, and the child sends it again later: refuse nothing here that a retry cannot fix — record
     * a bad record as such instead. Fields named in {@link #sensitiveFields()} come encrypted.
     *
     * @since 1.3
     */
    default void received(Connection connection, List<Upward.Record> records) throws SQLException {}

    /**
     * Whether the items of this (downward) topic are addressed: keyed {@code <node code>.<rest>}, an item travels
     * only down the branch that leads to the node its key names (that node and the nodes on the way receive it;
     * no other node does), instead of to every node below. For what is meant for one school: a review decision, an
     * admission result. The default, {@code false}, sends every item to every node below.
     *
     * @since 1.3
     */
    default boolean addressed() {
        return false;
    }

    /**
     * The records of this (upward) topic made at this node, when the bundle keeps them in its own rows and queues
     * their changes with {@link Upward#enqueueOwn}: the exchange then reads them from there instead of keeping a
     * copy. The default, {@code null}: the exchange keeps a copy of each record queued.
     *
     * @since 1.5
     */
    default OwnRecords ownRecords() {
        return null;
    }
}
