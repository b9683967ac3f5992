package org.edufed.kernel.api.federation;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Inheritable items of any downward topic: settings, dictionaries (GB/T 2260 divisions, school types), and
 * whatever a plugin marks inheritable (an exam year's rules, an indicator system, a course catalogue). An item
 * is set at a level with a {@link Mode}, reaches every descendant through the change feed, may be overridden
 * below where its mode allows, and is always shown with its {@link Provenance}. The topic must be declared as a
 * {@link Topic.Direction#DOWN DOWN} {@link Topic}; values are text (plugins usually store JSON objects, whose
 * top-level fields a topic may hide from some levels, see {@link Topic#fieldLevels()}).
 */
@ProviderType
public interface Inheritance {

    /** The topic of the node settings ({@link Settings} is a view of it). */
    String SETTINGS = "settings";

    /** Most changes one call may carry. */
    int MAX_CHANGES = 1000;

    /** An item's effective value at this node, with where it comes from. */
    record Item(String topic, String key, String value, Provenance provenance, long version) {}

    /** A change of this node's own value: {@code value == null} removes it (an override falls back). */
    record Change(String key, String value, Mode mode) {
        public static Change remove(String key) {
            return new Change(key, null, null);
        }
    }

    /** What a change would reach below this node: every known descendant, and whether it would see it. */
    record Preview(String topic, String key, Mode mode, int descendants, int reached, List<Reach> nodes) {}

    /**
     * One descendant in a {@link Preview}: {@code reached} when it would use the new value; otherwise
     * {@code hiddenBy} names the node (itself or one above it) whose own value hides it. {@code ownMode} is the
     * descendant's own value's mode, if it has one (with a {@code locked} change, that own value is superseded).
     */
    record Reach(NodeRef node, boolean reached, NodeRef hiddenBy, Mode ownMode) {}

    /** Every effective item of a topic at this node, ordered by key. */
    List<Item> effective(String topic);

    Optional<Item> effective(String topic, String key);

    /**
     * Applies changes of this node's own values, all or nothing, in one transaction, and publishes what the
     * children should now see in the same transaction. At most {@link #MAX_CHANGES} changes, each key once.
     *
     * @return how many changes had an effect (removing a value that is not there has none)
     * @throws LockedException when an upper level has locked one of the keys (nothing is changed)
     * @throws IllegalArgumentException with a stable message key when a topic, key, value or mode is not valid
     */
    int change(String topic, List<Change> changes) throws LockedException;

    /**
     * {@link #change(String, List) Changes} this node's own values inside the caller's transaction, so that a
     * plugin's own rows and the items it publishes for the levels below commit together (a review decision and
     * the item that tells the school).
     *
     * @since 1.3
     */
    int change(java.sql.Connection connection, String topic, List<Change> changes) throws LockedException;

    /**
     * What setting {@code key} at this node with {@code mode} would reach, before it is done: the descendants
     * known from the tree, and which of them have own values that would hide it. Nothing is changed.
     *
     * @throws LockedException when the key is locked above (the change would be refused)
     */
    Preview preview(String topic, String key, Mode mode) throws LockedException;
}
