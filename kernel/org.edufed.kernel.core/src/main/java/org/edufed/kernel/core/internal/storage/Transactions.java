package org.edufed.kernel.core.internal.storage;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.edufed.kernel.api.storage.Storage.TransactionalWork;

/** One connection, one transaction: committed when the work returns, rolled back when it throws. */
public final class Transactions {
    private Transactions() {}

    public static <T> T run(DataSource dataSource, TransactionalWork<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
