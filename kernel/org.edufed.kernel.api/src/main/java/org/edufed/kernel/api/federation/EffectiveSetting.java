package org.edufed.kernel.api.federation;

/** A setting's effective value at this node, with where it comes from. */
public record EffectiveSetting(String key, String value, Provenance provenance, long version) {}
