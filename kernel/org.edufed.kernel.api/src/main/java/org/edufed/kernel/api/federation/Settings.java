package org.edufed.kernel.api.federation;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Inheritable settings: set at a level with a {@link Mode}, inherited by every descendant, overridable where
 * allowed, always shown with provenance.
 */
@ProviderType
public interface Settings {

    /** Every effective setting at this node, ordered by key. */
    List<EffectiveSetting> effective();

    Optional<EffectiveSetting> effective(String key);

    /**
     * Sets a value at this node: a new setting of this level, or an override of an inherited overridable
     * one. Published to the children in the same transaction unless {@code mode} is {@link Mode#LOCAL}.
     *
     * @throws LockedException when an upper level has locked the key
     */
    EffectiveSetting set(String key, String value, Mode mode) throws LockedException;

    /** Removes this node's own value (an override falls back to the inherited value). */
    boolean remove(String key) throws LockedException;

    /** Applies many changes at once, all or nothing (see {@link Inheritance#change}). */
    int setAll(List<Inheritance.Change> changes) throws LockedException;
}
