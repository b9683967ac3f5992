package org.edufed.kernel.api.security;

/**
 * A unit of the organisation tree: a node of the federation (province, county or prefecture, school, by its
 * code) or a unit inside a node (a bureau's department, a school's grade or class), whose code is the node's
 * code, a dash and a local code ({@code 2151010001-g7}). Grants of roles are made over units.
 *
 * @param code the unit's code, unique in the tree
 * @param parentCode the unit above it, {@code null} for the top of what this node sees
 * @param name display name
 * @param kind {@code province}, {@code county}, {@code school} for nodes; {@code department}, {@code grade},
 *     {@code class} for units inside a node
 */
public record OrgUnit(String code, String parentCode, String name, String kind) {

    /** Kinds of units inside a node. */
    public static final java.util.Set<String> INNER_KINDS = java.util.Set.of("department", "grade", "class");

    /** Whether this unit is a node of the federation (not a unit inside one). */
    public boolean isNode() {
        return !INNER_KINDS.contains(kind);
    }
}
