package org.edufed.kernel.core.internal.storage;

import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.edufed.kernel.api.plugin.PluginGuard;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.framework.Bundle;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.annotations.ServiceScope;

/**
 * The {@link Storage} each bundle gets, one per bundle. The kernel's and the platform's bundles get the node's
 * storage as it is; the bundles of a plugin ({@link PluginGuard#plugin}) get a DataSource whose connections reach
 * only the plugin's own tables, and their migrations run through the same check — the tables they create are
 * recorded as the plugin's. The plugin is looked up at every call, so a bundle the installer has just allowed is
 * held to its plugin from its first statement.
 */
@Component(service = Storage.class, scope = ServiceScope.BUNDLE)
public final class BundleStorage implements Storage {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BundleStorage.class);

    /** How long a bundle outside the kernel waits at boot for the plugin guard before storage refuses it. */
    static final long GUARD_WAIT_MS = 30_000;

    private final StorageComponent storage;
    private final Bundle using;
    private final Bundle self;
    private volatile PluginConnections scoped;
    private volatile ComponentServiceObjects<PluginGuard> guardObjects;
    private volatile PluginGuard guard;
    /** The bundle's shared transactions: its own, so that a group runs on one plugin's checked connection. */
    private final GroupCommit groups;

    @Activate
    public BundleStorage(@Reference StorageComponent storage, ComponentContext context) {
        this.storage = storage;
        this.groups = new GroupCommit(this::dataSource, GroupCommit.leaders(storage.poolMax()));
        this.using = context.getUsingBundle();
        this.self = context.getBundleContext().getBundle();
    }

    /**
     * The guard as a handle, taken only when needed: the guard itself uses storage while it is being made (it
     * loads the plugins), so binding the guard object here would close a cycle.
     */
    @Reference(
            cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindGuard")
    void bindGuard(ComponentServiceObjects<PluginGuard> objects) {
        guard = null;
        guardObjects = objects;
    }

    void unbindGuard(ComponentServiceObjects<PluginGuard> objects) {
        if (guardObjects == objects) {
            guardObjects = null;
            guard = null;
        }
    }

    private PluginGuard guard() {
        PluginGuard g = guard;
        if (g != null) {
            return g;
        }
        ComponentServiceObjects<PluginGuard> o = guardObjects;
        if (o == null) {
            return null;
        }
        g = o.getService();
        guard = g;
        return g;
    }

    @Override
    public DataSource dataSource() {
        Optional<PluginConnections> p = plugin();
        return p.isPresent() ? p.get().dataSource(storage.dataSource()) : storage.dataSource();
    }

    @Override
    public Dialect dialect() {
        return storage.dialect();
    }

    @Override
    public int migrate(String owner, ClassLoader loader, String path) throws SQLException {
        Optional<PluginConnections> p = plugin();
        if (p.isEmpty()) {
            return storage.migrate(owner, loader, path);
        }
        PluginConnections c = p.get();
        if (!owner.equals(using.getSymbolicName())) {
            throw new SQLException("plugin " + c.plugin() + ": migrations must be owned by the bundle that runs them ("
                    + using.getSymbolicName() + "), not " + owner);
        }
        return storage.migrator()
                .migrate(owner, PluginConnections.ownerName(c.plugin()), loader, path, sql -> c.check(sql, false));
    }

    @Override
    public <T> T inTransaction(TransactionalWork<T> work) throws SQLException {
        return Transactions.run(dataSource(), work);
    }

    @Override
    public <T> T inSharedTransaction(TransactionalWork<T> work) throws SQLException {
        return groups.run(work);
    }

    /**
     * What a plugin's connection wraps, for the platform's bundles (whose storage this is when the using bundle is
     * not a plugin's): known from the bundle that asks, not from a look at the stack for each call as {@code
     * unwrap} on the plugin's connection does (that walk was 2 % of a school's CPU under registration load, one
     * per registration).
     */
    @Override
    public java.sql.Connection platformView(java.sql.Connection connection) throws SQLException {
        Optional<PluginConnections> p = plugin();
        if (p.isPresent()) {
            throw new SQLException(
                    "plugin " + p.get().plugin() + ": the database's own objects are not available to plugins",
                    PluginConnections.REFUSED);
        }
        return PluginConnections.unchecked(connection);
    }

    /** The checked view when the using bundle belongs to a plugin. */
    private Optional<PluginConnections> plugin() {
        PluginGuard g = awaitGuard();
        Optional<String> id = g == null ? Optional.empty() : g.plugin(using.getLocation());
        if (id.isEmpty()) {
            return Optional.empty();
        }
        PluginConnections c = scoped;
        if (c == null || !c.plugin().equals(id.get())) {
            LOG.info(
                    "plugin {}: bundle {} uses storage checked to the plugin's own tables",
                    id.get(),
                    using.getSymbolicName());
            c = new PluginConnections(
                    storage.migrator().owners(), id.get(), new GuardPolicy(this::guard, using.getLocation()));
            scoped = c;
        }
        return Optional.of(c);
    }

    /**
     * The guard; {@code null} for this bundle and the guard's own (the kernel, and what the guard reads while it
     * starts). A bundle outside the kernel's layers waits for it at boot rather than get unchecked storage.
     */
    private PluginGuard awaitGuard() {
        ComponentServiceObjects<PluginGuard> o = guardObjects;
        if (using.equals(self)
                || o != null && using.equals(o.getServiceReference().getBundle())) {
            return null;
        }
        PluginGuard g = guard();
        if (g != null || kernelLayer(using)) {
            return g;
        }
        long until = System.currentTimeMillis() + GUARD_WAIT_MS;
        while ((g = guard()) == null && System.currentTimeMillis() < until) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (g == null) {
            throw new IllegalStateException(
                    "storage: the plugin platform is not running; bundle " + using.getSymbolicName() + " must wait");
        }
        return g;
    }

    /** The kernel's and the connectors' own bundles. */
    static boolean kernelLayer(Bundle b) {
        String name = b.getSymbolicName();
        return b.getBundleId() == 0
                || name != null && (name.startsWith("org.edufed.kernel.") || name.startsWith("org.edufed.connector."));
    }
}
