package org.edufed.plugin.exam.internal;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.web.ConsolePage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /console/exam} (中考报名): the exam year in effect; at a school the registration form (name, ID number,
 * guardian's phone, preferences chosen from the county's plans) and the school's registrations with their
 * status; above, the registrations awaiting this level's review, each with approve / return and a reason, and the
 * counts per status by school (at the province also by county, and the admissions the counties reported); at a
 * county also its own rules (a narrower window), its plans (招生计划: a form per high school, a quota per batch), the
 * score import and the admission run with the admitted per high school and batch against the quota; at the province
 * the form that sets an exam year. The API ({@link ExamResource}) does all of it too.
 */
@Component(service = ConsolePage.class)
public final class ExamPage implements ConsolePage {

    private final ExamStore store;
    private final NodeIdentity node;
    private final AccountService accounts;
    private final ExamImports imports;
    private final ExamExports exports;
    private final org.edufed.kernel.api.federation.Federation federation;
    private final Inheritance inheritance;

    /** The student's page (我的中考报名) rather than the staff's. */
    private final boolean student;

    @Activate
    public ExamPage(
            @Reference ExamStore store,
            @Reference NodeIdentity node,
            @Reference AccountService accounts,
            @Reference ExamImports imports,
            @Reference ExamExports exports,
            @Reference org.edufed.kernel.api.federation.Federation federation,
            @Reference Inheritance inheritance) {
        this(store, node, accounts, imports, exports, federation, inheritance, false);
    }

    ExamPage(
            ExamStore store,
            NodeIdentity node,
            AccountService accounts,
            ExamImports imports,
            ExamExports exports,
            org.edufed.kernel.api.federation.Federation federation,
            Inheritance inheritance,
            boolean student) {
        this.store = store;
        this.node = node;
        this.accounts = accounts;
        this.imports = imports;
        this.exports = exports;
        this.federation = federation;
        this.inheritance = inheritance;
        this.student = student;
    }

    /** Whether the user may export here (the permission for this node, or for any unit in scope above it). */
    private boolean mayExport(PageContext ctx) {
        return exports != null
                && (accounts.isPermitted(ctx.username(), ExamResource.EXPORT)
                        || !accounts.scope(ctx.username(), ExamResource.EXPORT).isEmpty());
    }

    /** The export buttons: registrations, and the admitted list (school) or the admission results (above). */
    private void exportButtons(PageContext ctx, Rules.ExamYear y, StringBuilder b) {
        if (!mayExport(ctx)) {
            return;
        }
        b.append("<form method=\"post\" id=\"exam-export\">")
                .append(ctx.csrfField())
                .append("<input type=\"hidden\" name=\"year\" value=\"")
                .append(ctx.escape(y.year()))
                .append("\"><button name=\"action\" value=\"export-registrations\" id=\"exam-export-registrations\">")
                .append(t(ctx, "导出报名（CSV）", "Export registrations (CSV)"))
                .append("</button> <button name=\"action\" value=\"export-results\" id=\"exam-export-results\">")
                .append(
                        node.level() == Level.SCHOOL
                                ? t(ctx, "导出本校录取名单（CSV）", "Export the students admitted here (CSV)")
                                : t(ctx, "导出录取结果（CSV）", "Export admission results (CSV)"))
                .append("</button></form>");
    }

    /**
     * Rows of an export the console hands over itself, as a download link in the page (the console serves pages,
     * not files): a school's year or a small county's; a larger export is the API's, which streams it.
     */
    static final int CONSOLE_EXPORT_ROWS = 20_000;

