package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registrations imported from CSV as jobs: the upload is checked as a whole (size, encoding, header) and kept
 * (encrypted with the node's field key) with its progress in {@code exam_import}; one background thread then
 * checks and stores the rows in order, each good row in its own transaction together with the progress that
 * counts it, each refused row's problems with theirs. A job a restart interrupted resumes from the first row not
 * counted: nothing accepted is lost, nothing is stored twice. The file is dropped when the job ends.
 */
@Component(service = ExamImports.class)
public final class ExamImports {

    private static final Logger LOG = LoggerFactory.getLogger(ExamImports.class);

    /** States of a job. */
    static final String RUNNING = "running";

    static final String DONE = "done";
    static final String FAILED = "failed";

    private final Storage storage;
    private final ExamStore store;
    private final FieldEncryption fields;
    private final AuditLog audit;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "edufed-exam-import");
        t.setDaemon(true);
        return t;
    });

    /** A job as the API shows it: counts so far and the problems of every refused row so far. */
    record Job(
            String id,
            String year,
            String state,
            int total,
            int done,
            int accepted,
            int refused,
            List<CsvImport.RowError> problems,
            String createdBy,
            Instant createdAt,
            Instant updatedAt) {}

    /** What a score import did: rows read, scores stored, and the rows refused with their problems, by line. */
    record Scores(int rows, int imported, List<CsvImport.RowError> refused) {}

    /**
     * Stores the exam scores of a CSV file (header {@code 身份证号,成绩} or {@code idNumber,score}) for the
     * registrations held here, in one transaction (a newer import replaces a score); a row that is malformed or
     * matches no registration is reported with its line, the good rows kept.
     *
     * @throws Rules.Invalid the file refused as a whole (nothing stored)
     */
    Scores scores(String year, byte[] csv) throws SQLException {
        List<CsvImport.RowError> refused = new ArrayList<>();
        List<ExamStore.ScoreRow> rows = CsvImport.scores(csv, refused);
        List<Long> unmatched = store.importScores(year, rows);
        for (Long line : unmatched) {
            refused.add(new CsvImport.RowError(line, List.of(new Rules.Problem("idNumber", "exam.noRegistration"))));
        }
        refused.sort(java.util.Comparator.comparingLong(CsvImport.RowError::line));
        return new Scores(rows.size() + refused.size() - unmatched.size(), rows.size() - unmatched.size(), refused);
    }

    @Activate
    public ExamImports(
            @Reference Storage storage,
            @Reference ExamStore store,
            @Reference FieldEncryption fields,
            @Reference AuditLog audit)
            throws SQLException {
        this.storage = storage;
        this.store = store;
        this.fields = fields;
        this.audit = audit;
        // ExamStore has migrated the tables; resume what a stop interrupted
        List<String> interrupted = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT job_id FROM exam_import WHERE state = ?")) {
            ps.setString(1, RUNNING);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    interrupted.add(rs.getString(1));
                }
            }
        }
        for (String id : interrupted) {
            LOG.info("exam import {} resumes", id);
            worker.execute(() -> run(id));
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        worker.shutdownNow();
        worker.awaitTermination(10, TimeUnit.SECONDS);
    }

    /**
     * Starts an import of a file for a year, after checking it as a whole.
     *
     * @throws Rules.Invalid the file refused as a whole (nothing started)
     */
    Job start(String year, byte[] body) throws SQLException {
        Rules.ExamYear y = store.year(year).orElse(null);
        CsvImport.File file = CsvImport.parse(body, y == null ? List.of() : y.fields());
        String id = UUID.randomUUID().toString();
        Timestamp now = Timestamp.from(Instant.now());
        storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO exam_import (job_id, exam_year, state, total,"
                    + " done, accepted, refused, file_cipher, created_by, created_at, updated_at) VALUES (?, ?, ?, ?,"
                    + " 0, 0, 0, ?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, year);
                ps.setString(3, RUNNING);
                ps.setInt(4, file.rows());
                ps.setString(5, fields.encrypt(CsvImport.text(body))); // kept as UTF-8 whatever it came in
                ps.setString(6, Actor.current().name());
                ps.setTimestamp(7, now);
                ps.setTimestamp(8, now);
                ps.executeUpdate();
            }
            audit.record(
                    c,
                    AuditLog.Event.of(
                            "exam.import", id, AuditLog.Result.SUCCESS, "started: " + file.rows() + " rows, " + year));
            return null;
        });
        worker.execute(() -> run(id));
        return job(id).orElseThrow();
    }

    /** A job, with the problems of its refused rows in line order. */
    Optional<Job> job(String id) throws SQLException {
        if (id == null || !id.matches("[0-9a-f-]{36}")) {
            return Optional.empty();
        }
        try (Connection c = storage.dataSource().getConnection()) {
            Job j;
            try (PreparedStatement ps = c.prepareStatement(JOB + " WHERE job_id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    j = job(rs, new ArrayList<>());
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT line_no, problems FROM exam_import_problem WHERE job_id = ? ORDER BY line_no")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        List<Rules.Problem> ps2 = new ArrayList<>();
                        for (JsonNode p : Rules.JSON.readTree(rs.getString(2))) {
                            ps2.add(new Rules.Problem(
                                    p.path("field").asText(), p.path("code").asText()));
                        }
                        j.problems().add(new CsvImport.RowError(rs.getLong(1), ps2));
                    }
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new SQLException("unreadable problems of import " + id, e);
                }
            }
            return Optional.of(j);
        }
    }

    /** The newest jobs of a year (without their problems), newest first. */
    List<Job> jobs(String year, int limit) throws SQLException {
        List<Job> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement(JOB + " WHERE exam_year = ? ORDER BY created_at DESC, job_id")) {
            ps.setString(1, year);
            ps.setMaxRows(Math.max(1, limit));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(job(rs, List.of()));
                }
            }
        }
        return out;
    }

    private static final String JOB = "SELECT job_id, exam_year, state, total, done, accepted, refused, created_by,"
            + " created_at, updated_at FROM exam_import";

    /** The job of a row of {@link #JOB}. */
    private static Job job(ResultSet rs, List<CsvImport.RowError> problems) throws SQLException {
        return new Job(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getInt(4),
                rs.getInt(5),
                rs.getInt(6),
                rs.getInt(7),
                problems,
                rs.getString(8),
                rs.getTimestamp(9).toInstant(),
                rs.getTimestamp(10).toInstant());
    }

    /** Waits until a job ends (or the time is up); the job as it stands then. */
    Job await(String id, long millis) throws SQLException, InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000L;
        Job j = job(id).orElseThrow();
        while (RUNNING.equals(j.state()) && System.nanoTime() - until < 0) {
            Thread.sleep(100);
            j = job(id).orElseThrow();
        }
        return j;
    }

    /** Runs (or resumes) a job from its first row not counted yet. */
    private void run(String id) {
        String actor;
        String year;
        int done;
        String cipher;
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT created_by, exam_year, done, file_cipher FROM"
                        + " exam_import WHERE job_id = ? AND state = ?")) {
            ps.setString(1, id);
            ps.setString(2, RUNNING);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                actor = rs.getString(1);
                year = rs.getString(2);
                done = rs.getInt(3);
                cipher = rs.getString(4);
            }
        } catch (SQLException e) {
            LOG.error("exam import {}: cannot read the job", id, e);
            return;
        }
        try (Actor.Scope as = Actor.as(actor, null)) {
            Rules.ExamYear y = store.year(year).orElse(null);
            CsvImport.File file;
            try {
                byte[] body = fields.decrypt(cipher).getBytes(StandardCharsets.UTF_8);
                file = CsvImport.parse(body, y == null ? List.of() : y.fields());
            } catch (Rules.Invalid e) { // the year's fields changed since the upload: the header no longer fits
                finish(id, FAILED, e.problems.get(0).key());
                return;
            }
            for (int i = done; i < file.rows(); i++) {
                if (Thread.currentThread().isInterrupted()) {
                    return; // the node stops: the job resumes from here at the next start
                }
                CsvImport.Row row = file.row(i, year, store::rowProblems);
                int next = i + 1;
                if (row.registration() != null) {
                    try {
                        store.register(row.registration(), null, c -> advance(c, id, next, 1, null));
                        continue;
                    } catch (Rules.Invalid e) {
                        row = new CsvImport.Row(row.line(), null, new CsvImport.RowError(row.line(), e.problems));
                    } catch (SQLException e) {
                        if (Thread.currentThread().isInterrupted()) {
                            return; // stopped while storing it: rolled back, resumed from this row
                        }
                        LOG.warn("exam import {} line {}: {}", id, row.line(), e.getMessage());
                        row = new CsvImport.Row(
                                row.line(),
                                null,
                                new CsvImport.RowError(
                                        row.line(), List.of(new Rules.Problem("row", "exam.saveFailed"))));
                    }
                }
                CsvImport.RowError error = row.error();
                storage.inTransaction(c -> advance(c, id, next, 0, error));
            }
            finish(id, DONE, null);
        } catch (SQLException | RuntimeException e) {
            LOG.error("exam import {} stopped; it resumes at the next start", id, e);
        }
    }

    /** Counts a row: handled up to {@code done}, accepted or refused (with its problems). */
    private Void advance(Connection c, String id, int done, int accepted, CsvImport.RowError error)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE exam_import SET done = ?, accepted = accepted + ?,"
                + " refused = refused + ?, updated_at = ? WHERE job_id = ? AND done = ?")) {
            ps.setInt(1, done);
            ps.setInt(2, accepted);
            ps.setInt(3, error == null ? 0 : 1);
            ps.setTimestamp(4, Timestamp.from(Instant.now()));
            ps.setString(5, id);
            ps.setInt(6, done - 1);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("import " + id + " advanced meanwhile"); // rolls the row back
            }
        }
        if (error != null) {
            ArrayNode a = Rules.JSON.createArrayNode();
            error.problems().forEach(p -> a.addObject().put("field", p.field()).put("code", p.key()));
            String text = a.toString();
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO exam_import_problem (job_id, line_no, problems) VALUES (?, ?, ?)")) {
                ps.setString(1, id);
                ps.setLong(2, error.line());
                ps.setString(3, text.length() > 2000 ? text.substring(0, 2000) : text);
                ps.executeUpdate();
            }
        }
        return null;
    }

    private void finish(String id, String state, String reason) throws SQLException {
        storage.inTransaction(c -> {
            int accepted = 0;
            int refused = 0;
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE exam_import SET state = ?, file_cipher = NULL, updated_at = ? WHERE job_id = ?")) {
                ps.setString(1, state);
                ps.setTimestamp(2, Timestamp.from(Instant.now()));
                ps.setString(3, id);
                ps.executeUpdate();
            }
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT accepted, refused FROM exam_import WHERE job_id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        accepted = rs.getInt(1);
                        refused = rs.getInt(2);
                    }
                }
            }
            audit.record(
                    c,
                    AuditLog.Event.of(
                            "exam.import",
                            id,
                            DONE.equals(state) ? AuditLog.Result.SUCCESS : AuditLog.Result.FAILURE,
                            state + ": " + accepted + " accepted, " + refused + " refused"
                                    + (reason == null ? "" : " (" + reason + ")")));
            return null;
        });
        LOG.info("exam import {} {}", id, state);
    }
}
