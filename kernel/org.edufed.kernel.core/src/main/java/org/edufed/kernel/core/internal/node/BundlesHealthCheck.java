package org.edufed.kernel.core.internal.node;

import java.util.ArrayList;
import java.util.List;
import org.edufed.kernel.api.HealthCheck;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
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
            boolean fragment = b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
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
