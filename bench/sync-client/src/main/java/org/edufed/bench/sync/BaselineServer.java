package org.edufed.bench.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

/**
 * The baseline of bench/sync.sh: the least a server can do with the bulk bodies the nodes receive. A JDK
 * HTTP server on loopback takes {@code POST /api/v1/settings/batch} and {@code POST /api/v1/reports/batch},
 * parses the JSON and inserts each body's items with one JDBC batch in one transaction into embedded Derby
 * 10.14.2.0 (the nodes' version, durable defaults: the log is forced to disk at each commit), then answers
 * {@code {"count":n}}. No authentication, signatures, feed, provenance or exchange.
 *
 * <p>Usage: {@code BaselineServer <port> <folder>} (the database goes in the folder); runs until stopped.
 * Requests are handled one at a time on one connection: the client sends one at a time, as it does to the
 * nodes.
 */
public final class BaselineServer {

    private final Connection db;
    private final PreparedStatement insertSetting;
    private final PreparedStatement insertReport;

    private BaselineServer(Connection db) throws SQLException {
        this.db = db;
        db.setAutoCommit(false);
        try (Statement s = db.createStatement()) {
            // the columns the nodes keep for a setting and for a report record
            s.execute("CREATE TABLE bench_setting (setting_key VARCHAR(200) NOT NULL PRIMARY KEY,"
                    + " setting_value VARCHAR(4000) NOT NULL, mode VARCHAR(16) NOT NULL, updated_at TIMESTAMP NOT NULL)");
            s.execute("CREATE TABLE bench_report (global_id VARCHAR(300) NOT NULL PRIMARY KEY,"
                    + " title VARCHAR(200) NOT NULL, payload VARCHAR(32000) NOT NULL, received_at TIMESTAMP NOT NULL)");
        }
        db.commit();
        insertSetting = db.prepareStatement(
                "INSERT INTO bench_setting (setting_key, setting_value, mode, updated_at) VALUES (?, ?, ?, ?)");
        insertReport = db.prepareStatement(
                "INSERT INTO bench_report (global_id, title, payload, received_at) VALUES (?, ?, ?, ?)");
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: BaselineServer <port> <folder>");
            System.exit(2);
        }
        System.setProperty("derby.system.home", args[1]); // the database and derby.log go there
        BaselineServer baseline =
                new BaselineServer(DriverManager.getConnection("jdbc:derby:baseline;create=true"));
        HttpServer http = HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0])), 50);
        http.createContext(Batches.SETTINGS, ex -> baseline.handle(ex, false));
        http.createContext(Batches.REPORTS, ex -> baseline.handle(ex, true));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            http.stop(0);
            try {
                DriverManager.getConnection("jdbc:derby:;shutdown=true");
            } catch (SQLException expected) {
                // Derby reports a clean shutdown as an exception
            }
        }));
        http.start(); // requests run on the server's one dispatcher thread
        System.err.println("baseline listening on 127.0.0.1:" + args[0]);
    }

    private void handle(HttpExchange ex, boolean reports) throws IOException {
        int status;
        String answer;
        try (InputStream in = ex.getRequestBody()) {
            if (!"POST".equals(ex.getRequestMethod())) {
                status = 405;
                answer = "{\"detail\":\"POST only\"}";
            } else {
                int n = reports ? insertReports(Rest.JSON.readTree(in)) : insertSettings(Rest.JSON.readTree(in));
                status = reports ? 201 : 200;
                answer = "{\"count\":" + n + "}";
            }
        } catch (SQLException | RuntimeException e) {
            status = 500;
            answer = Rest.JSON.createObjectNode().put("detail", String.valueOf(e)).toString();
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private int insertSettings(JsonNode body) throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        for (JsonNode item : body.path("items")) {
            insertSetting.setString(1, item.path("key").asText());
            insertSetting.setString(2, item.path("value").asText());
            insertSetting.setString(3, item.path("mode").asText());
            insertSetting.setTimestamp(4, now);
            insertSetting.addBatch();
        }
        return commit(insertSetting);
    }

    private int insertReports(JsonNode body) throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        for (JsonNode item : body.path("items")) {
            insertReport.setString(1, "baseline:" + UUID.randomUUID()); // a global id, as a node makes one
            insertReport.setString(2, item.path("title").asText());
            insertReport.setString(3, item.path("content").toString());
            insertReport.setTimestamp(4, now);
            insertReport.addBatch();
        }
        return commit(insertReport);
    }

    /** Runs the batch in one transaction; returns the rows inserted. */
    private int commit(PreparedStatement batch) throws SQLException {
        try {
            int n = batch.executeBatch().length;
            db.commit();
            return n;
        } catch (SQLException e) {
            db.rollback();
            throw e;
        }
    }
}
