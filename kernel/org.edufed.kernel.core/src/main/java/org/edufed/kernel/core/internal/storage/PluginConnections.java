package org.edufed.kernel.core.internal.storage;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The database as one plugin sees it: its connections, statements, result sets and metadata are wrappers that
 * check every SQL text before it reaches the driver ({@link SqlCheck}) and never hand out what they wrap — {@code
 * getConnection()} of a statement or of the metadata answers the checked connection, {@code unwrap} is refused and
 * {@code setSchema} too. When the kernel is given a plugin's connection (to write its outbox or inherited items in
 * the plugin's transaction), its own statements pass: a refused statement is let through when the class that
 * issued it belongs to the kernel, which is asked only after a refusal, so checked statements cost nothing more.
 */
final class PluginConnections {

    /** What the wrappers ask of the platform. */
    interface Policy {
        /** Whether the class that issued a statement belongs to the kernel or the platform, not to a plugin. */
        boolean trusted(Class<?> caller);

        /** Records a refusal (log, audit, the plugin's violation) and gives the message for the exception. */
        String refused(String plugin, SqlCheck.Refusal refusal, String sql);
    }

    /** SQLSTATE of a refusal: insufficient privilege. */
    static final String REFUSED = "42501";

    private static final Set<String> SQL_METHODS = Set.of(
            "prepareStatement",
            "prepareCall",
            "nativeSQL",
            "execute",
            "executeQuery",
            "executeUpdate",
            "executeLargeUpdate",
            "addBatch");

    private static final Set<Class<?>> WRAPPED = Set.of(
            Statement.class, PreparedStatement.class, CallableStatement.class, ResultSet.class, DatabaseMetaData.class);

    private static final int CACHE = 4096;

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private final TableOwners owners;
    private final String plugin;
    private final String self;
    private final Policy policy;
    private final Map<String, Boolean> passed = new ConcurrentHashMap<>();
    private volatile Map<String, String> checkedAgainst;

    PluginConnections(TableOwners owners, String plugin, Policy policy) {
        this.owners = owners;
        this.plugin = plugin;
        this.self = ownerName(plugin);
        this.policy = policy;
    }

    /** The owner name of a plugin's tables. */
    static String ownerName(String plugin) {
        return "plugin:" + plugin;
    }

    String plugin() {
        return plugin;
    }

    DataSource dataSource(DataSource raw) {
        return (DataSource) Proxy.newProxyInstance(
                PluginConnections.class.getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, m, args) -> {
                    switch (m.getName()) {
                        case "getConnection":
                            return connection((Connection) invoke(m, raw, args));
                        case "unwrap":
                        case "isWrapperFor":
                            return hidden(proxy, m, raw, args);
                        case "equals":
                            return proxy == args[0];
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "toString":
                            return "DataSource of plugin " + plugin;
                        default:
                            return invoke(m, raw, args);
                    }
                });
    }

    Connection connection(Connection raw) {
        Handler h = new Handler(raw, null);
        Connection proxy = (Connection)
                Proxy.newProxyInstance(PluginConnections.class.getClassLoader(), new Class<?>[] {Connection.class}, h);
        h.connection = proxy;
        return proxy;
    }

    /**
     * Refuses what the plugin may not run. {@code kernelMayPass}: a statement the kernel issues on the plugin's
     * connection runs (not so for the plugin's migrations, which the kernel runs for it).
     */
    void check(String sql, boolean kernelMayPass) throws SQLException {
        Map<String, String> now = owners.snapshot();
        if (now != checkedAgainst) {
            passed.clear();
            checkedAgainst = now;
        }
        if (passed.containsKey(sql)) {
            return;
        }
        SqlCheck.Refusal r = SqlCheck.check(sql, now::get, self);
        if (r == null) {
            if (passed.size() >= CACHE) {
                passed.clear();
            }
            passed.put(sql, Boolean.TRUE);
            return;
        }
        if (kernelMayPass && policy.trusted(caller())) {
            return;
        }
        throw new SQLException(policy.refused(plugin, r, sql), REFUSED);
    }

    /**
     * The connection a plugin's checked connection wraps (the pooled connection, in the same transaction); any other
     * connection as it is. Only for the storage of the platform's bundles ({@link BundleStorage#platformView}).
     */
    static Connection unchecked(Connection c) {
        if (c != null
                && Proxy.isProxyClass(c.getClass())
                && Proxy.getInvocationHandler(c) instanceof PluginConnections.Handler h
                && h.target instanceof Connection raw) {
            return raw;
        }
        return c;
    }

    /** The first class on the stack outside these wrappers and reflection: who issued the statement. */
    private static Class<?> caller() {
        String mine = PluginConnections.class.getName();
        return WALKER.walk(frames -> frames.map(StackWalker.StackFrame::getDeclaringClass)
                .filter(k -> !Proxy.isProxyClass(k)
                        && !k.getName().startsWith(mine)
                        && !k.getName().startsWith("java.lang.reflect.")
                        && !k.getName().startsWith("jdk.internal.reflect."))
                .findFirst()
                .orElse(null));
    }

    private Object hidden(Object proxy, Method m, Object target, Object[] args) throws Throwable {
        if (policy.trusted(caller())) {
            return invoke(m, target, args);
        }
        if (m.getName().equals("isWrapperFor")) {
            return Boolean.FALSE;
        }
        Class<?> wanted = (Class<?>) args[0];
        if (wanted.isInstance(proxy)) {
            return proxy;
        }
        throw new SQLException("plugin " + plugin + ": the database's own objects are not available to plugins");
    }

    private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** One wrapped JDBC object of a plugin's connection. */
    private final class Handler implements InvocationHandler {
        private final Object target;
        private Connection connection;

        Handler(Object target, Connection connection) {
            this.target = target;
            this.connection = connection;
        }

        @Override
        public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
            String name = m.getName();
            switch (name) {
                case "unwrap":
                case "isWrapperFor":
                    return hidden(proxy, m, target, args);
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return target + " (plugin " + plugin + ")";
                case "setSchema":
                case "setCatalog":
                    if (target instanceof Connection && !policy.trusted(caller())) {
                        throw new SQLException(
                                "plugin " + plugin + ": " + name + " is not allowed; a plugin's tables are in the "
                                        + "node's schema",
                                REFUSED);
                    }
                    break;
                default:
                    if (args != null
                            && args.length > 0
                            && args[0] instanceof String sql
                            && SQL_METHODS.contains(name)) {
                        check(sql, true);
                    }
            }
            Object result = PluginConnections.invoke(m, target, args);
            if (result instanceof Connection) {
                return connection;
            }
            Class<?> type = m.getReturnType();
            if (result != null && WRAPPED.contains(type)) {
                return Proxy.newProxyInstance(
                        PluginConnections.class.getClassLoader(),
                        new Class<?>[] {type},
                        new Handler(result, connection));
            }
            return result;
        }
    }
}