    /**
     * A finished export: a message and the file as a download link, or, for a larger file, the API call ({@code
     * api}) that gives it.
     */
    private String exported(PageContext ctx, ExamExports.Export e, String api) throws SQLException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        ExamExports.Written w;
        try {
            w = e.writeTo(bytes, CONSOLE_EXPORT_ROWS);
        } catch (java.io.IOException ex) {
            throw new IllegalStateException(ex); // an in-memory stream does not fail
        }
        if (!w.complete()) {
            return render(
                    ctx,
                    null,
                    t(
                            ctx,
                            "超过 " + CONSOLE_EXPORT_ROWS + " 行，控制台无法直接下载；请通过接口导出：GET " + api,
                            "More than " + CONSOLE_EXPORT_ROWS + " rows, too many for the console; export them"
                                    + " through the API: GET " + api));
        }
        String link = "<a id=\"exam-download\" download=\"" + ctx.escape(e.filename())
                + "\" href=\"data:text/csv;charset=utf-8;base64,"
                + java.util.Base64.getEncoder().encodeToString(bytes.toByteArray()) + "\">"
                + ctx.escape(e.filename()) + "</a>";
        String msg = t(ctx, "已导出 ", "Exported ")
                + w.rows()
                + t(ctx, " 行", " rows")
                + (w.personal() > 0
                        ? t(ctx, "（含完整个人信息，已记入审计日志）", " (personal data in full, audited)")
                        : t(ctx, "（个人信息已隐去）", " (personal data masked)"));
        return render(ctx, msg, null)
                .replaceFirst("</p>", java.util.regex.Matcher.quoteReplacement("：" + link + "</p>"));
    }

    /**
     * Opens a table with its header row: {@code id}, then each column's heading in zh-CN and English, in pairs
     * (an empty pair for a column without one).
     */
    private static void table(PageContext ctx, StringBuilder b, String id, String... headings) {
        b.append("<table id=\"").append(id).append("\"><tr>");
        for (int i = 0; i + 1 < headings.length; i += 2) {
            b.append("<th>").append(t(ctx, headings[i], headings[i + 1])).append("</th>");
        }
        b.append("</tr>");
    }

    /** The year's latest imports, each a link to its progress and report. */
    private void importJobs(PageContext ctx, Rules.ExamYear y, StringBuilder b) throws SQLException {
        List<ExamImports.Job> jobs = imports == null ? List.of() : imports.jobs(y.year(), 10);
        if (jobs.isEmpty()) {
            return;
        }
        table(
                ctx,
                b,
                "exam-imports",
                "导入开始于",
                "Import started",
                "操作人",
                "By",
                "状态",
                "State",
                "行数",
                "Rows",
                "已导入",
                "Imported",
                "未通过",
                "Refused");
        for (ExamImports.Job j : jobs) {
            String state =
                    switch (j.state()) {
                        case ExamImports.RUNNING -> t(ctx, "导入中", "running");
                        case ExamImports.DONE -> t(ctx, "已完成", "done");
                        default -> t(ctx, "失败", "failed");
                    };
            b.append("<tr><td><a href=\"/console/exam?year=")
                    .append(ctx.escape(y.year()))
                    .append("&amp;import=")
                    .append(ctx.escape(j.id()))
                    .append("\">")
                    .append(ctx.escape(j.createdAt()
                            .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                            .toString()))
                    .append("</a></td><td>")
                    .append(ctx.escape(j.createdBy()))
                    .append("</td><td>")
                    .append(state)
                    .append("</td><td>")
                    .append(j.total())
                    .append("</td><td>")
                    .append(j.accepted())
                    .append("</td><td>")
                    .append(j.refused())
                    .append("</td></tr>");
        }
        b.append("</table>");
    }

    /** The progress of an import job: a bar while it runs (the page reloads itself), then the report. */
    private void importJob(PageContext ctx, StringBuilder b) throws SQLException {
        String id = ctx.parameter("import");
        if (imports == null || id == null) {
            return;
        }
        Optional<ExamImports.Job> found = imports.job(id);
        if (found.isEmpty()) {
            b.append("<p class=\"error\">")
                    .append(ctx.escape(Texts.get(ctx.locale(), "exam.importNotFound")))
                    .append("</p>");
            return;
        }
        ExamImports.Job j = found.get();
        boolean running = ExamImports.RUNNING.equals(j.state());
        if (running) {
            b.append("<meta http-equiv=\"refresh\" content=\"1\">");
        }
        b.append("<div id=\"exam-import\" data-state=\"")
                .append(ctx.escape(j.state()))
                .append("\"><h3>")
                .append(t(ctx, "批量导入", "Import"))
                .append("</h3><p><progress id=\"exam-import-progress\" max=\"")
                .append(Math.max(1, j.total()))
                .append("\" value=\"")
                .append(j.done())
                .append("\"></progress> ")
                .append(j.done())
                .append(" / ")
                .append(j.total())
                .append(t(ctx, " 行；已导入 ", " rows; imported "))
                .append(j.accepted())
                .append(t(ctx, "，有误 ", ", refused "))
                .append(j.refused())
                .append(running ? t(ctx, "（导入中…）", " (importing…)") : "")
                .append(
                        ExamImports.FAILED.equals(j.state())
                                ? t(ctx, "（导入中止：表头与本年度字段不符）", " (stopped: the header no longer fits the year)")
                                : "")
                .append("</p>");
        if (!j.problems().isEmpty()) {
            table(ctx, b, "exam-import-problems", "行", "Line", "问题", "Problems");
            for (CsvImport.RowError e : j.problems()) {
                b.append("<tr><td>").append(e.line()).append("</td><td>");
                List<String> msgs = new ArrayList<>();
                e.problems().forEach(p -> msgs.add(Texts.get(ctx.locale(), p.key()) + "（" + p.field() + "）"));
                b.append(ctx.escape(String.join("；", msgs))).append("</td></tr>");
            }
            b.append("</table>");
        }
        b.append("</div>");
    }

    /** The import form: a CSV file chosen (UTF-8 or GBK, as Excel saves it) or pasted, its columns explained. */
    private void importForm(PageContext ctx, Rules.ExamYear y, StringBuilder b) {
        StringBuilder header = new StringBuilder("姓名,身份证号,监护人电话,志愿");
        y.fields().forEach(f -> header.append(',').append(f.labelZh()));
        b.append("<details><summary>")
                .append(t(ctx, "批量导入（CSV）", "Import from CSV"))
                .append("</summary><form method=\"post\" id=\"exam-import-form\" enctype=\"multipart/form-data\">")
                .append(ctx.csrfField())
                .append("<input type=\"hidden\" name=\"action\" value=\"import\">")
                .append("<input type=\"hidden\" name=\"year\" value=\"")
                .append(ctx.escape(y.year()))
                .append("\"><p>")
                .append(t(ctx, "第一行为表头：", "First line, the header: "))
                .append("<code>")
                .append(ctx.escape(header.toString()))
                .append("</code>")
                .append(t(ctx, "；志愿写作 1:学校码|学校码;2:学校码", "; preferences as 1:code|code;2:code"))
                .append("</p><p><label>")
                .append(t(
                        ctx,
                        "选择文件（UTF-8 或 GBK 编码，Excel 另存为 CSV 即可）：",
                        "Choose a file (UTF-8 or GBK, as Excel saves CSV): "))
                .append(
                        "<input type=\"file\" name=\"csvFile\" id=\"exam-csv-file\" accept=\".csv,text/csv\"></label></p><p>")
                .append(t(ctx, "或粘贴内容：", "or paste it: "))
                .append("</p><textarea name=\"csv\" id=\"exam-csv\" rows=\"8\" cols=\"80\"></textarea><br>")
                .append("<button type=\"submit\" id=\"exam-import-submit\">")
                .append(t(ctx, "开始导入", "Start the import"))
                .append("</button></form></details>");
    }

    @Override
    public String path() {
        return student ? "exam-my" : "exam";
    }

    @Override
    public String title(Locale locale) {
        return student ? (en(locale) ? "My exam registration" : "我的中考报名") : (en(locale) ? "Exam registration" : "中考报名");
    }

    /** Staff see the school's registrations ({@code exam:read}); a student only their own ({@code exam:self}). */
    @Override
    public String permission() {
        return student ? ExamResource.SELF : ExamResource.READ;
    }

    @Override
    public int rank() {
        return 150;
    }

    /** Times as people in China read them (Beijing time). */
    private static final java.time.ZoneId BEIJING = java.time.ZoneId.of("Asia/Shanghai");

    private static final java.time.format.DateTimeFormatter LOCAL =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(BEIJING);

    /** Preferences as {@code 第一批次：成都七中、树德中学；第二批次：…}, with the plans' school names. */
    static String preferences(
            Rules.ExamYear y, Map<String, Rules.Plan> plans, com.fasterxml.jackson.databind.JsonNode p) {
        StringBuilder out = new StringBuilder();
        p.fields().forEachRemaining(e -> {
            Rules.Batch batch = y.batch(e.getKey());
            if (out.length() > 0) {
                out.append("；");
            }
            out.append(batch == null ? e.getKey() : batch.name()).append("：");
            List<String> names = new ArrayList<>();
            e.getValue().forEach(s -> {
                Rules.Plan plan = plans.get(Rules.Plan.key(y.year(), s.asText()));
                names.add(plan == null ? s.asText() : plan.name());
            });
            out.append(String.join("、", names));
        });
        return out.toString();
    }

    private static boolean en(Locale l) {
        return "en".equals(l.getLanguage());
    }

    private static String t(PageContext ctx, String zh, String en) {
        return en(ctx.locale()) ? en : zh;
    }

    /** The year asked for, or the newest one in effect here. */
    private Optional<Rules.ExamYear> year(PageContext ctx) {
        String asked = ctx.parameter("year");
        if (asked != null && Rules.YEAR.matcher(asked).matches()) {
            Optional<Rules.ExamYear> y = store.year(asked);
            if (y.isPresent()) {
                return y;
            }
        }
        List<String> years = yearsInEffect();
        return years.isEmpty() ? Optional.empty() : store.year(years.get(years.size() - 1));
    }

    private List<String> yearsInEffect() {
        List<String> out = new ArrayList<>();
        for (int y = Instant.now().atZone(java.time.ZoneOffset.ofHours(8)).getYear() - 1, n = 0; n < 4; y++, n++) {
            if (store.year(String.valueOf(y)).isPresent()) {
                out.add(String.valueOf(y));
            }
        }
        return out;
    }

    @Override
    public String render(PageContext ctx) {
        return render(ctx, null, null);
    }

    private String render(PageContext ctx, String message, String error) {
        boolean keep = error != null; // the form keeps what was typed only when it has to be corrected
        StringBuilder b = new StringBuilder();
        if (message != null) {
            b.append("<p class=\"ok\" id=\"exam-message\">")
                    .append(ctx.escape(message))
                    .append("</p>");
        }
        if (error != null) {
            b.append("<p class=\"error\" id=\"exam-error\">")
                    .append(ctx.escape(error))
                    .append("</p>");
        }
        Optional<Rules.ExamYear> year = year(ctx);
        boolean setsYears = !student
                && inheritance != null
                && node.level() == Level.PROVINCE
                && accounts.isPermitted(ctx.username(), ExamResource.ADMIN);
        if (year.isEmpty()) {
            b.append("<p>")
                    .append(t(ctx, "省级尚未设定考试年度。", "The province has not set an exam year yet."))
                    .append("</p>");
            if (setsYears) {
                yearForm(ctx, null, b, true, keep && "year".equals(ctx.parameter("action")));
            }
            return b.toString();
        }
        Rules.ExamYear y = year.get();
        b.append("<h2 id=\"exam-year\">")
                .append(ctx.escape(y.name()))
                .append("</h2><p>")
                .append(t(ctx, "报名时间：", "Window: "))
                .append(ctx.escape(LOCAL.format(y.opens())))
                .append(" – ")
                .append(ctx.escape(LOCAL.format(y.closes())))
                .append(y.isOpen(Instant.now()) ? t(ctx, "（报名中）", " (open)") : t(ctx, "（未在报名时间内）", " (closed)"))
                .append("</p>");
        try {
            if (node.level() == Level.SCHOOL) {
                school(ctx, y, b, keep);
            } else {
                reviews(ctx, y, b, keep);
            }
            if (setsYears) {
                boolean again = keep && "year".equals(ctx.parameter("action"));
                yearForm(ctx, y, b, again, again);
            }
        } catch (SQLException e) {
            b.append("<p class=\"error\">")
                    .append(t(ctx, "数据暂时无法读取", "Data cannot be read now"))
                    .append("</p>");
        }
        return b.toString();
    }

    private void school(PageContext ctx, Rules.ExamYear y, StringBuilder b, boolean keep) throws SQLException {
        Map<String, Rules.Plan> plans = store.plans(y.year());
        List<ExamStore.Mine> rows;
        if (!student && accounts.isPermitted(ctx.username(), ExamResource.REGISTER)) {
            importJob(ctx, b);
            b.append("<h3>").append(t(ctx, "登记考生", "Register a student")).append("</h3>");
            form(ctx, y, plans, b, keep, "register");
            importForm(ctx, y, b);
            importJobs(ctx, y, b);
            b.append("<h3>")
                    .append(t(ctx, "本校报名", "Registrations of this school"))
                    .append("</h3>");
            rows = store.mine(y.year(), 500);
        } else if (student) {
            // a student: their own registration, and the form while they have none
            rows = store.own(ctx.username(), y.year());
            if (rows.isEmpty()) {
                b.append("<h3>").append(t(ctx, "我要报名", "Register")).append("</h3>");
                form(ctx, y, plans, b, keep, "self");
            }
            b.append("<h3>").append(t(ctx, "我的报名", "My registration")).append("</h3>");
        } else {
            b.append("<h3>")
                    .append(t(ctx, "本校报名", "Registrations of this school"))
                    .append("</h3>");
            rows = store.mine(y.year(), 500);
        }
        if (!student) {
            exportButtons(ctx, y, b);
        }
        table(ctx, y, plans, b, rows);
    }

    /** The registration form: the student, and the preferences chosen from the plans, batch by batch. */
    private void form(
            PageContext ctx,
            Rules.ExamYear y,
            Map<String, Rules.Plan> plans,
            StringBuilder b,
            boolean keep,
            String action) {
        b.append("<form method=\"post\" id=\"exam-register\">").append(ctx.csrfField());
        b.append("<input type=\"hidden\" name=\"action\" value=\"")
                .append(action)
                .append("\">");
        b.append("<input type=\"hidden\" name=\"year\" value=\"")
                .append(ctx.escape(y.year()))
                .append("\">");
        field(ctx, b, "name", t(ctx, "姓名", "Name"), keep);
        field(ctx, b, "idNumber", t(ctx, "身份证号", "ID number"), keep);
        field(ctx, b, "guardianPhone", t(ctx, "监护人电话", "Guardian's phone"), keep);
        for (Rules.Field f : y.fields()) {
            field(ctx, b, "extra_" + f.code(), ctx.escape(f.label(ctx.locale())), keep);
        }
        for (Rules.Batch batch : y.batches()) {
            b.append("<fieldset><legend>").append(ctx.escape(batch.name())).append("</legend>");
            for (int i = 1; i <= batch.choices(); i++) {
                String name = "pref_" + batch.code() + "_" + i;
                b.append("<label>")
                        .append(t(ctx, "志愿 ", "Choice "))
                        .append(i)
                        .append(" <select name=\"")
                        .append(name)
                        .append("\" id=\"")
                        .append(name)
                        .append("\"><option value=\"\">—</option>");
                for (Rules.Plan p : plans.values()) {
                    if (p.quotas().containsKey(batch.code())) {
                        b.append("<option value=\"")
                                .append(ctx.escape(p.school()))
                                .append("\">")
                                .append(ctx.escape(p.name()))
                                .append("</option>");
                    }
                }
                b.append("</select></label> ");
            }
            b.append("</fieldset>");
        }
        b.append("<button type=\"submit\" id=\"exam-submit\">")
                .append(t(ctx, "提交报名", "Register"))
                .append("</button></form>");
    }

    /** Registrations with their status, reason and admission result. */
    private void table(
            PageContext ctx,
            Rules.ExamYear y,
            Map<String, Rules.Plan> plans,
            StringBuilder b,
            List<ExamStore.Mine> rows) {
        table(
                ctx,
                b,
                "exam-registrations",
                "姓名",
                "Name",
                "身份证号",
                "ID number",
                "志愿",
                "Preferences",
                "状态",
                "Status",
                "录取结果",
                "Admission");
        for (ExamStore.Mine m : rows) {
            b.append("<tr><td>")
                    .append(ctx.escape(m.name()))
                    .append("</td><td>")
                    .append(ctx.escape(m.idNumber()))
                    .append("</td><td>")
                    .append(ctx.escape(preferences(y, plans, m.preferences())))
                    .append("</td><td>")
                    .append(ctx.escape(Texts.get(ctx.locale(), "status." + m.status())))
                    .append(m.reason() == null ? "" : "：" + ctx.escape(m.reason()))
                    .append("</td><td>")
                    .append(
                            m.result() == null
                                    ? "—"
                                    : t(ctx, "录取：", "Admitted: ")
                                            + ctx.escape(m.result()
                                                    .path("highSchoolName")
                                                    .asText())
                                            + "（"
                                            + ctx.escape(
                                                    m.result().path("batchName").asText()) + "）")
                    .append("</td></tr>");
        }
        b.append("</table>");
    }

    private static void field(PageContext ctx, StringBuilder b, String name, String label, boolean keep) {
        b.append("<label>")
                .append(label)
                .append(" <input name=\"")
                .append(name)
                .append("\" id=\"exam-")
                .append(name)
                .append("\" value=\"")
                .append(ctx.escape(!keep || ctx.parameter(name) == null ? "" : ctx.parameter(name)))
                .append("\"></label> ");
    }

    private void reviews(PageContext ctx, Rules.ExamYear y, StringBuilder b, boolean keep) throws SQLException {
        boolean reviewer = accounts.isPermitted(ctx.username(), ExamResource.REVIEW)
                || !accounts.scope(ctx.username(), ExamResource.REVIEW).isEmpty();
        Review.Status awaiting =
                node.level() == Level.PROVINCE ? Review.Status.COUNTY_APPROVED : Review.Status.SUBMITTED;
        // the subtree as its children last reported, read once: names for every table, counties for the province's
        org.edufed.kernel.api.federation.Federation.TreeNode tree = federation == null ? null : federation.tree();
        Map<String, String> names = new java.util.HashMap<>();
        if (tree != null) {
            names(tree, names);
        }
        exportButtons(ctx, y, b);
        b.append("<h3>").append(t(ctx, "待本级审核", "Awaiting this level's review")).append("</h3>");
        table(ctx, b, "exam-reviews", "学校", "School", "姓名", "Name", "身份证号", "ID number", "志愿", "Preferences", "", "");
        var scope = accounts.scope(ctx.username(), ExamResource.REVIEW);
        for (ExamStore.Received r : store.received(y.year(), scope, null, awaiting, 200)) {
            b.append("<tr><td>")
                    .append(ctx.escape(unit(names, r.school())))
                    .append("</td><td>")
                    .append(ctx.escape(r.name()))
                    .append(r.duplicate() ? t(ctx, "（重复报名）", " (registered twice)") : "")
                    .append("</td><td>")
                    .append(ctx.escape(r.idNumber()))
                    .append("</td><td>")
                    .append(ctx.escape(preferences(y, store.plans(y.year()), r.preferences())))
                    .append("</td><td>");
            if (reviewer) {
                b.append("<form method=\"post\">")
                        .append(ctx.csrfField())
                        .append("<input type=\"hidden\" name=\"action\" value=\"review\">")
                        .append("<input type=\"hidden\" name=\"year\" value=\"")
                        .append(ctx.escape(y.year()))
                        .append("\"><input type=\"hidden\" name=\"registration\" value=\"")
                        .append(ctx.escape(r.globalId()))
                        .append("\"><input type=\"hidden\" name=\"version\" value=\"")
                        .append(r.version())
                        .append("\"><input name=\"reason\" placeholder=\"")
                        .append(t(ctx, "退回原因", "Reason to return"))
                        .append("\"> <button name=\"decision\" value=\"approve\">")
                        .append(t(ctx, "通过", "Approve"))
                        .append("</button> <button name=\"decision\" value=\"return\">")
                        .append(t(ctx, "退回", "Return"))
                        .append("</button></form>");
            }
            b.append("</td></tr>");
        }
        b.append("</table>");
        Map<String, Map<String, Integer>> stats =
                store.stats(y.year(), accounts.scope(ctx.username(), ExamResource.READ));
        statusTable(ctx, b, "exam-stats", t(ctx, "统计", "Statistics"), t(ctx, "学校", "School"), stats, names);
        if (node.level() == Level.PROVINCE && tree != null) {
            counties(ctx, y, b, stats, tree, names);
        }
        if (node.level() == Level.COUNTY) {
            countyRules(ctx, y, b, keep && "rules".equals(ctx.parameter("action")));
            plans(ctx, y, b, keep && "plan".equals(ctx.parameter("action")));
            admission(ctx, y, b);
        }
    }

    /**
     * At a county, for those who set its plans: what the province lets counties do, this county's own rules (a
     * window inside the province's, fields of its own — set through the API) and the form that narrows the window
     * or withdraws the rules; after a refusal, as it was typed ({@code keep}).
     */
    private void countyRules(PageContext ctx, Rules.ExamYear y, StringBuilder b, boolean keep) {
        if (!accounts.isPermitted(ctx.username(), ExamResource.PLAN) || inheritance == null) {
            return;
        }
        Optional<Rules.ExamYear> province = store.provinceYear(y.year());
        if (province.isEmpty()) {
            return;
        }
        Rules.CountyMay may = province.get().countyMay();
        Rules.CountyRules own = store.countyRules(y.year()).stream()
                .filter(r -> r.county().equals(node.code()))
                .findFirst()
                .orElse(null);
        b.append("<h3>").append(t(ctx, "本区县报名规则", "This county's rules")).append("</h3><p id=\"exam-county-may\">");
        if (!may.narrowWindow() && !may.extraFields()) {
            b.append(t(
                    ctx,
                    "省级未允许区县调整报名时间或增加报名字段。",
                    "The province lets counties neither narrow the window nor add fields."));
        } else {
            b.append(t(ctx, "省级允许区县：", "The province lets counties: "))
                    .append(may.narrowWindow() ? t(ctx, "缩短报名时间 ", "narrow the window ") : "")
                    .append(may.extraFields() ? t(ctx, "增加报名字段（通过 API 设定）", "add fields (set through the API)") : "");
        }
        b.append("</p>");
        if (own != null && !own.fields().isEmpty()) {
            List<String> labels = new ArrayList<>();
            own.fields().forEach(f -> labels.add(en(ctx.locale()) ? f.labelEn() : f.labelZh()));
            b.append("<p>")
                    .append(t(ctx, "本级增加的字段：", "Fields added here: "))
                    .append(ctx.escape(String.join("、", labels)))
                    .append("</p>");
        }
        if (may.narrowWindow()) {
            b.append("<form method=\"post\" id=\"exam-rules-form\">")
                    .append(ctx.csrfField())
                    .append("<input type=\"hidden\" name=\"action\" value=\"rules\">")
                    .append(hidden(ctx, "year", y.year()))
                    .append("<label>")
                    .append(t(ctx, "本区县报名开始（北京时间）", "Opens here (Beijing time)"))
                    .append(" <input type=\"datetime-local\" name=\"opens\" value=\"")
                    .append(
                            keep
                                    ? ctx.escape(value(ctx, "opens"))
                                    : own == null || own.opens() == null ? "" : FIELD_TIME.format(own.opens()))
                    .append("\"></label> <label>")
                    .append(t(ctx, "截止", "Closes"))
                    .append(" <input type=\"datetime-local\" name=\"closes\" value=\"")
                    .append(
                            keep
                                    ? ctx.escape(value(ctx, "closes"))
                                    : own == null || own.closes() == null ? "" : FIELD_TIME.format(own.closes()))
                    .append("\"></label> <button type=\"submit\">")
                    .append(t(ctx, "保存规则", "Save the rules"))
                    .append("</button><br><small>")
                    .append(t(
                            ctx,
                            "须在省级报名时间（" + LOCAL.format(province.get().opens()) + " – "
                                    + LOCAL.format(province.get().closes()) + "）之内；留空的一端沿用上级。",
                            "Inside the province's window ("
                                    + LOCAL.format(province.get().opens()) + " – "
                                    + LOCAL.format(province.get().closes()) + "); an end left empty stays as above."))
                    .append("</small></form>");
        }
        if (own != null) {
            b.append("<form method=\"post\" id=\"exam-rules-remove\">")
                    .append(ctx.csrfField())
                    .append("<input type=\"hidden\" name=\"action\" value=\"rules-remove\">")
                    .append(hidden(ctx, "year", y.year()))
                    .append("<button type=\"submit\">")
                    .append(t(ctx, "撤销本级规则", "Withdraw this county's rules"))
                    .append("</button></form>");
        }
    }

    /**
     * At a county: the plans in effect (its own, and any a county-level node above set), each of its own with a
     * button to remove it, and the form that sets one (a high school's code, name and quota per batch), after a
     * refusal as it was typed ({@code keep}).
     */
    private void plans(PageContext ctx, Rules.ExamYear y, StringBuilder b, boolean keep) {
        boolean planner = accounts.isPermitted(ctx.username(), ExamResource.PLAN);
        Map<String, Rules.Plan> plans = store.plans(y.year());
        b.append("<h3>")
                .append(t(ctx, "招生计划", "Plans and quotas"))
                .append("</h3><table id=\"exam-plans\"><tr><th>")
                .append(t(ctx, "学校标识码", "School code"))
                .append("</th><th>")
                .append(t(ctx, "高中学校", "High school"))
                .append("</th>");
        for (Rules.Batch batch : y.batches()) {
            b.append("<th>")
                    .append(ctx.escape(batch.name()))
                    .append(t(ctx, "计划数", " quota"))
                    .append("</th>");
        }
        b.append("<th></th></tr>");
        for (Rules.Plan p : plans.values()) {
            b.append("<tr><td>")
                    .append(ctx.escape(p.school()))
                    .append("</td><td>")
                    .append(ctx.escape(p.name()))
                    .append("</td>");
            for (Rules.Batch batch : y.batches()) {
                Integer q = p.quotas().get(batch.code());
                b.append("<td>").append(q == null ? "—" : q.toString()).append("</td>");
            }
            b.append("<td>");
            if (planner && node.code().equals(p.county())) {
                b.append("<form method=\"post\">")
                        .append(ctx.csrfField())
                        .append("<input type=\"hidden\" name=\"action\" value=\"plan-remove\">")
                        .append(hidden(ctx, "year", y.year()))
                        .append(hidden(ctx, "school", p.school()))
                        .append("<button>")
                        .append(t(ctx, "删除", "Remove"))
                        .append("</button></form>");
            }
            b.append("</td></tr>");
        }
        b.append("</table>");
        if (!planner) {
            return;
        }
        b.append("<form method=\"post\" id=\"exam-plan-form\">")
                .append(ctx.csrfField())
                .append("<input type=\"hidden\" name=\"action\" value=\"plan\">")
                .append(hidden(ctx, "year", y.year()))
                .append("<label>")
                .append(t(ctx, "学校标识码", "School code"))
                .append(" <input name=\"school\" pattern=\"[0-9]{10}\" size=\"12\" required value=\"")
                .append(keep ? ctx.escape(value(ctx, "school")) : "")
                .append("\"></label> <label>")
                .append(t(ctx, "高中学校", "High school"))
                .append(" <input name=\"name\" maxlength=\"100\" required value=\"")
                .append(keep ? ctx.escape(value(ctx, "name")) : "")
                .append("\"></label>");
        for (Rules.Batch batch : y.batches()) {
            b.append(" <label>")
                    .append(ctx.escape(batch.name()))
                    .append(t(ctx, "计划数", " quota"))
                    .append(" <input type=\"number\" min=\"0\" max=\"100000\" name=\"quota_")
                    .append(ctx.escape(batch.code()))
                    .append("\" size=\"6\" value=\"")
                    .append(keep ? ctx.escape(value(ctx, "quota_" + batch.code())) : "")
                    .append("\"></label>");
        }
        b.append(" <button type=\"submit\">")
                .append(t(ctx, "保存计划", "Save the plan"))
                .append("</button><br><small>")
                .append(t(
                        ctx,
                        "同一学校再次保存即为修改；计划锁定下发，本区县各校考生在其中填报志愿。",
                        "Saving a school again changes its plan; plans go down locked, and this county's students"
                                + " choose among them."))
                .append("</small></form>");
    }

    /**
     * At a county, for those who may admit: the score import (a file or pasted CSV), the admission run, and the
     * outcome of the last run here: the admitted per high school and batch, against the quota.
     */
    private void admission(PageContext ctx, Rules.ExamYear y, StringBuilder b) throws SQLException {
        if (!accounts.isPermitted(ctx.username(), ExamResource.ADMIT) || imports == null) {
            return;
        }
        b.append("<h3>")
                .append(t(ctx, "成绩导入", "Import scores"))
                .append("</h3><form method=\"post\" id=\"exam-scores-form\" enctype=\"multipart/form-data\">")
                .append(ctx.csrfField())
                .append("<input type=\"hidden\" name=\"action\" value=\"scores\">")
                .append(hidden(ctx, "year", y.year()))
                .append("<p>")
                .append(t(ctx, "第一行为表头：", "First line, the header: "))
                .append("<code>身份证号,成绩</code>")
                .append(t(ctx, "（或 ", " (or "))
                .append("<code>idNumber,score</code>")
                .append(t(ctx, "）；再次导入的成绩替换之前的。", "); a score imported again replaces the earlier one."))
                .append("</p><p><label>")
                .append(t(ctx, "选择文件：", "Choose a file: "))
                .append("<input type=\"file\" name=\"scoresFile\" accept=\".csv,text/csv\"></label> ")
                .append(t(ctx, "或粘贴内容：", "or paste it: "))
                .append("</p><textarea name=\"scores\" id=\"exam-scores\" rows=\"5\" cols=\"60\"></textarea><br>")
                .append("<button type=\"submit\">")
                .append(t(ctx, "导入成绩", "Import"))
                .append("</button></form>");
        b.append("<h3>")
                .append(t(ctx, "录取", "Admission"))
                .append("</h3><form method=\"post\" id=\"exam-admit-form\">")
                .append(ctx.csrfField())
                .append("<input type=\"hidden\" name=\"action\" value=\"admit\">")
                .append(hidden(ctx, "year", y.year()))
                .append("<p>")
                .append(t(
                        ctx,
                        "对省级审核通过且有成绩的考生，逐批次按成绩与志愿顺序对照招生计划录取；再次运行将替换上次结果，结果下发至各校。",
                        "Admits the students the province approved who have a score, batch by batch, by score and"
                                + " preference order against the plans; running it again replaces the last outcome,"
                                + " which goes down to the schools."))
                .append("</p><button type=\"submit\">")
                .append(t(ctx, "运行录取", "Run admission"))
                .append("</button></form>");
        Map<String, Rules.Plan> plans = store.plans(y.year());
        Map<String, Map<String, Integer>> admitted = new java.util.TreeMap<>(); // high school → batch → count
        for (com.fasterxml.jackson.databind.node.ObjectNode a :
                store.admitted(y.year(), accounts.scope(ctx.username(), ExamResource.READ))) {
            admitted.computeIfAbsent(a.path("highSchool").asText(), k -> new java.util.TreeMap<>())
                    .merge(a.path("batch").asText(), 1, Integer::sum);
        }
        table(ctx, b, "exam-admitted", "高中学校", "High school", "批次", "Batch", "计划数", "Quota", "录取人数", "Admitted");
        admitted.forEach((school, batches) -> batches.forEach((code, n) -> {
            Rules.Plan plan = plans.get(Rules.Plan.key(y.year(), school));
            Rules.Batch batch = y.batch(code);
            Integer quota = plan == null ? null : plan.quotas().get(code);
            b.append("<tr><td>")
                    .append(ctx.escape(plan == null ? school : plan.name()))
                    .append("</td><td>")
                    .append(ctx.escape(batch == null ? code : batch.name()))
                    .append("</td><td>")
                    .append(quota == null ? "—" : quota.toString())
                    .append("</td><td>")
                    .append(n)
                    .append("</td></tr>");
        }));
        b.append("</table>");
    }

    /** How a {@code datetime-local} field shows and takes a time: Beijing time, to the minute. */
    private static final java.time.format.DateTimeFormatter FIELD_TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm").withZone(BEIJING);

    /** Batch rows the console's year form offers at least (more when the year has more). */
    static final int FORM_BATCHES = 4;

    /** Most batches a year has (as {@link Rules#year} checks). */
    static final int MAX_BATCHES = 10;

    /**
     * At the province: the form that sets an exam year — a new one, or the one shown, filled in (its extra fields,
     * set through the API, are kept as they are); after a refusal, as it was typed ({@code keep}).
     */
    private void yearForm(PageContext ctx, Rules.ExamYear y, StringBuilder b, boolean open, boolean keep) {
        java.util.function.BinaryOperator<String> v = (field, stored) -> keep ? ctx.escape(value(ctx, field)) : stored;
        b.append("<details id=\"exam-year-details\"")
                .append(open ? " open" : "")
                .append("><summary>")
                .append(t(ctx, "设定考试年度（新建或修改）", "Set an exam year (new or changed)"))
                .append("</summary><form method=\"post\" id=\"exam-year-form\">")
                .append(ctx.csrfField())
                .append("<input type=\"hidden\" name=\"action\" value=\"year\"><p><label>")
                .append(t(ctx, "年度", "Year"))
                .append(" <input name=\"year\" pattern=\"[0-9]{4}\" size=\"5\" required value=\"")
                .append(v.apply(
                        "year",
                        y == null ? String.valueOf(Instant.now().atZone(BEIJING).getYear() + 1) : ctx.escape(y.year())))
                .append("\"></label> <label>")
                .append(t(ctx, "名称", "Name"))
                .append(" <input name=\"name\" maxlength=\"100\" required value=\"")
                .append(v.apply("name", y == null ? "" : ctx.escape(y.name())))
                .append("\"></label></p><p><label>")
                .append(t(ctx, "报名开始（北京时间）", "Opens (Beijing time)"))
                .append(" <input type=\"datetime-local\" name=\"opens\" required value=\"")
                .append(v.apply("opens", y == null ? "" : FIELD_TIME.format(y.opens())))
                .append("\"></label> <label>")
                .append(t(ctx, "报名截止", "Closes"))
                .append(" <input type=\"datetime-local\" name=\"closes\" required value=\"")
                .append(v.apply("closes", y == null ? "" : FIELD_TIME.format(y.closes())))
                .append("\"></label></p><p><label>")
                .append(t(ctx, "考生出生日期自", "Born from"))
                .append(" <input type=\"date\" name=\"birthFrom\" value=\"")
                .append(v.apply(
                        "birthFrom",
                        y == null || y.birthFrom() == null ? "" : y.birthFrom().toString()))
                .append("\"></label> <label>")
                .append(t(ctx, "至", "to"))
                .append(" <input type=\"date\" name=\"birthTo\" value=\"")
                .append(v.apply(
                        "birthTo",
                        y == null || y.birthTo() == null ? "" : y.birthTo().toString()))
                .append("\"></label> <label>")
                .append(t(ctx, "同分规则", "Ties"))
                .append(" <select name=\"tieRule\">");
        String tie = v.apply("tieRule", y == null ? "earlier-birth" : y.tieRule());
        for (String[] rule : new String[][] {
            {"earlier-birth", "出生日期早者优先", "the earlier born first"},
            {"earlier-registration", "报名早者优先", "the earlier registered first"},
            {"all-admitted", "同分者全部录取", "all admitted"}
        }) {
            b.append("<option value=\"")
                    .append(rule[0])
                    .append(rule[0].equals(tie) ? "\" selected>" : "\">")
                    .append(t(ctx, rule[1], rule[2]))
                    .append("</option>");
        }
        b.append("</select></label></p><table id=\"exam-year-batches\"><tr><th>")
                .append(t(ctx, "批次名称", "Batch"))
                .append("</th><th>")
                .append(t(ctx, "志愿数（1–10）", "Choices (1–10)"))
                .append("</th></tr>");
        int rows = Math.max(FORM_BATCHES, y == null ? 0 : y.batches().size());
        for (int i = 1; i <= rows; i++) {
            Rules.Batch batch =
                    y == null || y.batches().size() < i ? null : y.batches().get(i - 1);
            b.append("<tr><td><input name=\"batch_name_")
                    .append(i)
                    .append("\" maxlength=\"50\" value=\"")
                    .append(v.apply("batch_name_" + i, batch == null ? "" : ctx.escape(batch.name())))
                    .append("\"></td><td><input type=\"number\" min=\"1\" max=\"10\" name=\"batch_choices_")
                    .append(i)
                    .append("\" value=\"")
                    .append(v.apply("batch_choices_" + i, batch == null ? "" : String.valueOf(batch.choices())))
                    .append("\"></td></tr>");
        }
        Rules.CountyMay may = y == null ? Rules.CountyMay.NOTHING : y.countyMay();
        b.append("</table><p><label><input type=\"checkbox\" name=\"narrowWindow\" value=\"true\"")
                .append((keep ? "true".equals(ctx.parameter("narrowWindow")) : may.narrowWindow()) ? " checked" : "")
                .append("> ")
                .append(t(ctx, "允许区县缩短报名时间", "Counties may narrow the window"))
                .append("</label> <label><input type=\"checkbox\" name=\"extraFields\" value=\"true\"")
                .append((keep ? "true".equals(ctx.parameter("extraFields")) : may.extraFields()) ? " checked" : "")
                .append("> ")
                .append(t(ctx, "允许区县增加报名字段", "Counties may add fields"))
                .append("</label></p><button type=\"submit\">")
                .append(t(ctx, "保存并下发（锁定）", "Save and publish (locked)"))
                .append("</button></form></details>");
    }

    /**
     * The exam year the form describes, as the API takes it: over the year as set now (its extra fields kept), the
     * name, window, birth range, tie rule, batches (named rows, a row keeping its batch's code) and what counties may.
     */
    static com.fasterxml.jackson.databind.node.ObjectNode yearBody(PageContext ctx, Optional<Rules.ExamYear> now) {
        com.fasterxml.jackson.databind.node.ObjectNode o;
        try {
            o = now.isPresent()
                    ? (com.fasterxml.jackson.databind.node.ObjectNode)
                            Rules.JSON.readTree(now.get().toJson())
                    : Rules.JSON.createObjectNode();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Rules.Invalid("body", "exam.badBody");
        }
        o.put("name", value(ctx, "name"))
                .put("opens", fieldTime(value(ctx, "opens")))
                .put("closes", fieldTime(value(ctx, "closes")))
                .put("tieRule", value(ctx, "tieRule"));
        for (String date : new String[] {"birthFrom", "birthTo"}) {
            if (value(ctx, date).isEmpty()) {
                o.remove(date);
            } else {
                o.put(date, value(ctx, date));
            }
        }
        com.fasterxml.jackson.databind.node.ArrayNode batches = o.putArray("batches");
        java.util.Set<String> codes = new java.util.HashSet<>();
        for (int i = 1; i <= MAX_BATCHES; i++) {
            String name = value(ctx, "batch_name_" + i);
            if (name.isEmpty()) {
                continue;
            }
            String code = now.isPresent() && now.get().batches().size() >= i
                    ? now.get().batches().get(i - 1).code()
                    : String.valueOf(i);
            for (int n = i; !codes.add(code); n++) {
                code = String.valueOf(n + 1); // a new row whose number an earlier row's code took
            }
            int choices;
            try {
                choices = Integer.parseInt(value(ctx, "batch_choices_" + i));
            } catch (NumberFormatException e) {
                choices = 0; // refused below, with the batches' message
            }
            batches.addObject().put("code", code).put("name", name).put("choices", choices);
        }
        o.putObject("countyMay")
                .put("narrowWindow", "true".equals(ctx.parameter("narrowWindow")))
                .put("extraFields", "true".equals(ctx.parameter("extraFields")));
        return o;
    }

    /** A {@code datetime-local} value (Beijing time) as an instant the API takes, or as typed when it is none. */
    private static String fieldTime(String typed) {
        try {
            return java.time.LocalDateTime.parse(typed)
                    .atZone(BEIJING)
                    .toInstant()
                    .toString();
        } catch (java.time.format.DateTimeParseException e) {
            return typed; // refused with the time's message
        }
    }

    private static String hidden(PageContext ctx, String name, String value) {
        return "<input type=\"hidden\" name=\"" + name + "\" value=\"" + ctx.escape(value) + "\">";
    }

    /** The names of the nodes of a subtree (its top included), by code, into {@code out}. */
    private static void names(org.edufed.kernel.api.federation.Federation.TreeNode n, Map<String, String> out) {
        out.put(n.node().code(), n.node().name());
        n.children().forEach(c -> names(c, out));
    }

    /** A unit as people read it: its name and code, or the code alone when its name is not known here. */
    private static String unit(Map<String, String> names, String code) {
        String name = names.get(code);
        return name == null || name.isBlank() ? code : name + "（" + code + "）";
    }

    /** A table of counts per status, a row for each unit (a school, or a county), under a heading. */
    private static void statusTable(
            PageContext ctx,
            StringBuilder b,
            String id,
            String heading,
            String unit,
            Map<String, Map<String, Integer>> rows,
            Map<String, String> names) {
        b.append("<h3>")
                .append(heading)
                .append("</h3><table id=\"")
                .append(id)
                .append("\"><tr><th>")
                .append(unit)
                .append("</th>");
        for (Review.Status s : Review.Status.values()) {
            b.append("<th>")
                    .append(ctx.escape(Texts.get(ctx.locale(), "status." + s.id)))
                    .append("</th>");
        }
        b.append("</tr>");
        rows.forEach((name, counts) -> {
            b.append("<tr><td>").append(ctx.escape(unit(names, name))).append("</td>");
            for (Review.Status s : Review.Status.values()) {
                b.append("<td>").append(counts.getOrDefault(s.id, 0)).append("</td>");
            }
            b.append("</tr>");
        });
        b.append("</table>");
    }

    /** At the province: the counts per county, and the admission outcomes the counties reported up. */
    private void counties(
            PageContext ctx,
            Rules.ExamYear y,
            StringBuilder b,
            Map<String, Map<String, Integer>> stats,
            org.edufed.kernel.api.federation.Federation.TreeNode tree,
            Map<String, String> names)
            throws SQLException {
        statusTable(
                ctx,
                b,
                "exam-county-stats",
                t(ctx, "各区县统计", "Per county"),
                t(ctx, "区县", "County"),
                new java.util.TreeMap<>(ExamResource.byCounty(tree, stats, "—")),
                names);
        b.append("<h3>")
                .append(t(ctx, "录取汇总", "Admissions reported by the counties"))
                .append("</h3>");
        table(ctx, b, "exam-admission-summary", "区县", "County", "录取学校", "High school", "录取人数", "Admitted");
        for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e : store.admissionSummaries(
                        y.year(), accounts.scope(ctx.username(), ExamResource.READ))
                .entrySet()) {
            e.getValue().path("highSchools").fields().forEachRemaining(h -> b.append("<tr><td>")
                    .append(ctx.escape(unit(names, e.getKey())))
                    .append("</td><td>")
                    .append(ctx.escape(h.getValue().path("name").asText()))
                    .append("</td><td>")
                    .append(h.getValue().path("admitted").asInt())
                    .append("</td></tr>"));
        }
        b.append("</table>");
    }

    @Override
    public String submit(PageContext ctx) {
        String action = ctx.parameter("action");
        try {
            boolean self = "self".equals(action);
            if ((self || "register".equals(action)) && node.level() == Level.SCHOOL) {
                if (!accounts.isPermitted(ctx.username(), self ? ExamResource.SELF : ExamResource.REGISTER)) {
                    return render(ctx, null, t(ctx, "没有登记考生的权限", "You may not register students"));
                }
                Rules.ExamYear y = posted(ctx);
                Map<String, List<String>> prefs = new LinkedHashMap<>();
                for (Rules.Batch batch : y.batches()) {
                    for (int i = 1; i <= batch.choices(); i++) {
                        String v = ctx.parameter("pref_" + batch.code() + "_" + i);
                        if (v != null && !v.isBlank()) {
                            prefs.computeIfAbsent(batch.code(), k -> new ArrayList<>())
                                    .add(v.strip());
                        }
                    }
                }
                Map<String, String> extra = new LinkedHashMap<>();
                for (Rules.Field f : y.fields()) {
                    extra.put(f.code(), value(ctx, "extra_" + f.code()));
                }
                Rules.Registration r = new Rules.Registration(
                        y.year(),
                        value(ctx, "name"),
                        value(ctx, "idNumber").toUpperCase(Locale.ROOT),
                        value(ctx, "guardianPhone"),
                        prefs,
                        extra);
                List<Rules.Problem> problems = Rules.check(r, y, store.plans(y.year()), Instant.now());
                if (!problems.isEmpty()) {
                    throw new Rules.Invalid(problems);
                }
                store.register(r, self ? ctx.username() : null);
                return render(ctx, t(ctx, "已提交报名：", "Registered: ") + r.name().strip(), null);
            }
            if ("import".equals(action) && !student && imports != null && node.level() == Level.SCHOOL) {
                if (!accounts.isPermitted(ctx.username(), ExamResource.REGISTER)) {
                    return render(ctx, null, t(ctx, "没有登记考生的权限", "You may not register students"));
                }
                String year = value(ctx, "year");
                if (!Rules.YEAR.matcher(year).matches()) {
                    throw new Rules.Invalid("year", "exam.badYear");
                }
                ExamImports.Job job = imports.start(year, uploaded(ctx, "csvFile", "csv"));
                // on to the job's page, which follows the progress
                return "<meta http-equiv=\"refresh\" content=\"0;url=/console/exam?year=" + year + "&amp;import="
                        + job.id() + "\"><p class=\"ok\" id=\"exam-message\">"
                        + t(ctx, "导入已开始：", "Import started: ") + job.total() + t(ctx, " 行", " rows")
                        + " — <a href=\"/console/exam?year=" + year + "&amp;import=" + job.id() + "\">"
                        + t(ctx, "查看进度", "Follow the progress") + "</a></p>";
            }
            if (action != null && action.startsWith("export-") && !student && mayExport(ctx)) {
                String year = value(ctx, "year");
                if (!Rules.YEAR.matcher(year).matches()) {
                    throw new Rules.Invalid("year", "exam.badYear");
                }
                try {
                    boolean results = "export-results".equals(action);
                    return exported(
                            ctx,
                            results
                                    ? exports.results(ctx.username(), year, ctx.locale())
                                    : exports.registrations(ctx.username(), year, ctx.locale()),
                            "/api/v1/exam/export/" + (results ? "results" : "registrations") + "?year=" + year);
                } catch (ExamExports.Forbidden e) {
                    return render(ctx, null, Texts.get(ctx.locale(), "exam.outOfScope"));
                }
            }
            if ("year".equals(action) && node.level() == Level.PROVINCE && inheritance != null && !student) {
                if (!accounts.isPermitted(ctx.username(), ExamResource.ADMIN)) {
                    return render(ctx, null, t(ctx, "没有设定考试年度的权限", "You may not set exam years"));
                }
                String year = value(ctx, "year");
                if (!Rules.YEAR.matcher(year).matches()) {
                    throw new Rules.Invalid("year", "exam.badYear");
                }
                try {
                    Rules.ExamYear y = Inherited.setYear(inheritance, store, year, yearBody(ctx, store.year(year)));
                    return render(ctx, t(ctx, "已保存并下发考试年度：", "Exam year saved and published: ") + y.name(), null);
                } catch (LockedException e) {
                    return render(ctx, null, t(ctx, "此考试年度已被锁定，不能修改", "This exam year is locked"));
                }
            }
            if (("rules".equals(action) || "rules-remove".equals(action))
                    && node.level() == Level.COUNTY
                    && inheritance != null
                    && !student) {
                if (!accounts.isPermitted(ctx.username(), ExamResource.PLAN)) {
                    return render(ctx, null, t(ctx, "没有设定区县规则的权限", "You may not set the county's rules"));
                }
                Rules.ExamYear y = posted(ctx);
                try {
                    if ("rules-remove".equals(action)) {
                        Inherited.removeCountyRules(inheritance, store, node.code(), y.year());
                        return render(ctx, t(ctx, "已撤销本级规则", "This county's rules withdrawn"), null);
                    }
                    // the window as typed, the fields this county added kept as they are
                    com.fasterxml.jackson.databind.node.ObjectNode body = Rules.JSON.createObjectNode();
                    for (String end : new String[] {"opens", "closes"}) {
                        if (!value(ctx, end).isEmpty()) {
                            body.put(end, fieldTime(value(ctx, end)));
                        }
                    }
                    List<Rules.Field> fields = store.countyRules(y.year()).stream()
                            .filter(r -> r.county().equals(node.code()))
                            .findFirst()
                            .map(Rules.CountyRules::fields)
                            .orElse(List.of());
                    body.set("fields", Rules.Field.toJson(fields));
                    Inherited.setCountyRules(inheritance, store, node.code(), y.year(), body);
                    return render(ctx, t(ctx, "已保存并下发本级规则", "This county's rules saved and published"), null);
                } catch (Rules.NotAllowed e) {
                    throw new Rules.Invalid(e.field, e.key);
                } catch (LockedException e) {
                    return render(ctx, null, t(ctx, "上级已锁定，不能修改", "Locked by the level above"));
                }
            }
            if (("plan".equals(action) || "plan-remove".equals(action))
                    && node.level() == Level.COUNTY
                    && inheritance != null) {
                if (!accounts.isPermitted(ctx.username(), ExamResource.PLAN)) {
                    return render(ctx, null, t(ctx, "没有设定招生计划的权限", "You may not set plans"));
                }
                Rules.ExamYear y = posted(ctx);
                String school = value(ctx, "school");
                try {
                    if ("plan-remove".equals(action)) {
                        Inherited.removePlan(inheritance, store, y.year(), school);
                        return render(ctx, t(ctx, "已删除计划：", "Plan removed: ") + school, null);
                    }
                    com.fasterxml.jackson.databind.node.ObjectNode body =
                            Rules.JSON.createObjectNode().put("name", value(ctx, "name"));
                    com.fasterxml.jackson.databind.node.ObjectNode quotas = body.putObject("quotas");
                    for (Rules.Batch batch : y.batches()) {
                        String q = value(ctx, "quota_" + batch.code());
                        if (!q.isEmpty()) {
                            try {
                                quotas.put(batch.code(), Integer.parseInt(q));
                            } catch (NumberFormatException e) {
                                throw new Rules.Invalid("quotas", "exam.badQuotas");
                            }
                        }
                    }
                    Rules.Plan p = Inherited.setPlan(inheritance, store, y, school, node.code(), body);
                    return render(ctx, t(ctx, "已保存计划：", "Plan saved: ") + p.name(), null);
                } catch (LockedException e) {
                    return render(ctx, null, t(ctx, "上级已锁定此计划，不能修改", "The level above locked this plan"));
                }
            }
            if ("scores".equals(action) && node.level() == Level.COUNTY && imports != null) {
                if (!accounts.isPermitted(ctx.username(), ExamResource.ADMIT)) {
                    return render(ctx, null, t(ctx, "没有导入成绩的权限", "You may not import scores"));
                }
                Rules.ExamYear y = posted(ctx);
                ExamImports.Scores done = imports.scores(y.year(), uploaded(ctx, "scoresFile", "scores"));
                StringBuilder refused = new StringBuilder();
                for (CsvImport.RowError e :
                        done.refused().subList(0, Math.min(20, done.refused().size()))) {
                    refused.append(refused.length() > 0 ? "；" : "")
                            .append(t(ctx, "第 " + e.line() + " 行：", "line " + e.line() + ": "));
                    List<String> why = new ArrayList<>();
                    e.problems().forEach(p -> why.add(Texts.get(ctx.locale(), p.key())));
                    refused.append(String.join("、", why));
                }
                return render(
                        ctx,
                        t(ctx, "已导入成绩 ", "Scores imported: ")
                                + done.imported()
                                + t(ctx, " 条，未导入 ", "; refused: ")
                                + done.refused().size()
                                + t(ctx, " 条", ""),
                        refused.length() == 0 ? null : refused.toString());
            }
            if ("admit".equals(action) && node.level() == Level.COUNTY) {
                if (!accounts.isPermitted(ctx.username(), ExamResource.ADMIT)) {
                    return render(ctx, null, t(ctx, "没有运行录取的权限", "You may not run admission"));
                }
                Rules.ExamYear y = posted(ctx);
                ExamStore.AdmissionRun run = store.admit(y);
                return render(
                        ctx,
                        t(ctx, "录取完成：考生 ", "Admission done: candidates ")
                                + run.candidates()
                                + t(ctx, " 人，录取 ", ", admitted ")
                                + run.admitted()
                                + t(ctx, " 人", ""),
                        null);
            }
            if ("review".equals(action) && node.level() != Level.SCHOOL) {
                String gid = value(ctx, "registration");
                ExamStore.Received r = store.received(gid).orElseThrow(() -> new Rules.Invalid("id", "exam.notFound"));
                if (!accounts.scope(ctx.username(), ExamResource.REVIEW).covers(r.school())) {
                    return render(ctx, null, Texts.get(ctx.locale(), "exam.outOfScope"));
                }
                long version;
                try {
                    version = Long.parseLong(value(ctx, "version"));
                } catch (NumberFormatException e) {
                    throw new Rules.Invalid("version", "exam.staleVersion");
                }
                store.review(gid, version, value(ctx, "decision"), value(ctx, "reason"));
                return render(ctx, t(ctx, "已审核：", "Reviewed: ") + r.name(), null);
            }
            return render(ctx, null, t(ctx, "未知操作", "Unknown action"));
        } catch (Rules.Invalid e) {
            StringBuilder msg = new StringBuilder();
            for (Rules.Problem p : e.problems) {
                if (msg.length() > 0) {
                    msg.append("；");
                }
                msg.append(Texts.get(ctx.locale(), p.key()));
            }
            return render(ctx, null, msg.toString());
        } catch (SQLException e) {
            return render(ctx, null, t(ctx, "保存失败，请稍后再试", "Could not save; try again later"));
        }
    }

    /** A form's CSV: the file chosen (the console hands it over in base64, empty when none), else the text pasted. */
    private static byte[] uploaded(PageContext ctx, String file, String pasted) {
        String chosen = ctx.parameter(file);
        return chosen != null && !chosen.isEmpty()
                ? java.util.Base64.getDecoder().decode(chosen)
                : value(ctx, pasted).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The exam year a form names, as in effect here. */
    private Rules.ExamYear posted(PageContext ctx) {
        return store.year(value(ctx, "year")).orElseThrow(() -> new Rules.Invalid("year", "exam.unknownYear"));
    }

    private static String value(PageContext ctx, String name) {
        String v = ctx.parameter(name);
        return v == null ? "" : v.strip();
    }
}
