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

    /**
     * Runs work in a transaction it may share with other callers' work arriving at the same time (group commit):
     * for many small, independent writes at once, such as a registration day. Each piece runs under its own
     * savepoint, possibly on another caller's thread (with this caller's {@link
     * org.edufed.kernel.api.audit.Actor}); it returns when the shared transaction has committed. When the work
     * throws, its own changes are rolled back and the exception comes back to this caller only; the others go on.
     * When the shared transaction cannot go on, each piece is run again in a transaction of its own — so, as for
     * {@link #inTransaction}, the work must keep its effects inside the transaction and must not rely on thread
     * locals other than the actor. Under light load it is {@link #inTransaction}.
     */
    default <T> T inSharedTransaction(TransactionalWork<T> work) throws SQLException {
        return inTransaction(work);
    }

    /**
     * A connection a plugin handed to the platform (to write the platform's own rows in the plugin's transaction:
     * its upward records, its inherited items) as the platform uses it: the same pooled connection and transaction,
     * without the checks a plugin's connection makes of every statement. Any other connection comes back as it
     * is. The storage of a plugin's bundle refuses it (SQLState {@code 42501}).
     *
     * <p>By default the connection's {@code unwrap(Connection.class)}, which a plugin's connection grants only
     * after looking at the stack for who asks; the node's storage answers from what it knows of the bundle that
     * asks, without that look.
     *
     * @since 1.2
     */
    default java.sql.Connection platformView(java.sql.Connection connection) throws SQLException {
        return connection.unwrap(java.sql.Connection.class);
    }

    /** Work on one connection inside a transaction. */
    @FunctionalInterface
    interface TransactionalWork<T> {
        T run(java.sql.Connection connection) throws SQLException;
    }
}
