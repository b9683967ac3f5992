package org.edufed.kernel.shell.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.edufed.kernel.api.HealthService;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.Actor;

/** {@code edufed:node}: this node's identity and health, as the API shows them. */
@Command(scope = "edufed", name = "node", description = "Show this node's identity and health / 显示节点身份与健康状态")
@Service
public class NodeCommand implements Action {

    @Reference
    NodeIdentity identity;

    @Reference
    HealthService health;

    @Override
    public Object execute() {
        try (Actor.Scope who = ShellActor.current()) {
            return run();
        }
    }

    private Object run() {
        System.out.println("Level / 级别:     " + identity.level().id());
        System.out.println("Code / 代码:      " + identity.code());
        System.out.println("Name / 名称:      " + identity.name());
        System.out.println("Parent / 上级:    " + (identity.parentUrl() == null ? "-" : identity.parentUrl()));
        System.out.println("Version / 版本:   " + identity.version());
        System.out.println("Key / 密钥:       " + identity.signatureAlgorithm());
        HealthService.Report r = health.report();
        System.out.println(
                "Ready / 就绪:     " + (r.ready() ? "yes / 是" : "NO / 否") + "   uptime " + r.uptimeSeconds() + " s");
        for (HealthService.Check c : r.checks()) {
            System.out.printf(
                    "  %-10s %-4s %s%n", c.name(), c.ok() ? "OK" : "FAIL", c.detail() == null ? "" : c.detail());
        }
        return null;
    }
}
