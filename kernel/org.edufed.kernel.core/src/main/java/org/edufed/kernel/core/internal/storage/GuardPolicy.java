package org.edufed.kernel.core.internal.storage;

import java.util.function.Supplier;
import org.edufed.kernel.api.plugin.PluginGuard;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A plugin's checked connections as the running node sees them: the plugin guard says who is a plugin. */
final class GuardPolicy implements PluginConnections.Policy {

    private static final Logger LOG = LoggerFactory.getLogger(GuardPolicy.class);

    private final Supplier<PluginGuard> guard;
    private final String location;

    /** @param location the plugin bundle's location, to which refusals are reported */
    GuardPolicy(Supplier<PluginGuard> guard, String location) {
        this.guard = guard;
        this.location = location;
    }

    @Override
    public boolean trusted(Class<?> caller) {
        Bundle b = caller == null ? null : FrameworkUtil.getBundle(caller);
        if (b == null) {
            return false;
        }
        PluginGuard g = guard.get();
        return g == null
                ? BundleStorage.kernelLayer(b)
                : g.plugin(b.getLocation()).isEmpty();
    }

    @Override
    public String refused(String plugin, SqlCheck.Refusal refusal, String sql) {
        String detail = refusal.reason();
        LOG.warn("plugin {}: refused {}: {}", plugin, detail, sql.length() > 300 ? sql.substring(0, 300) : sql);
        PluginGuard g = guard.get();
        String reason = g == null ? detail : g.refuseStorage(location, detail);
        return "plugin " + plugin + ": " + detail + " (" + reason + ")";
    }
}
