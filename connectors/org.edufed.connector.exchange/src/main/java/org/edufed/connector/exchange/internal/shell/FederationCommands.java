package org.edufed.connector.exchange.internal.shell;

import java.time.Duration;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.edufed.connector.exchange.internal.Reconciler;
import org.edufed.connector.exchange.internal.Sync;
import org.edufed.connector.exchange.internal.SyncStatus;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.federation.Settings;

/** Karaf shell commands of the federation, for operators with shell access. */
public final class FederationCommands {
    private FederationCommands() {}

    /** {@code edufed:enroll-token [minutes]}: a one-time token for a child to enroll with. */
    @Command(scope = "edufed", name = "enroll-token", description = "Issue a one-time enrollment token / 签发下级加入令牌")
    @Service
    public static class EnrollToken implements Action {
        @Argument(index = 0, name = "minutes", description = "validity in minutes (default 1440)", required = false)
        int minutes = 1440;

        @Reference
        Federation federation;

        @Override
        public Object execute() {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() {
            Federation.Token t = federation.issueToken(Duration.ofMinutes(minutes));
            System.out.println("Token / 令牌: " + t.token());
            System.out.println("Valid until / 有效期至: " + t.expiresAt());
            return null;
        }
    }

    /** {@code edufed:enroll <parent-url> <token>}: enroll this node under its parent. */
    @Command(scope = "edufed", name = "enroll", description = "Enroll this node under a parent / 加入上级节点")
    @Service
    public static class Enroll implements Action {
        @Argument(index = 0, name = "parentUrl", required = true, description = "base URL of the parent node")
        String parentUrl;

        @Argument(index = 1, name = "token", required = true, description = "enrollment token issued by the parent")
        String token;

        @Reference
        Federation federation;

        @Override
        public Object execute() {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() {
            try {
                Federation.Parent p = federation.enroll(parentUrl, token);
                System.out.println("Enrolled under / 已加入: " + p.node().level() + " "
                        + p.node().code() + " " + p.node().name());
            } catch (Federation.EnrollmentException e) {
                System.err.println("Enrollment failed / 加入失败: " + e.getMessage());
            }
            return null;
        }
    }

    /** {@code edufed:children}: the enrolled children with their status and last heartbeat. */
    @Command(scope = "edufed", name = "children", description = "List enrolled children / 列出下级节点")
    @Service
    public static class Children implements Action {
        @Reference
        Federation federation;

        @Override
        public Object execute() {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() {
            System.out.printf("%-12s %-9s %-9s %-28s %s%n", "code", "level", "status", "last seen", "name");
            for (Federation.Child c : federation.children()) {
                System.out.printf(
                        "%-12s %-9s %-9s %-28s %s%n",
                        c.node().code(),
                        c.node().level(),
                        c.status(),
                        c.lastSeen() == null ? "-" : c.lastSeen(),
                        c.node().name());
            }
            return null;
        }
    }

    /** {@code edufed:revoke <code>}: refuse a child from now on. */
    @Command(scope = "edufed", name = "revoke", description = "Revoke a child node / 吊销下级节点")
    @Service
    public static class Revoke implements Action {
        @Argument(index = 0, name = "code", required = true, description = "the child's code")
        String code;

        @Reference
        Federation federation;

        @Override
        public Object execute() {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() {
            System.out.println(federation.revoke(code) ? "Revoked / 已吊销: " + code : "No such child / 无此下级: " + code);
            return null;
        }
    }

    /** {@code edufed:settings}: effective settings with provenance. */
    @Command(scope = "edufed", name = "settings", description = "Effective settings with provenance / 生效设置及来源")
    @Service
    public static class ListSettings implements Action {
        @Reference
        Settings settings;

        @Override
        public Object execute() {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() {
            for (EffectiveSetting s : settings.effective()) {
                System.out.printf(
                        "%-30s %-20s %-12s set by %s %s%s%n",
                        s.key(),
                        s.value(),
                        s.provenance().mode().id(),
                        s.provenance().setBy().level(),
                        s.provenance().setBy().code(),
                        s.provenance().overriddenBy() == null
                                ? ""
                                : ", overridden by "
                                        + s.provenance().overriddenBy().code());
            }
            return null;
        }
    }

