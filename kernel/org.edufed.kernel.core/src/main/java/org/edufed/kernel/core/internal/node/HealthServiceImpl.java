package org.edufed.kernel.core.internal.node;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.edufed.kernel.api.HealthCheck;
import org.edufed.kernel.api.HealthService;
import org.edufed.kernel.api.NodeIdentity;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** Aggregates the health checks registered by any bundle; the node identity must be in place too. */
@Component(service = HealthService.class)
public final class HealthServiceImpl implements HealthService {

    private final List<HealthCheck> checks = new CopyOnWriteArrayList<>();
    private volatile NodeIdentity identity;

    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addCheck(HealthCheck check) {
        checks.add(check);
    }

    void removeCheck(HealthCheck check) {
        checks.remove(check);
    }

    @Reference(
            cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setIdentity(NodeIdentity identity) {
        this.identity = identity;
    }

    void unsetIdentity(NodeIdentity identity) {
        if (this.identity == identity) {
            this.identity = null;
        }
    }

    @Override
    public Report report() {
        List<Check> results = new ArrayList<>();
        NodeIdentity id = identity;
        results.add(
                id == null
                        ? new Check("identity", false, "etc/org.edufed.node.cfg not loaded")
                        : new Check("identity", true, id.level().id() + " " + id.code()));
        for (HealthCheck check : checks) {
            HealthCheck.Result r;
            try {
                r = check.check();
            } catch (RuntimeException e) {
                r = HealthCheck.Result.fail(e.getClass().getSimpleName());
            }
            results.add(new Check(check.name(), r.ok(), r.detail()));
        }
        results.sort(Comparator.comparing(Check::name));
        boolean ready = results.stream().allMatch(Check::ok)
                && results.stream().anyMatch(c -> c.name().equals("storage"));
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
        return new Report(ready, uptime, List.copyOf(results));
    }
}
