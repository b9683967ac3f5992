package org.edufed.kernel.shell.internal;

import org.apache.karaf.shell.support.ShellUtil;
import org.edufed.kernel.api.audit.Actor;

/** Shell commands act as {@code shell:<user>} in the audit trail. */
final class ShellActor {
    private ShellActor() {}

    static Actor.Scope current() {
        String user = ShellUtil.getCurrentUserName();
        return Actor.as("shell:" + (user == null ? "?" : user), null);
    }
}
