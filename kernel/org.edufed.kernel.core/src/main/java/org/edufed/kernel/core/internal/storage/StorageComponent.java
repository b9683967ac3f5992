package org.edufed.kernel.core.internal.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.sql.DataSource;
import org.edufed.kernel.api.HealthCheck;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.api.storage.Storage;
import org.edufed.kernel.core.internal.node.DataDirs;
import org.ops4j.pax.jdbc.pool.common.PooledDataSourceFactory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.jdbc.DataSourceFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's storage (registered for the kernel's own use; bundles get it as {@link Storage} through {@link
 * BundleStorage}, which gives a plugin's bundles only their own tables), configured by {@code etc/org.edufed.storage.cfg}: embedded Derby in the data folder by
 * default, PostgreSQL by {@code type = postgresql}. Connections come from the pax-jdbc {@link
 * DataSourceFactory} of that database, pooled by pax-jdbc's DBCP2 pooling factory.
 */
@Component(
        service = {StorageComponent.class, HealthCheck.class},
        immediate = true,
        configurationPid = "org.edufed.storage",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = StorageComponent.Config.class)
public final class StorageComponent implements Storage, HealthCheck {

    @ObjectClassDefinition(name = "EduFed storage", description = "Where this node keeps its data")
    @interface Config {
        @AttributeDefinition(description = "derby (embedded, default) or postgresql")
        String type() default "derby";

        @AttributeDefinition(description = "Derby: database folder; default ${karaf.data}/edufed/derby")
        String derby_path() default "";

        @AttributeDefinition(description = "PostgreSQL: JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/edufed")
        String url() default "";

        @AttributeDefinition(description = "PostgreSQL: user")
        String user() default "";

        @AttributeDefinition(
                description = "PostgreSQL: password",
                type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(description = "Largest number of pooled connections")
        int pool_max() default 16;

        @AttributeDefinition(
                description = "Derby: pages its cache holds (4 or 32 KB each); 0: as many 32 KB pages as a quarter of"
                        + " the heap holds, at least Derby's default 1,000")
        int derby_page_cache() default 0;

        @AttributeDefinition(
                description = "Derby: MB of log written between two checkpoints (Derby's default 10; more writes"
                        + " fewer pages, and a crash replays more log when the node starts again)")
        int derby_checkpoint_mb() default 64;

        @AttributeDefinition(description = "Derby: MB of each log file (Derby's default 1)")
        int derby_log_file_mb() default 16;
    }

    private static final Logger LOG = LoggerFactory.getLogger(StorageComponent.class);
    static final String DERBY_DRIVER = "derby";
    static final String POSTGRESQL_DRIVER = "PostgreSQL JDBC Driver";

    private final Dialect dialect;
    private final DataSource dataSource;
    private final DataSourceFactory factory;
    private final String derbyPath;
    private final Migrator migrator;
    private final int poolMax;

    @Activate
    public StorageComponent(
            Config config,
            @Reference(target = "(pool=dbcp2)") PooledDataSourceFactory pooling,
            @Reference(
                            service = DataSourceFactory.class,
                            cardinality = ReferenceCardinality.AT_LEAST_ONE,
                            policyOption = ReferencePolicyOption.GREEDY)
                    List<Map.Entry<Map<String, Object>, DataSourceFactory>> available)
            throws SQLException {
        this.dialect = Dialect.parse(config.type());
        if (dialect == null) {
            throw new SQLException(
                    "etc/org.edufed.storage.cfg: type = \"" + config.type() + "\": must be derby or postgresql");
        }
        String wanted = dialect == Dialect.DERBY ? DERBY_DRIVER : POSTGRESQL_DRIVER;
        DataSourceFactory found = null;
        for (Map.Entry<Map<String, Object>, DataSourceFactory> e : available) {
            if (wanted.equals(e.getKey().get(DataSourceFactory.OSGI_JDBC_DRIVER_NAME))) {
                found = e.getValue();
            }
        }
        if (found == null) {
            throw new SQLException(
                    "no JDBC driver for " + dialect.id() + " is installed (feature pax-jdbc-" + dialect.id() + ")");
        }
        this.factory = found;
        this.poolMax = config.pool_max();
        Properties props = new Properties();
        props.setProperty("pool.maxTotal", Integer.toString(config.pool_max()));
        props.setProperty("pool.maxIdle", Integer.toString(config.pool_max()));
        props.setProperty("pool.testOnBorrow", "false");
        // prepared statements kept open per pooled connection: every request prepares the same few statements,
        // and preparing one again (even from Derby's own statement cache) cost more than running it
        props.setProperty("factory.poolStatements", "true");
        props.setProperty("factory.maxOpenPreparedStatements", "200");
        if (dialect == Dialect.DERBY) {
            derbyTuning(config, Runtime.getRuntime().maxMemory()).forEach((name, value) -> {
                if (System.getProperty(name) == null) { // -D on the command line wins
                    System.setProperty(name, value);
                }
            });
            derbyPath = config.derby_path().isBlank()
                    ? DataDirs.dataDir().resolve("derby").toString()
                    : config.derby_path();
            props.setProperty(DataSourceFactory.JDBC_DATABASE_NAME, derbyPath);
            props.setProperty("createDatabase", "create");
        } else {
            derbyPath = null;
            if (config.url().isBlank()) {
                throw new SQLException("etc/org.edufed.storage.cfg: url is required when type = postgresql");
            }
            props.setProperty(DataSourceFactory.JDBC_URL, config.url());
            props.setProperty(DataSourceFactory.JDBC_USER, config.user());
            props.setProperty(DataSourceFactory.JDBC_PASSWORD, config.password());
        }
        this.dataSource = pooling.create(found, props);
        try (Connection c = dataSource.getConnection()) {
            if (dialect == Dialect.DERBY) {
                try {
                    detectDeadlocksSoon(c);
                } catch (SQLException e) {
                    // a tuning, not a reason to stay down: Derby then looks after its default 20 s
                    LOG.warn("could not set Derby's deadlock check ({} {})", e.getSQLState(), e.getMessage());
                }
            }
            LOG.info("Storage ready: {} {}", dialect.id(), c.getMetaData().getDatabaseProductVersion());
        }
        this.migrator = new Migrator(dataSource, dialect);
    }

