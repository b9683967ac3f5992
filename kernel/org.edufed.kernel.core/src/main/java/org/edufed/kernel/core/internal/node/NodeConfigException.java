package org.edufed.kernel.core.internal.node;

/** A value of {@code etc/org.edufed.node.cfg} that stops the node: which key, which value, why. */
public final class NodeConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String key;

    NodeConfigException(String key, Object value, String reason) {
        super("etc/org.edufed.node.cfg: " + key + " = " + (value == null ? "(missing)" : "\"" + value + "\"") + ": "
                + reason);
        this.key = key;
    }

    /** The offending configuration key. */
    public String key() {
        return key;
    }
}
