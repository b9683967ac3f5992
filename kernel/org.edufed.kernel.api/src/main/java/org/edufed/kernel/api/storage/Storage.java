package org.edufed.kernel.api.storage;

import java.sql.SQLException;
import javax.sql.DataSource;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The node's storage. Each bundle owns its tables: it keeps its migrations beside its code, as classpath
 * resources {@code <path>/V1.sql}, {@code V2.sql}, … (optionally {@code V1.derby.sql} /
 * {@code V1.postgresql.sql} where the databases differ), and calls {@link #migrate} when it activates.
 */
@ProviderType
public interface Storage {

    DataSource dataSource();

    Dialect dialect();

    /**
     * Applies the owner's pending migrations in order, each in one transaction, and records them in
     * {@code edufed_schema}. Safe to call on every start and from several bundles.
     *
     * @param owner a stable name for the owner, by convention its bundle symbolic name
     * @param loader the class loader that sees the owner's migration resources
     * @param path resource folder, e.g. {@code db/migration}
     * @return the schema version of the owner after migrating
     */
    int migrate(String owner, ClassLoader loader, String path) throws SQLException;

    /** Runs work in one transaction: committed when it returns, rolled back when it throws. */
    <T> T inTransaction(TransactionalWork<T> work) throws SQLException;

    /** Work on one connection inside a transaction. */
    @FunctionalInterface
    interface TransactionalWork<T> {
        T run(java.sql.Connection connection) throws SQLException;
    }
}