    /** Derby's bounds for its checkpoint and log-file sizes (bytes). */
    private static final long DERBY_LOG_MIN = 100_000L, DERBY_LOG_MAX = 128_000_000L;

    /**
     * The Derby settings (system properties, read when the database boots) for a node whose heap is at most {@code
     * maxHeap} bytes. Derby's defaults are for a small machine of 2005: a cache of 1,000 pages, a checkpoint every
     * 10 MB of log, 1 MB log files. A school taking 2,500 registrations a second writes 10 MB of log in well under a
     * second, and each checkpoint writes out the pages dirtied since the last one: measured on one demo, runs with
     * checkpoints every 64 MB in 16 MB files took 2,750-2,880 registrations/s against 2,280-2,490 with the
     * defaults, and once the school's database had grown past 2 GB the defaults' p99 went to 0.56-0.93 s (0.17-0.19 s
     * with these). The cache gets a quarter of the heap: it is counted in pages whatever their size (4 KB for
     * indexes, 32 KB for the wider tables), so a quarter of the heap in 32 KB pages is the most it can hold however a
     * table scan fills it. Each can be set in {@code etc/org.edufed.storage.cfg}; a {@code -D} on the command line
     * wins over the configuration.
     */
    static Map<String, String> derbyTuning(Config config, long maxHeap) {
        int pages = config.derby_page_cache() > 0
                ? config.derby_page_cache()
                : (int) Math.min(Integer.MAX_VALUE, Math.max(1_000L, maxHeap / 4 / 32_768));
        return Map.of(
                "derby.storage.pageCacheSize", Integer.toString(pages),
                "derby.storage.checkpointInterval", Long.toString(logBytes(config.derby_checkpoint_mb())),
                "derby.storage.logSwitchInterval", Long.toString(logBytes(config.derby_log_file_mb())));
    }

    private static long logBytes(int mb) {
        return Math.max(DERBY_LOG_MIN, Math.min(DERBY_LOG_MAX, mb * 1_048_576L));
    }

    /** Seconds a Derby transaction waits for a lock before Derby looks for a deadlock it is part of. */
    static final String DEADLOCK_SECONDS = "2";

    /**
     * Has Derby look for a deadlock after a transaction has waited {@value #DEADLOCK_SECONDS} s for a lock rather
     * than its default 20 s (PostgreSQL: 1 s): two shared transactions of registrations that each hold a row the
     * other's next one needs (the same students registered twice at the same moment, crossing) are ended that much
     * sooner, and their registrations run again one by one. A database property, set at every start.
     */
    static void detectDeadlocksSoon(Connection c) throws SQLException {
        try (java.sql.CallableStatement call =
                c.prepareCall("CALL SYSCS_UTIL.SYSCS_SET_DATABASE_PROPERTY('derby.locks.deadlockTimeout', ?)")) {
            call.setString(1, DEADLOCK_SECONDS);
            call.execute();
        }
    }

    /** Storage settings take effect at the next start; an update must not cycle every component of the node. */
    @Modified
    void modified(Config config) {
        if (!config.type().equalsIgnoreCase(dialect.id())) {
            LOG.warn("etc/org.edufed.storage.cfg changed: the new storage takes effect when the node restarts");
        }
    }

    @Deactivate
    void deactivate() {
        if (dataSource instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.warn("closing the connection pool: {}", e.getMessage());
            }
        }
        if (dialect == Dialect.DERBY) {
            // a clean Derby shutdown spares the next start its recovery
            Properties p = new Properties();
            p.setProperty(DataSourceFactory.JDBC_DATABASE_NAME, derbyPath);
            p.setProperty("shutdownDatabase", "shutdown");
            try (Connection c = factory.createDataSource(p).getConnection()) {
                LOG.debug("derby shutdown returned a connection");
            } catch (SQLException e) {
                LOG.info("Derby database closed ({})", e.getSQLState());
            }
        }
    }

    @Override
    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public Dialect dialect() {
        return dialect;
    }

    /** The largest number of pooled connections ({@code pool.max}). */
    int poolMax() {
        return poolMax;
    }

    @Override
    public int migrate(String owner, ClassLoader loader, String path) throws SQLException {
        return migrator.migrate(owner, loader, path);
    }

    Migrator migrator() {
        return migrator;
    }

    @Override
    public <T> T inTransaction(TransactionalWork<T> work) throws SQLException {
        return Transactions.run(dataSource, work);
    }

    @Override
    public String name() {
        return "storage";
    }

    @Override
    public Result check() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2) ? Result.ok(dialect.id()) : Result.fail(dialect.id() + ": connection not valid");
        } catch (SQLException e) {
            return Result.fail(dialect.id() + ": " + e.getSQLState());
        }
    }
}
