package org.edufed.kernel.core.internal.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Small queries the kernel's stores share. */
public final class Queries {
    private Queries() {}

    /** The number a {@code SELECT COUNT(*) … WHERE x = ?} query gives for one value. */
    public static int count(Connection c, String sql, String value) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
