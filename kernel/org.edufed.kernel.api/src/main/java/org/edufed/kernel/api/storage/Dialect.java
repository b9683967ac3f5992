package org.edufed.kernel.api.storage;

/** The database behind the node's storage. */
public enum Dialect {
    DERBY("derby"),
    POSTGRESQL("postgresql");

    private final String id;

    Dialect(String id) {
        this.id = id;
    }

    /** The lower-case name used in configuration and in dialect-specific migration file names. */
    public String id() {
        return id;
    }

    public static Dialect parse(String value) {
        for (Dialect d : values()) {
            if (d.id.equalsIgnoreCase(value == null ? "" : value.trim())) {
                return d;
            }
        }
        return null;
    }
}
