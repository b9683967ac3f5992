package org.edufed.kernel.api.security;

/**
 * A role given to a user over a scope: one organisation unit, or the unit and everything below it. A role the
 * account holds without a grant (see {@link Account#roles()}) applies to the whole node and its subtree.
 *
 * @param role the role's name
 * @param unit the code of an {@link OrgUnit} this node knows
 * @param subtree whether the grant reaches the units below {@code unit}
 */
public record Grant(String role, String unit, boolean subtree) {}
