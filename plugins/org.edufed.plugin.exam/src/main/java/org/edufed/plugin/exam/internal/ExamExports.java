package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Scope;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Exports as CSV (UTF-8 with a BOM, so that Excel reads the Chinese right), for a user who holds
 * {@code exam:export}: the registrations the user may see (a school its own; a county or the province what it
 * received from the schools in the user's scope), with ID numbers and phones masked unless the user also holds
 * {@code exam:personal} for the school; the admitted list of a high school, or the admission results of a county.
 * Every export is audited ({@code exam.export}) with its row count and whether personal data was included, never
 * the data.
 */
@Component(service = ExamExports.class)
public final class ExamExports {

    private final ExamStore store;
    private final NodeIdentity node;
    private final AccountService accounts;
    private final FieldEncryption fields;
    private final AuditLog audit;

    @Activate
    public ExamExports(
            @Reference ExamStore store,
            @Reference NodeIdentity node,
            @Reference AccountService accounts,
            @Reference FieldEncryption fields,
            @Reference AuditLog audit) {
        this.store = store;
        this.node = node;
        this.accounts = accounts;
        this.fields = fields;
        this.audit = audit;
    }

    /**
     * An export: the file's name, and the CSV written to a stream as it is read from the database (a county's
     * year of registrations is not held in memory); the export is audited when written.
     */
    interface Export {
        String filename();

        /**
         * Writes the CSV; stops after {@code maxRows} rows (then {@link Written#complete()} is false and the file is
         * cut short, for a caller that must hold it).
         */
        Written writeTo(OutputStream out, int maxRows) throws IOException, SQLException;
    }

    /** What an export wrote: its rows, how many carry personal data in full, and whether it is whole. */
    record Written(int rows, int personal, boolean complete) {}

    /** Thrown when the user may not export here (answered 403). */
    static final class Forbidden extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Forbidden() {
            super("exam.outOfScope");
        }
    }

    private Scope scope(String user, String permission) {
        Scope s = accounts.scope(user, permission);
        if (node.level() == Level.SCHOOL) {
            // at a school, a grant of the permission for this school (or everywhere) is the whole node
            return s.covers(node.code()) || accounts.isPermitted(user, permission) ? Scope.ALL : Scope.NONE;
        }
        return accounts.isPermitted(user, permission) ? Scope.ALL : s;
    }

    /** The registrations of a year the user may see. */
    Export registrations(String user, String year, Locale l) {
        Scope scope = scope(user, ExamResource.EXPORT);
        if (scope.isEmpty()) {
            throw new Forbidden();
        }
        Scope personal = scope(user, ExamResource.PERSONAL);
        List<String> header = "en".equals(l.getLanguage())
                ? List.of(
                        "school",
                        "registration",
                        "name",
                        "gender",
                        "birth",
                        "idNumber",
                        "guardianPhone",
                        "preferences",
                        "status",
                        "reason",
                        "extra",
                        "admission")
                : List.of("学校", "报名号", "姓名", "性别", "出生日期", "身份证号", "监护人电话", "志愿", "状态", "原因", "附加信息", "录取学校");
        return new Export() {
            @Override
            public String filename() {
                return "exam-registrations-" + year + ".csv";
            }

            @Override
            public Written writeTo(OutputStream out, int maxRows) throws IOException, SQLException {
                Rows rows = new Rows(maxRows);
                boolean written = false;
                try {
                    CSVPrinter p = printer(out, header);
                    if (node.level() == Level.SCHOOL) {
                        boolean full = !personal.isEmpty();
                        store.eachMine(
                                year,
                                Integer.MAX_VALUE,
                                (m, idCipher, phoneCipher, extra) -> rows.print(
                                        p,
                                        full,
                                        () -> row(
                                                l,
                                                node.code(),
                                                m.globalId(),
                                                m.name(),
                                                m.gender(),
                                                m.birth().toString(),
                                                full ? fields.decrypt(idCipher) : m.idNumber(),
                                                full ? fields.decrypt(phoneCipher) : m.guardianPhone(),
                                                m.preferences(),
                                                m.status(),
                                                m.reason(),
                                                full ? store.extra(extra, true) : m.extra(),
                                                m.result() == null
                                                        ? ""
                                                        : m.result()
                                                                .path("highSchoolName")
                                                                .asText())));
                    } else {
                        store.eachReceived(year, scope, null, (r, idCipher, phoneCipher, extra) -> {
                            boolean full = personal.covers(r.school());
                            return rows.print(
                                    p,
                                    full,
                                    () -> row(
                                            l,
                                            r.school(),
                                            r.globalId(),
                                            r.name(),
                                            r.gender(),
                                            r.birth().toString(),
                                            full ? fields.decrypt(idCipher) : r.idNumber(),
                                            full
                                                    ? (phoneCipher == null ? null : fields.decrypt(phoneCipher))
                                                    : r.guardianPhone(),
                                            r.preferences(),
                                            r.status(),
                                            r.reason(),
                                            full ? store.extra(extra, true) : r.extra(),
                                            ""));
                        });
                    }
                    p.flush(); // the stream is the caller's to close
                    written = true;
                } finally {
                    // audited whatever happened: personal data may have left before a failure
                    audit.record(AuditLog.Event.of(
                            "exam.export",
                            "registrations/" + year,
                            written ? AuditLog.Result.SUCCESS : AuditLog.Result.FAILURE,
                            rows.rows + " rows" + (rows.cut ? " (cut at the console's limit)" : "")
                                    + ", personal data "
                                    + (rows.personal == 0 ? "masked" : "in full for " + rows.personal + " rows")));
                }
                return new Written(rows.rows, rows.personal, !rows.cut);
            }
        };
    }

    /** An export's rows as they are printed, up to a limit: how many, how many in full, whether it was cut. */
    private static final class Rows {
        private final int max;
        int rows;
        int personal;
        boolean cut;

        Rows(int max) {
            this.max = max;
        }

        /** Prints a row ({@code full}: with personal data in full) unless the limit is reached; whether to go on. */
        boolean print(CSVPrinter p, boolean full, java.util.function.Supplier<List<String>> row) throws IOException {
            if (rows == max) {
                cut = true;
                return false;
            }
            ExamExports.print(p, row.get());
            rows++;
            personal += full ? 1 : 0;
            return true;
        }
    }

    private static List<String> row(
            Locale l,
            String school,
            String globalId,
            String name,
            String gender,
            String birth,
            String idNumber,
            String phone,
            JsonNode preferences,
            String status,
            String reason,
            JsonNode extra,
            String admission) {
        List<String> out = new ArrayList<>();
        out.add(school);
        out.add(globalId);
        out.add(name);
        out.add(gender);
        out.add(birth);
        out.add(idNumber);
        out.add(phone == null ? "" : phone);
        out.add(preferences(preferences));
        out.add(Texts.get(l, "status." + status));
        out.add(reason == null ? "" : reason);
        StringBuilder e = new StringBuilder();
        if (extra != null) {
            extra.fields().forEachRemaining(f -> {
                if (e.length() > 0) {
                    e.append(';');
                }
                e.append(f.getKey()).append('=').append(f.getValue().asText());
            });
        }
        out.add(e.toString());
        out.add(admission);
        return out;
    }

    /** Preferences as the import reads them: {@code 1:5101040001|5101040002;2:5101040003}. */
    static String preferences(JsonNode p) {
        StringBuilder out = new StringBuilder();
        if (p != null) {
            p.fields().forEachRemaining(e -> {
                if (out.length() > 0) {
                    out.append(';');
                }
                out.append(e.getKey()).append(':');
                List<String> schools = new ArrayList<>();
                e.getValue().forEach(s -> schools.add(s.asText()));
                out.append(String.join("|", schools));
            });
        }
        return out.toString();
    }

    /**
     * The admission results the user may see: at a school the students its senior section admitted (the high
     * school's list); at a county or the province the outcome of the last admission run there, in scope.
     */
    Export results(String user, String year, Locale l) throws SQLException {
        Scope scope = scope(user, ExamResource.EXPORT);
        if (scope.isEmpty()) {
            throw new Forbidden();
        }
        boolean en = "en".equals(l.getLanguage());
        List<List<String>> rows = new ArrayList<>();
        if (node.level() == Level.SCHOOL) {
            for (JsonNode r : store.results(year, true)) {
                rows.add(List.of(
                        r.path("school").asText(),
                        r.path("registration").asText(),
                        r.path("name").asText(),
                        r.path("batchName").asText(),
                        r.path("highSchoolName").asText(),
                        r.path("score").asText(),
                        r.path("rank").asText()));
            }
        } else {
            Map<String, Rules.Plan> plans = store.plans(year);
            Rules.ExamYear y = store.year(year).orElse(null);
            for (com.fasterxml.jackson.databind.node.ObjectNode r : store.admitted(year, scope)) {
                Rules.Plan plan =
                        plans.get(Rules.Plan.key(year, r.path("highSchool").asText()));
                Rules.Batch batch = y == null ? null : y.batch(r.path("batch").asText());
                rows.add(List.of(
                        r.path("school").asText(),
                        r.path("registration").asText(),
                        r.path("name").asText(),
                        batch == null ? r.path("batch").asText() : batch.name(),
                        plan == null ? r.path("highSchool").asText() : plan.name(),
                        r.path("score").asText(),
                        r.path("rank").asText()));
            }
        }
        List<String> header = en
                ? List.of("school", "registration", "name", "batch", "highSchool", "score", "rank")
                : List.of("毕业学校", "报名号", "姓名", "批次", "录取学校", "成绩", "名次");
        return new Export() {
            @Override
            public String filename() {
                return "exam-results-" + year + ".csv";
            }

            @Override
            public Written writeTo(OutputStream out, int maxRows) throws IOException {
                int n = Math.min(rows.size(), maxRows);
                CSVPrinter p = printer(out, header);
                for (List<String> r : rows.subList(0, n)) {
                    print(p, r);
                }
                p.flush(); // the stream is the caller's to close
                audit.record(AuditLog.Event.of(
                        "exam.export", "results/" + year, AuditLog.Result.SUCCESS, n + " rows, no personal data"));
                return new Written(n, 0, n == rows.size());
            }
        };
    }

    /** A CSV printer writing UTF-8 with a BOM (so that Excel reads the Chinese right), the header printed. */
    static CSVPrinter printer(OutputStream out, List<String> header) throws IOException {
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 16 * 1024);
        w.write('\uFEFF');
        CSVPrinter p = new CSVPrinter(
                w, CSVFormat.DEFAULT.builder().setRecordSeparator("\r\n").build());
        p.printRecord(header);
        return p;
    }

    /** Prints a row; a cell that a spreadsheet would read as a formula ({@code = + - @}) is prefixed with {@code '}. */
    static void print(CSVPrinter p, List<String> row) throws IOException {
        List<String> safe = new ArrayList<>(row.size());
        for (String cell : row) {
            String v = cell == null ? "" : cell;
            safe.add(!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0 ? "'" + v : v);
        }
        p.printRecord(safe);
    }
}
