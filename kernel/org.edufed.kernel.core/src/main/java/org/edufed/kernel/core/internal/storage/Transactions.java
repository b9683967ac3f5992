package org.edufed.kernel.core.internal.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import javax.sql.DataSource;
import org.edufed.kernel.api.storage.Storage.TransactionalWork;

/**
 * One connection, one transaction: committed when the work returns, rolled back when it throws. A transaction
 * that loses a lock race (a deadlock, a lock wait timeout, a serialisation failure) is run again, up to three
 * times in all, so the work must keep its effects inside the transaction.
 */
public final class Transactions {
    private Transactions() {}

    /** Lock races: Derby 40001 (deadlock) and 40XL1/40XL2 (lock timeout), PostgreSQL 40001 and 40P01. */
    static final Set<String> RETRIABLE = Set.of("40001", "40XL1", "40XL2", "40P01");

    static final int ATTEMPTS = 3;

    public static <T> T run(DataSource dataSource, TransactionalWork<T> work) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return once(dataSource, work);
            } catch (SQLException e) {
                if (attempt >= ATTEMPTS || !retriable(e)) {
                    throw e;
                }
                try {
                    Thread.sleep(10L * attempt + (long) (Math.random() * 20));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    static boolean retriable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null && RETRIABLE.contains(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static <T> T once(DataSource dataSource, TransactionalWork<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (Throwable e) {
                // an Error too: setAutoCommit(true) below would commit what the work had written
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