    /** {@code edufed:sync-status}: the same as the console page 联邦与同步 and {@code /api/v1/federation/status}. */
    @Command(scope = "edufed", name = "sync-status", description = "Sync status per topic / 各主题同步状态")
    @Service
    public static class SyncStatusCommand implements Action {
        @Reference
        Sync sync;

        @Override
        public Object execute() throws Exception {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() throws Exception {
            SyncStatus s = sync.status();
            System.out.println("Parent / 上级: "
                    + (s.parent() == null
                            ? "—"
                            : s.parent().node().code() + " " + s.parent().url()));
            System.out.printf(
                    "Feed / 下行: head %d · applied from parent %d · parent head %s · lag %s · last success %s%s%n",
                    s.feed().head(),
                    s.feed().watermark(),
                    dash(s.feed().parentHead()),
                    dash(s.feed().lag()),
                    dash(s.feed().lastSuccess()),
                    s.feed().lastError() == null
                            ? ""
                            : " · last error " + s.feed().lastError());
            System.out.printf(
                    "Up / 上行: pending %d · dead %d · last success %s%s%n",
                    s.outbox().pending(),
                    s.outbox().dead(),
                    dash(s.outbox().lastSuccess()),
                    s.outbox().lastError() == null
                            ? ""
                            : " · last error " + s.outbox().lastError());
            System.out.printf("Refused messages / 拒收消息: %d%n", s.rejectedMessages());
            System.out.printf(
                    "%-24s %-5s %10s %10s %8s %8s %6s  %s%n",
                    "TOPIC", "DIR", "WATERMARK", "APPLIED", "RECORDS", "PENDING", "DEAD", "LAST SUCCESS / ERROR");
            for (SyncStatus.TopicStatus t : s.topics()) {
                System.out.printf(
                        "%-24s %-5s %10d %10d %8d %8d %6d  %s%n",
                        t.name(),
                        t.direction(),
                        t.watermark(),
                        t.applied(),
                        t.records(),
                        t.pending(),
                        t.dead(),
                        t.lastError() != null ? t.lastError() : dash(t.lastSuccess()));
            }
            return null;
        }

        private static String dash(Object value) {
            return value == null ? "—" : value.toString();
        }
    }

    /** {@code edufed:reconcile <topic> [--repair]}: compare a topic with the parent (and repair). */
    @Command(scope = "edufed", name = "reconcile", description = "Compare a topic with the parent / 与上级核对主题")
    @Service
    public static class Reconcile implements Action {
        @Argument(index = 0, name = "topic", required = true, description = "a declared topic, e.g. settings")
        String topic;

        @org.apache.karaf.shell.api.action.Option(name = "--repair", description = "repair what differs / 修复差异")
        boolean repair;

        @Reference
        Reconciler reconciler;

        @Override
        public Object execute() throws Exception {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() throws Exception {
            Reconciler.Report r = reconciler.reconcile(topic, repair);
            System.out.printf(
                    "%s (%s): here %d · parent %d · missing here %d · extra here %d · different %d"
                            + " · missing at parent %d%s%n",
                    r.topic(),
                    r.direction(),
                    r.local(),
                    r.parent(),
                    r.missingHere(),
                    r.extraHere(),
                    r.different(),
                    r.missingAtParent(),
                    r.repaired() ? " · repaired / 已修复" : "");
            r.keys().forEach(k -> System.out.println("  " + k));
            return null;
        }
    }

    /** {@code edufed:rotate-key}: replace this node's key pair. */
    @Command(scope = "edufed", name = "rotate-key", description = "Rotate this node's key / 更换本节点密钥")
    @Service
    public static class RotateKey implements Action {
        @Reference
        Federation federation;

        @Override
        public Object execute() {
            try (Actor.Scope who = ShellActor.current()) {
                return run();
            }
        }

        private Object run() {
            try {
                federation.rotateKey();
                System.out.println("Node key rotated / 节点密钥已更换");
            } catch (IllegalStateException e) {
                System.err.println("Key rotation failed, nothing changed / 更换失败，未作改变: " + e.getMessage());
            }
            return null;
        }
    }
}
