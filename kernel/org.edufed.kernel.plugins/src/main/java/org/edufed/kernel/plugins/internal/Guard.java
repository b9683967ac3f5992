package org.edufed.kernel.plugins.internal;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.plugin.PluginGuard;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each plugin's bundles may use, from its certified descriptor. Loaded from the node's plugin table when
 * the kernel starts — before the REST server and the exchange accept any contribution — so a plugin restarted
 * by Karaf is held to its descriptor from its first moment; the installer adds a plugin's bundles before they
 * start. A refusal is remembered as the plugin's violation, which fails its install (and rolls it back).
 */
@Component(service = {PluginGuard.class, Guard.class})
public final class Guard implements PluginGuard {

    private static final Logger LOG = LoggerFactory.getLogger(Guard.class);

    /** What a plugin declared. */
    record Allowance(String plugin, String version, Set<String> permissions, Set<String> topics) {}

    private final Map<String, Allowance> byLocation = new ConcurrentHashMap<>();
    private final Map<String, String> violations = new ConcurrentHashMap<>();
    private final AuditLog audit;

    @Activate
    public Guard(@Reference Storage storage, @Reference AuditLog audit) throws SQLException {
        this.audit = audit;
        storage.migrate("org.edufed.kernel.plugins", Guard.class.getClassLoader(), "org/edufed/kernel/plugins/db");
        for (PluginStore.Row r : new PluginStore(storage).all().values()) {
            if (r.running() && r.descriptor() != null) {
                try {
                    Descriptor d = Descriptor.parse(
                            r.descriptor().getBytes(java.nio.charset.StandardCharsets.UTF_8), CatalogueEntry.MAPPER);
                    allow(r.bundles(), d);
                } catch (Descriptor.Invalid e) {
                    LOG.error("plugin {}: stored descriptor no longer valid: {}", r.id(), e.detail);
                }
            }
        }
    }

    void allow(List<String> locations, Descriptor d) {
        Set<String> topics = new TreeSet<>();
        d.topics().forEach(t -> topics.add(t.name()));
        Allowance a = new Allowance(d.id(), d.version().toString(), d.permissions(), Set.copyOf(topics));
        for (String l : locations) {
            byLocation.put(l, a);
        }
        violations.remove(d.id());
    }

    void forget(List<String> locations) {
        locations.forEach(byLocation::remove);
    }

    /** The first refusal of the plugin's contributions since it was allowed, if any. */
    Optional<String> violation(String plugin) {
        return Optional.ofNullable(violations.get(plugin));
    }

    @Override
    public Optional<String> refusePermissions(String bundleLocation, String what, Set<String> permissions) {
        Allowance a = bundleLocation == null ? null : byLocation.get(bundleLocation);
        if (a == null) {
            return Optional.empty();
        }
        Set<String> undeclared = new TreeSet<>(permissions);
        undeclared.removeAll(a.permissions());
        if (undeclared.isEmpty()) {
            return Optional.empty();
        }
        String reason =
                Texts.get(java.util.Locale.ROOT, "plugin.undeclaredPermission", String.join(", ", undeclared), what);
        refused(a, reason, "permission " + undeclared + " in " + what);
        return Optional.of(reason);
    }

    @Override
    public Optional<String> refuseTopic(String bundleLocation, String topic) {
        Allowance a = bundleLocation == null ? null : byLocation.get(bundleLocation);
        if (a == null || a.topics().contains(topic)) {
            return Optional.empty();
        }
        String reason = Texts.get(java.util.Locale.ROOT, "plugin.undeclaredTopic", topic);
        refused(a, reason, "topic " + topic);
        return Optional.of(reason);
    }

    @Override
    public Optional<String> plugin(String bundleLocation) {
        Allowance a = bundleLocation == null ? null : byLocation.get(bundleLocation);
        return a == null ? Optional.empty() : Optional.of(a.plugin());
    }

    @Override
    public String refuseStorage(String bundleLocation, String detail) {
        Allowance a = bundleLocation == null ? null : byLocation.get(bundleLocation);
        String reason = Texts.get(java.util.Locale.ROOT, "plugin.storageRefused", detail);
        if (a != null) {
            refused(a, reason, "storage: " + detail);
        }
        return reason;
    }

    private void refused(Allowance a, String reason, String detail) {
        violations.putIfAbsent(a.plugin(), reason);
        LOG.warn("plugin {} {}: refused {} (not in its certified descriptor)", a.plugin(), a.version(), detail);
        audit.record(
                AuditLog.Event.of("plugin.refuse", a.plugin() + "@" + a.version(), AuditLog.Result.DENIED, detail));
    }
}
