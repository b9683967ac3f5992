package org.edufed.kernel.shell.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;

/** Shell commands of the audit trail, for a security officer with shell access. */
public final class AuditCommands {
    private AuditCommands() {}

    /** {@code edufed:audit [limit] [action-prefix]}: the newest entries. */
    @Command(scope = "edufed", name = "audit", description = "Show the audit trail / 查看审计日志")
    @Service
    public static class Show implements Action {
        @Argument(index = 0, name = "limit", description = "how many entries (default 20)", required = false)
        int limit = 20;

        @Argument(index = 1, name = "action", description = "only actions starting with this", required = false)
        String action;

        @Reference
        AuditLog audit;

        @Override
        public Object execute() {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() {
            for (AuditLog.Entry e : audit.recent(limit, action)) {
                System.out.printf(
                        "%6d %s %-16s %-18s %-8s %s %s%n",
                        e.id(),
                        e.at(),
                        e.actor(),
                        e.action(),
                        e.result(),
                        e.target() == null ? "" : e.target(),
                        e.address() == null ? "" : "@" + e.address());
            }
            return null;
        }
    }

    /** {@code edufed:audit-verify}: walk the hash chain; says where it is broken. */
    @Command(scope = "edufed", name = "audit-verify", description = "Verify the audit trail / 校验审计日志")
    @Service
    public static class Verify implements Action {
        @Reference
        AuditLog audit;

        @Override
        public Object execute() {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() {
            AuditLog.Verification v = audit.verify();
            if (v.intact()) {
                System.out.println("Audit trail intact / 审计日志完整: " + v.checked() + " entries");
            } else {
                System.out.println("AUDIT TRAIL BROKEN / 审计日志被篡改: " + v.reason() + " (checked " + v.checked() + ")");
            }
            return null;
        }
    }

    /** {@code edufed:field-key-rotate}: a new SM4 key for personal data written from now on. */
    @Command(scope = "edufed", name = "field-key-rotate", description = "New SM4 field key / 更换个人数据加密密钥")
    @Service
    public static class FieldKeyRotate implements Action {
        @Reference
        org.edufed.kernel.api.crypto.FieldEncryption fields;

        @Reference
        AuditLog audit;

        @Override
        public Object execute() {
            try (Actor.Scope who = ShellActor.current()) {
                String id = fields.rotateKey();
                audit.record(AuditLog.Event.of("crypto.field-key.rotate", id, AuditLog.Result.SUCCESS, null));
                System.out.println("New field key / 新密钥: " + id + " (older values keep reading with their own key)");
            }
            return null;
        }
    }
}
