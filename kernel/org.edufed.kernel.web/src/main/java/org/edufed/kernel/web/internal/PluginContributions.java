package org.edufed.kernel.web.internal;

import java.lang.reflect.Method;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.edufed.kernel.api.plugin.PluginGuard;
import org.edufed.kernel.api.web.RequiresPermission;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.slf4j.Logger;

/**
 * The check the kernel makes before it publishes a REST resource or a console page: a plugin's bundle may
 * contribute only what needs permissions its certified descriptor declares (see {@link PluginGuard}).
 */
public final class PluginContributions {

    private PluginContributions() {}

    /** Every permission a resource class checks, on the class or on its methods. */
    public static Set<String> permissionsOf(Class<?> type) {
        Set<String> out = new TreeSet<>();
        RequiresPermission onType = type.getAnnotation(RequiresPermission.class);
        if (onType != null) {
            out.add(onType.value());
        }
        for (Method m : type.getMethods()) {
            RequiresPermission p = m.getAnnotation(RequiresPermission.class);
            if (p != null) {
                out.add(p.value());
            }
        }
        return out;
    }

    /** Whether the service may be published; logs the refusal when not (the guard audits it). */
    public static boolean admitted(
            PluginGuard guard, ServiceReference<?> ref, String what, Set<String> permissions, Logger log) {
        Bundle b = ref == null ? null : ref.getBundle();
        if (b == null) {
            return true;
        }
        Optional<String> refusal = guard.refusePermissions(b.getLocation(), what, permissions);
        refusal.ifPresent(r -> log.warn("not published: {} from {}: {}", what, b.getSymbolicName(), r));
        return refusal.isEmpty();
    }
}
