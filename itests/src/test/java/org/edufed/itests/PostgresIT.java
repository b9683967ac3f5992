package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The province distribution on PostgreSQL ({@code type = postgresql}): same migrations, same behaviour, data
 * survives a restart. Needs {@code EDUFED_PG_URL} / {@code EDUFED_PG_USER} / {@code EDUFED_PG_PASSWORD}
 * ({@code ./edufed test} sets them up); with {@code EDUFED_REQUIRE_PG=1}, as in CI, a missing database fails.
 */
class PostgresIT {

    @Test
    void provinceRunsOnPostgresql() throws Exception {
        String url = System.getenv("EDUFED_PG_URL");
        if (url == null) {
            if ("1".equals(System.getenv("EDUFED_REQUIRE_PG"))) {
                throw new AssertionError("EDUFED_REQUIRE_PG=1 but EDUFED_PG_URL is not set");
            }
            Assumptions.abort("no PostgreSQL: set EDUFED_PG_URL (./edufed test does)");
        }
        String user = System.getenv("EDUFED_PG_USER");
        String password = System.getenv("EDUFED_PG_PASSWORD");
        // a fresh database schema for this run: the node's tables go into it
        String schema = "it_" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(url, user, password);
                Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        String nodeUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        try (KarafNode node = KarafNode.unpack("province", "pg-province")) {
            Map<String, String> storage = new LinkedHashMap<>();
            storage.put("type", "postgresql");
            storage.put("url", nodeUrl);
            storage.put("user", user);
            storage.put("password", password);
            node.identity("510000", "四川省教育厅").storage(storage).start().awaitReady(DistributionIT.BOOT);

            JsonNode health = KarafNode.json(node.get("/api/v1/health", null, null));
            assertTrue(health.toString().contains("postgresql"), health.toString());
            String oneTime = node.oneTimePassword();
            assertEquals(
                    204,
                    node.postJson(
                                    "/api/v1/account/password",
                                    "admin",
                                    oneTime,
                                    "{\"current\":\"" + oneTime + "\",\"replacement\":\"Pg-province-2026\"}")
                            .statusCode());
            assertEquals(
                    "postgresql",
                    KarafNode.json(node.get("/api/v1/node", "admin", "Pg-province-2026"))
                            .get("storage")
                            .asText());

            node.stop();
            node.start().awaitReady(DistributionIT.BOOT);
            assertEquals(
                    200, node.get("/api/v1/node", "admin", "Pg-province-2026").statusCode());

            // the rows are really in PostgreSQL
            try (Connection c = DriverManager.getConnection(nodeUrl, user, password);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT must_change FROM edufed_account WHERE username = 'admin'")) {
                assertTrue(rs.next());
                assertEquals(false, rs.getBoolean(1));
            }
        } finally {
            try (Connection c = DriverManager.getConnection(url, user, password);
                    Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }
}
