package org.edufed.kernel.api.federation;

/** How an inheritable item behaves below the level that owns it. */
public enum Mode {
    /** Sent down; descendants use it as is and cannot override it. */
    LOCKED,
    /** Sent down; a descendant may replace it for itself and its subtree, visibly as an override. */
    OVERRIDABLE,
    /** Stays at the node that set it. */
    LOCAL;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Mode parse(String value) {
        for (Mode m : values()) {
            if (m.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return m;
            }
        }
        return null;
    }
}
