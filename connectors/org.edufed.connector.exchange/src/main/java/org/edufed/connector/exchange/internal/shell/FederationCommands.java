package org.edufed.connector.exchange.internal.shell;

import java.time.Duration;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
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
}
