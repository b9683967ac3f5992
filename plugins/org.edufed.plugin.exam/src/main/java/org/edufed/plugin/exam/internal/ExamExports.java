package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
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

    /** An export: the file's name, its bytes, the rows in it and how many carry personal data in full. */
    record Export(String filename, byte[] csv, int rows, int personal) {}

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
    Export registrations(String user, String year, Locale l) throws SQLException {
        Scope scope = scope(user, ExamResource.EXPORT);
        if (scope.isEmpty()) {
            throw new Forbidden();
        }
        Scope personal = scope(user, ExamResource.PERSONAL);
        boolean en = "en".equals(l.getLanguage());
        List<List<String>> rows = new ArrayList<>();
        int full = 0;
        if (node.level() == Level.SCHOOL) {
            Map<String, String[]> ciphers = personal.isEmpty() ? Map.of() : store.ciphers(year, false);
            for (ExamStore.Mine m : store.mine(year, Integer.MAX_VALUE)) {
                String[] c = ciphers.get(m.id());
                full += c == null ? 0 : 1;
                rows.add(row(
                        l,
                        node.code(),
                        m.globalId(),
                        m.name(),
                        m.gender(),
                        m.birth().toString(),
                        c == null ? m.idNumber() : fields.decrypt(c[0]),
                        c == null ? m.guardianPhone() : fields.decrypt(c[1]),
                        m.preferences(),
                        m.status(),
                        m.reason(),
                        m.extra(),
                        m.result() == null
                                ? ""
                                : m.result().path("highSchoolName").asText()));
            }
        } else {
            Map<String, String[]> ciphers = personal.isEmpty() ? Map.of() : store.ciphers(year, true);
            for (ExamStore.Received r : store.received(year, scope, null, null, Integer.MAX_VALUE)) {
                String[] c = personal.covers(r.school()) ? ciphers.get(r.globalId()) : null;
                full += c == null ? 0 : 1;
                rows.add(row(
                        l,
                        r.school(),
                        r.globalId(),
                        r.name(),
                        r.gender(),
                        r.birth().toString(),
                        c == null ? r.idNumber() : fields.decrypt(c[0]),
                        c == null ? r.guardianPhone() : c[1] == null ? null : fields.decrypt(c[1]),
                        r.preferences(),
                        r.status(),
                        r.reason(),
                        r.extra(),
                        ""));
            }
        }
        List<String> header = en
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
        audit.record(AuditLog.Event.of(
                "exam.export",
                "registrations/" + year,
                AuditLog.Result.SUCCESS,
                rows.size() + " rows, personal data " + (full == 0 ? "masked" : "in full for " + full + " rows")));
        return new Export("exam-registrations-" + year + ".csv", csv(header, rows), rows.size(), full);
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
        audit.record(AuditLog.Event.of(
                "exam.export", "results/" + year, AuditLog.Result.SUCCESS, rows.size() + " rows, no personal data"));
        return new Export("exam-results-" + year + ".csv", csv(header, rows), rows.size(), 0);
    }

    /**
     * A CSV file in UTF-8 with a BOM; a cell that a spreadsheet would read as a formula ({@code = + - @}) is
     * prefixed with {@code '}.
     */
    static byte[] csv(List<String> header, List<List<String>> rows) {
        StringBuilder out = new StringBuilder("\uFEFF");
        try (CSVPrinter p = new CSVPrinter(
                out, CSVFormat.DEFAULT.builder().setRecordSeparator("\r\n").build())) {
            p.printRecord(header);
            for (List<String> r : rows) {
                List<String> safe = new ArrayList<>(r.size());
                for (String cell : r) {
                    String v = cell == null ? "" : cell;
                    safe.add(!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0 ? "'" + v : v);
                }
                p.printRecord(safe);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringBuilder does not fail
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
