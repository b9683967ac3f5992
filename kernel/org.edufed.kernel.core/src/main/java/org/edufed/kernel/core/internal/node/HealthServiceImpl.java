package org.edufed.kernel.core.internal.node;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.edufed.kernel.api.HealthCheck;
import org.edufed.kernel.api.HealthService;
import org.edufed.kernel.api.NodeIdentity;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Aggregates the health checks registered by any bundle; the node identity must be in place too.
 *
 * <p>A report is reused for {@link #FRESH_NANOS one second}, and callers that ask while one is being made wait for
 * it instead of making their own. {@code GET /api/v1/health} is public, and its checks are not cheap (the
 * components check asks Declarative Services for every EduFed component's configurations): made anew for every
 * request, a school answered ~200–270 of them a second with both cores busy, so anyone who could reach its port
 * could take its CPU from the students registering. A check that is added or removed (a plugin installed or
 * stopped) or a new identity discards the report at once.
 */
@Component(service = HealthService.class)
public final class HealthServiceImpl implements HealthService {

    /** How long a report is given again without running the checks. */
    static final long FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final List<HealthCheck> checks = new CopyOnWriteArrayList<>();
    private final LongSupplier nanoTime;
    private final Object making = new Object();
    private volatile NodeIdentity identity;
    private final AtomicLong changes = new AtomicLong();
    private volatile Made last;

    /** A report, when it was begun ({@link System#nanoTime}) and the {@link #changes} it saw. */
    private record Made(long at, long changes, Report report) {}

    public HealthServiceImpl() {
        this(System::nanoTime);
    }

    HealthServiceImpl(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addCheck(HealthCheck check) {
        checks.add(check);
        changes.incrementAndGet();
    }

    void removeCheck(HealthCheck check) {
        checks.remove(check);
        changes.incrementAndGet();
    }

    @Reference(
            cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setIdentity(NodeIdentity identity) {
        this.identity = identity;
        changes.incrementAndGet();
    }

    void unsetIdentity(NodeIdentity identity) {
        if (this.identity == identity) {
            this.identity = null;
            changes.incrementAndGet();
        }
    }

    @Override
    public Report report() {
        Made m = last;
        if (fresh(m)) {
            return m.report();
        }
        synchronized (making) {
            m = last;
            if (fresh(m)) {
                return m.report();
            }
            long at = nanoTime.getAsLong();
            long seen = changes.get();
            Report r = make();
            last = new Made(at, seen, r);
            return r;
        }
    }

    /** Begun less than a second ago, and no check or identity came or went since. */
    private boolean fresh(Made m) {
        return m != null && m.changes() == changes.get() && nanoTime.getAsLong() - m.at() < FRESH_NANOS;
    }

    private Report make() {
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
