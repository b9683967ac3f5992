package org.edufed.kernel.api.security;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The organisation tree as this node sees it: the node itself at the top, the units inside it (departments,
 * grades, classes, kept here), and the nodes below it in the federation with what they reported of their own
 * subtree.
 */
@ProviderType
public interface Organisation {

    /** Every unit, each after its parent: this node first. */
    List<OrgUnit> units();

    Optional<OrgUnit> find(String code);

    /** The unit and every unit below it (empty when unknown). */
    Set<String> subtree(String code);

    /** Whether {@code code} is {@code ancestor} or lies below it. */
    boolean within(String code, String ancestor);

    /**
     * Adds a unit inside this node, under this node or under another unit inside it. Its code is this node's
     * code, a dash and {@code localCode}.
     *
     * @throws IllegalArgumentException with a message key ({@code org.badUnit}, {@code org.exists},
     *     {@code org.badParent}) when refused
     */
    OrgUnit add(String parentCode, String localCode, String name, String kind);

    /**
     * Removes a unit inside this node.
     *
     * @throws IllegalArgumentException {@code org.notFound}, or {@code org.inUse} when units lie below it or
     *     grants name it
     */
    void remove(String code);
}
