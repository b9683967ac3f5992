package org.edufed.kernel.core.internal.storage;

import java.sql.Connection;
import java.util.function.BiFunction;
import org.edufed.kernel.api.plugin.PluginGuard;
import org.osgi.framework.Bundle;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * For the kernel's own callers into plugin code that hand over a connection of the kernel's (the exchange's
 * {@code Topic.received(connection, records)}): the same connection, checked for the plugin the bundle belongs
 * to; unchanged for other bundles. Kernel-internal, no API: a {@link BiFunction} service with {@code
 * edufed.storage.scope=plugin}. It only ever adds checks, so finding it gives a plugin nothing.
 */
@Component(service = BiFunction.class, property = "edufed.storage.scope=plugin")
public final class PluginConnectionScope implements BiFunction<Bundle, Connection, Connection> {

    private final StorageComponent storage;

    @Reference(
            cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile PluginGuard guard;

    @Activate
    public PluginConnectionScope(@Reference StorageComponent storage) {
        this.storage = storage;
    }

    @Override
    public Connection apply(Bundle bundle, Connection connection) {
        PluginGuard g = guard;
        var plugin = g == null || bundle == null ? java.util.Optional.<String>empty() : g.plugin(bundle.getLocation());
        if (plugin.isEmpty()) {
            return connection;
        }
        return new PluginConnections(
                        storage.migrator().owners(), plugin.get(), new GuardPolicy(() -> guard, bundle.getLocation()))
                .connection(connection);
    }
}
