package org.edufed.kernel.api.federation;

/** Refused: an upper level has locked the item, so no level below may set or remove its own value. */
public final class LockedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final transient Provenance lockedBy;

    public LockedException(String key, Provenance lockedBy) {
        super(key + " is locked by " + lockedBy.setBy().level() + " "
                + lockedBy.setBy().code());
        this.key = key;
        this.lockedBy = lockedBy;
    }

    /** The item refused. */
    public String key() {
        return key;
    }

    /** Who locked it. */
    public Provenance lockedBy() {
        return lockedBy;
    }
}
