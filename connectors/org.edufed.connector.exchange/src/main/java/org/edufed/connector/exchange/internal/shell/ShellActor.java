package org.edufed.connector.exchange.internal.shell;

import org.apache.karaf.shell.support.ShellUtil;
import org.edufed.kernel.api.audit.Actor;

/** Shell commands act as {@code shell:<user>} in the audit trail. */
public final class ShellActor {
    private ShellActor() {}

    public static Actor.Scope current() {
        String user = ShellUtil.getCurrentUserName();
        return Actor.as("shell:" + (user == null ? "?" : user), null);
    }
}
