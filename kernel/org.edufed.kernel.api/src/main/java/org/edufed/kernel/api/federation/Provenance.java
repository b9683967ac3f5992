package org.edufed.kernel.api.federation;

/**
 * Where a value comes from: the node that set it ({@code setBy}), and the node below it that overrode it
 * for its subtree, if any ({@code overriddenBy}, {@code null} otherwise).
 */
public record Provenance(NodeRef setBy, Mode mode, NodeRef overriddenBy) {}
