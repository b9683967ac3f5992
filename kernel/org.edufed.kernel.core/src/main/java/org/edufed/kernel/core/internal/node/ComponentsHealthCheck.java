package org.edufed.kernel.core.internal.node;

import java.util.ArrayList;
import java.util.List;
import org.edufed.kernel.api.HealthCheck;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Ready when every enabled Declarative Services component of EduFed's own bundles (kernel, connectors,
 * plugins: {@code org.edufed.*}) is satisfied or active — so that every REST resource, console page and
 * route a bundle offers has been registered by the time the node says it is ready. Names the first few
 * that are not, with why (missing configuration, missing reference, failed activation).
 */
@Component(service = HealthCheck.class)
public final class ComponentsHealthCheck implements HealthCheck {

    private final BundleContext context;
    private final ServiceComponentRuntime scr;

    @Activate
    public ComponentsHealthCheck(BundleContext context, @Reference ServiceComponentRuntime scr) {
        this.context = context;
        this.scr = scr;
    }

    @Override
    public String name() {
        return "components";
    }

    @Override
    public Result check() {
        List<String> waiting = new ArrayList<>();
        int ok = 0;
        List<Bundle> ours = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName() != null && b.getSymbolicName().startsWith("org.edufed.")) {
                ours.add(b);
            }
        }
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(ours.toArray(new Bundle[0]))) {
            if (!scr.isComponentEnabled(d)) {
                continue;
            }
            var configs = scr.getComponentConfigurationDTOs(d);
            if (configs.isEmpty()) {
                waiting.add(simple(d.name) + " (configuration)");
                continue;
            }
            for (ComponentConfigurationDTO c : configs) {
                switch (c.state) {
                    case ComponentConfigurationDTO.ACTIVE, ComponentConfigurationDTO.SATISFIED -> ok++;
                    case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> waiting.add(
                            simple(d.name) + " (reference)");
                    case ComponentConfigurationDTO.FAILED_ACTIVATION -> waiting.add(simple(d.name) + " (failed)");
                    default -> waiting.add(simple(d.name) + " (configuration)");
                }
            }
        }
        if (waiting.isEmpty()) {
            return Result.ok(ok + " components");
        }
        return Result.fail(
                waiting.size() + " waiting: " + String.join(", ", waiting.subList(0, Math.min(5, waiting.size()))));
    }

    private static String simple(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(dot + 1);
    }
}
