package org.edufed.kernel.core.internal.node;

import java.util.ArrayList;
import java.util.List;
import org.edufed.kernel.api.HealthCheck;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/** Ready when every bundle is active (fragments: resolved). Names the first few that are not. */
@Component(service = HealthCheck.class)
public final class BundlesHealthCheck implements HealthCheck {

    private final BundleContext context;

    @Activate
    public BundlesHealthCheck(BundleContext context) {
        this.context = context;
    }

    @Override
    public String name() {
        return "bundles";
    }

    @Override
    public Result check() {
        Bundle[] bundles = context.getBundles();
        List<String> notActive = new ArrayList<>();
        for (Bundle b : bundles) {
            // the bundle's revision, not its headers: getHeaders("") copies every header of every bundle on each
            // check (a fifth of the CPU of a health request)
            BundleRevision revision = b.adapt(BundleRevision.class);
            boolean fragment = revision != null && (revision.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (b.getState() != expected) {
                notActive.add(b.getSymbolicName());
            }
        }
        if (notActive.isEmpty()) {
            return Result.ok(bundles.length + " bundles active");
        }
        return Result.fail(notActive.size() + " not active: "
                + String.join(", ", notActive.subList(0, Math.min(5, notActive.size()))));
    }
}
