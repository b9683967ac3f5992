package org.edufed.kernel.api.federation;

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

    /** A line for operators, in zh-CN. */
    default String description() {
        return name();
    }
}
