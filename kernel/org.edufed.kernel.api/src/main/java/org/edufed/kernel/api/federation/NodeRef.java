package org.edufed.kernel.api.federation;

/** A node of the tree, by level and code (and name, for people). */
public record NodeRef(String level, String code, String name) {}
