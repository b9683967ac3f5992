package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.StreamingOutput;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Scope;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/exam}: exam years (province), plans and quotas (county), import jobs, review (county, province),
 * scores and admission, results, exports, statistics (every level). Bad input gets 422 with every problem named.
 * The registrations made here are {@link RegistrationResource}'s, a student's own {@link OwnRegistrationResource}'s.
 */
@Component(service = RestResource.class)
@Path("/exam")
@Produces(MediaType.APPLICATION_JSON)
public final class ExamResource extends ExamApi implements RestResource {

    private final Inheritance inheritance;
    private final AccountService accounts;
    private final FieldEncryption fields;
    private final ExamImports imports;
    private final ExamExports exports;
    private final Federation federation;

    @Activate
    public ExamResource(
            @Reference ExamStore store,
            @Reference Inheritance inheritance,
            @Reference NodeIdentity node,
            @Reference AccountService accounts,
            @Reference FieldEncryption fields,
            @Reference ExamImports imports,
            @Reference ExamExports exports,
            @Reference Federation federation) {
        super(store, node);
        this.inheritance = inheritance;
        this.accounts = accounts;
        this.fields = fields;
        this.imports = imports;
        this.exports = exports;
        this.federation = federation;
    }

    // --- exam years ------------------------------------------------------------------------------------------

    @GET
    @Path("/years")
    @RequiresPermission(READ)
    public List<ObjectNode> years() {
        List<ObjectNode> out = new ArrayList<>();
        for (Inheritance.Item i : inheritance.effective(ExamTopics.YEARS)) {
            try {
                ObjectNode o = (ObjectNode) Rules.JSON.readTree(i.value());
                o.put("year", i.key());
                o.put("open", Rules.year(i.key(), i.value()).isOpen(Instant.now()));
                o.put("setBy", i.provenance().setBy().code());
                o.put("mode", i.provenance().mode().id());
                out.add(o);
            } catch (IOException | Rules.Invalid e) {
                // an unreadable year is left out of the list
            }
        }
        return out;
    }

    @PUT
    @Path("/years/{year}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(ADMIN)
    public ObjectNode setYear(@PathParam("year") String year, InputStream json) {
        try {
            Inherited.setYear(inheritance, store, year, body(json));
        } catch (Rules.Invalid e) {
            throw invalid(e);
        } catch (LockedException e) {
            throw locked(e);
        }
        return Rules.JSON.createObjectNode().put("year", year).put("mode", Mode.LOCKED.id());
    }

    /** 409: the level above holds the key locked. */
    private static ProblemException locked(LockedException e) {
        return new ProblemException(409, "locked", e.getMessage());
    }

    // --- a county's rules for its subtree -------------------------------------------------------------------

    /** 409 with the field and the reason: what the province's exam year does not let counties do. */
    private ProblemResponse notAllowed(Rules.NotAllowed e) {
        return problem(409, "not-allowed", "exam.notAllowed", List.of(new Rules.Problem(e.field, e.key)));
    }

    /**
     * The exam year in effect here: the province's window and fields, what it lets counties do ({@code
     * countyMay}), the rules of the counties above (and of this node) and the window and fields that result.
     */
    @GET
    @Path("/county-rules")
    @RequiresPermission(READ)
    public ObjectNode countyRules(@QueryParam("year") String year) {
        String y = requireYear(year);
        Rules.ExamYear province =
                store.provinceYear(y).orElseThrow(() -> invalid(new Rules.Invalid("year", "exam.unknownYear")));
        Rules.ExamYear effective = store.year(y).orElseThrow();
        ObjectNode o = Rules.JSON.createObjectNode().put("year", y);
        o.set("province", rulesJson(province.toJson()));
        ArrayNode rules = o.putArray("rules");
        for (Rules.CountyRules r : store.countyRules(y)) {
            rules.add(((ObjectNode) rulesJson(r.toJson())).put("county", r.county()));
        }
        o.putObject("effective")
                .put("opens", effective.opens().toString())
                .put("closes", effective.closes().toString())
                .put("open", effective.isOpen(Instant.now()))
                .set("fields", Rules.Field.toJson(effective.fields()));
        return o;
    }

    private static JsonNode rulesJson(String json) {
        try {
            return Rules.JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e); // written by Rules
        }
    }

    /**
     * A county (or prefecture) publishes its rules for its subtree ({@code opens}, {@code closes}: a window inside
     * the province's; {@code fields}: {@code [{"code", "label": {"zh-CN", "en"}, "pattern"}]} its schools must
     * ask for), locked for the levels below: 409 when the province's year does not allow what is asked, 422 for
     * bad input.
     */
    @PUT
    @Path("/county-rules/{year}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(PLAN)
    public ObjectNode setCountyRules(@PathParam("year") String year, InputStream json) {
        String y = requireYear(year);
        if (node.level() != Level.COUNTY) {
            throw notAllowed(new Rules.NotAllowed("county", "exam.countyOnly"));
        }
        try {
            Rules.CountyRules r = Inherited.setCountyRules(inheritance, store, node.code(), y, body(json));
            return ((ObjectNode) rulesJson(r.toJson()))
                    .put("year", y)
                    .put("county", r.county())
                    .put("mode", Mode.LOCKED.id());
        } catch (LockedException e) {
            throw locked(e);
        } catch (Rules.NotAllowed e) {
            throw notAllowed(e);
        } catch (Rules.Invalid e) {
            throw invalid(e);
        }
    }

    @DELETE
    @Path("/county-rules/{year}")
    @RequiresPermission(PLAN)
    public Response removeCountyRules(@PathParam("year") String year) {
        if (node.level() != Level.COUNTY) {
            throw notAllowed(new Rules.NotAllowed("county", "exam.countyOnly"));
        }
        try {
            Inherited.removeCountyRules(inheritance, store, node.code(), requireYear(year));
        } catch (LockedException e) {
            throw locked(e);
        }
        return Response.noContent().build();
    }

    // --- plans -------------------------------------------------------------------------------------------------

    @GET
    @Path("/plans")
    @RequiresPermission(READ)
    public List<ObjectNode> plans(@QueryParam("year") String year) {
        List<ObjectNode> out = new ArrayList<>();
        for (Rules.Plan p : store.plans(requireYear(year)).values()) {
            ObjectNode o = (ObjectNode) Rules.JSON.valueToTree(p);
            out.add(o);
        }
        return out;
    }

    @PUT
    @Path("/plans/{year}/{school}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(PLAN)
    public Rules.Plan setPlan(@PathParam("year") String year, @PathParam("school") String school, InputStream json) {
        Rules.ExamYear y = store.year(year).orElseThrow(() -> invalid(new Rules.Invalid("year", "exam.unknownYear")));
        try {
            return Inherited.setPlan(inheritance, store, y, school, node.code(), body(json));
        } catch (Rules.Invalid e) {
            throw invalid(e);
        } catch (LockedException e) {
            throw locked(e);
        }
    }

    @DELETE
    @Path("/plans/{year}/{school}")
    @RequiresPermission(PLAN)
    public Response removePlan(@PathParam("year") String year, @PathParam("school") String school) {
        try {
            Inherited.removePlan(inheritance, store, year(year), school);
        } catch (Rules.Invalid e) {
            throw invalid(e);
        } catch (LockedException e) {
            throw locked(e);
        }
        return Response.noContent().build();
    }

    /** The import jobs of a year at this node, newest first (at most 100): state and counts, no problems. */
    @GET
    @Path("/imports")
    @RequiresPermission(REGISTER)
    public List<ObjectNode> importJobs(@QueryParam("year") String year) throws SQLException {
        List<ObjectNode> out = new ArrayList<>();
        for (ExamImports.Job j : imports.jobs(requireYear(year), 100)) {
            ObjectNode o = job(j);
            o.remove("problems");
            out.add(o);
        }
        return out;
    }

    /** An import job: its state ({@code running}, {@code done}, {@code failed}), counts and problems so far. */
    @GET
    @Path("/imports/{id}")
    @RequiresPermission(REGISTER)
    public ObjectNode importJob(@PathParam("id") String id) throws SQLException {
        return job(imports.job(id)
                .orElseThrow(() -> new ProblemException(404, "not-found", Texts.get(locale(), "exam.importNotFound"))));
    }

    // --- review (county, province) ---------------------------------------------------------------------------

    private Scope scope(String permission) {
        return accounts.scope(security.getUserPrincipal().getName(), permission);
    }

    @GET
    @Path("/reviews")
    @RequiresPermission(value = REVIEW, unit = RequiresPermission.ANY_UNIT)
    public List<ExamStore.Received> reviews(
            @QueryParam("year") String year,
            @QueryParam("status") String status,
            @QueryParam("school") String school,
            @QueryParam("limit") Integer limit)
            throws SQLException {
        Review.Status s = status == null || status.isBlank() ? null : Review.Status.parse(status);
        if (status != null && !status.isBlank() && s == null) {
            throw invalid(new Rules.Invalid("status", "exam.badDecision"));
        }
        if (school != null && !Rules.SCHOOL_CODE.matcher(school).matches()) {
            throw invalid(new Rules.Invalid("school", "exam.badSchoolCode"));
        }
        return store.received(
                requireYear(year),
                scope(REVIEW),
                school,
                s,
                limit == null ? 1000 : Math.max(1, Math.min(limit, MAX_LIST)));
    }

    private ExamStore.Received inScope(String globalId, String permission) throws SQLException {
        if (globalId == null || !globalId.matches("[0-9]{6,10}:[0-9a-f-]{36}")) {
            throw notFound();
        }
        ExamStore.Received r = store.received(globalId).orElseThrow(this::notFound);
        if (!scope(permission).covers(r.school())) {
            throw new ProblemException(403, "forbidden", Texts.get(locale(), "exam.outOfScope"));
        }
        return r;
    }

    @POST
    @Path("/reviews/{registration}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(value = REVIEW, unit = RequiresPermission.ANY_UNIT)
    public ExamStore.Received review(@PathParam("registration") String globalId, InputStream json) throws SQLException {
        inScope(globalId, REVIEW);
        JsonNode b = body(json);
        if (!b.path("version").canConvertToLong()) {
            throw invalid(new Rules.Invalid("version", "exam.staleVersion"));
        }
        try {
            return store.review(
                    globalId,
                    b.path("version").asLong(),
                    b.path("decision").asText(""),
                    b.path("reason").asText(""));
        } catch (Rules.Invalid e) {
            throw invalid(e);
        }
    }

    @GET
    @Path("/reviews/{registration}/personal")
    @RequiresPermission(value = PERSONAL, unit = RequiresPermission.ANY_UNIT)
    public ObjectNode reviewPersonal(@PathParam("registration") String globalId) throws SQLException {
        inScope(globalId, PERSONAL);
        return reveal(fields, globalId, store.receivedCiphers(globalId).orElseThrow(this::notFound));
    }

    // --- scores and admission ---------------------------------------------------------------------------------

    /**
     * Exam scores from a CSV file ({@code text/csv}, header {@code 身份证号,成绩} or {@code idNumber,score}), matched
     * to the registrations held here; every row that is malformed or matches none reported with its line.
     */
    @POST
    @Path("/scores/import")
    @RequiresPermission(ADMIT)
    public ObjectNode importScores(@QueryParam("year") String year, byte[] body) throws SQLException {
        String y = requireYear(year);
        requireCsv();
        ExamImports.Scores scores;
        try {
            scores = imports.scores(y, body);
        } catch (Rules.Invalid e) {
            throw invalid(e);
        }
        ObjectNode o = Rules.JSON
                .createObjectNode()
                .put("rows", scores.rows())
                .put("imported", scores.imported())
                .put("refused", scores.refused().size());
        o.set("errors", errors(scores.refused()));
        return o;
    }

    /**
     * Runs admission for the year (平行志愿, batch by batch, by score and preference against the plans, ties by the
     * year's rule) over the registrations the province approved that have a score; the results go down to the
     * students' schools and the admitting high schools. Running it again replaces the previous outcome.
     */
    @POST
    @Path("/admission/{year}")
    @RequiresPermission(ADMIT)
    public ExamStore.AdmissionRun admit(@PathParam("year") String year) throws SQLException {
        Rules.ExamYear y =
                store.year(requireYear(year)).orElseThrow(() -> invalid(new Rules.Invalid("year", "exam.unknownYear")));
        try {
            return store.admit(y);
        } catch (Rules.Invalid e) {
            throw invalid(e);
        }
    }

    /** The outcome of the last admission run here, the students of the caller's scope. */
    @GET
    @Path("/admission")
    @RequiresPermission(value = READ, unit = RequiresPermission.ANY_UNIT)
    public List<ObjectNode> admitted(@QueryParam("year") String year) throws SQLException {
        return store.admitted(requireYear(year), scope(READ));
    }

    /**
     * At a school: the results of its students ({@code ?admitted=true}: a high school's list of the students it
     * admitted), as the admission run sent them down.
     */
    @GET
    @Path("/results")
    @RequiresPermission(READ)
    public List<JsonNode> results(@QueryParam("year") String year, @QueryParam("admitted") boolean admittedHere) {
        return store.results(requireYear(year), admittedHere);
    }

    // --- exports ----------------------------------------------------------------------------------------------

    /**
     * An export as the answer, written as it is read (a county's year of registrations is never held in memory);
     * the row count is in the audit log, not in a header, which goes out before the rows.
     */
    private Response csv(ExamExports.Export e) {
        StreamingOutput body = out -> {
            try {
                e.writeTo(out, Integer.MAX_VALUE);
            } catch (SQLException ex) {
                throw new IOException("the export failed while reading the registrations", ex);
            }
        };
        return Response.ok(body, "text/csv;charset=UTF-8")
                .header("Content-Disposition", "attachment; filename=\"" + e.filename() + "\"")
                .build();
    }

    /**
     * The registrations of a year the caller may see, as CSV (UTF-8 with a BOM): a school's own, above the
     * schools in the caller's scope; ID numbers and phones masked unless the caller also holds {@code
     * exam:personal} for the school. Audited ({@code exam.export}) with the row count.
     */
    @GET
    @Path("/export/registrations")
    @Produces({"text/csv", MediaType.APPLICATION_JSON})
    @RequiresPermission(value = EXPORT, unit = RequiresPermission.ANY_UNIT)
    public Response exportRegistrations(@QueryParam("year") String year) throws SQLException {
        try {
            return csv(exports.registrations(user(), requireYear(year), locale()));
        } catch (ExamExports.Forbidden e) {
            throw new ProblemException(403, "forbidden", Texts.get(locale(), "exam.outOfScope"));
        }
    }

    /**
     * Admission results as CSV: at a school the students its senior section admitted, at a county (or the
     * province) the outcome of its last admission run for the schools in the caller's scope. Audited.
     */
    @GET
    @Path("/export/results")
    @Produces({"text/csv", MediaType.APPLICATION_JSON})
    @RequiresPermission(value = EXPORT, unit = RequiresPermission.ANY_UNIT)
    public Response exportResults(@QueryParam("year") String year) throws SQLException {
        try {
            return csv(exports.results(user(), requireYear(year), locale()));
        } catch (ExamExports.Forbidden e) {
            throw new ProblemException(403, "forbidden", Texts.get(locale(), "exam.outOfScope"));
        }
    }

    // --- statistics --------------------------------------------------------------------------------------------

    /** Counts per school and status: at a school its own registrations, above the schools in the caller's scope. */
    @GET
    @Path("/stats")
    @RequiresPermission(value = READ, unit = RequiresPermission.ANY_UNIT)
    public ObjectNode stats(@QueryParam("year") String year) throws SQLException {
        Map<String, Map<String, Integer>> counts = store.stats(requireYear(year), scope(READ));
        ObjectNode o = Rules.JSON
                .createObjectNode()
                .put("year", year)
                .put("level", node.level().id());
        ObjectNode total = o.putObject("total");
        ObjectNode schools = o.putObject("schools");
        counts.forEach((school, byStatus) -> {
            ObjectNode s = schools.putObject(school);
            byStatus.forEach((status, n) -> {
                s.put(status, n);
                total.put(status, total.path(status).asInt(0) + n);
            });
        });
        if (node.level() == Level.SCHOOL) {
            o.remove("schools");
        } else {
            // per county (the node each school registers with), as the tree was last reported up
            o.set("counties", Rules.JSON.valueToTree(byCounty(federation.tree(), counts, "unknown")));
        }
        return o;
    }

    /**
     * Counts per status of each school summed per county (the node each school registers with, as the tree was
     * last reported up; {@code unknown} for a school the tree does not show), in the order the schools come.
     */
    static Map<String, Map<String, Integer>> byCounty(
            Federation.TreeNode tree, Map<String, Map<String, Integer>> perSchool, String unknown) {
        Map<String, String> parents = new java.util.HashMap<>();
        parents(tree, parents);
        Map<String, Map<String, Integer>> out = new java.util.LinkedHashMap<>();
        perSchool.forEach((school, counts) -> counts.forEach((status, n) -> out.computeIfAbsent(
                        parents.getOrDefault(school, unknown), k -> new java.util.LinkedHashMap<>())
                .merge(status, n, Integer::sum)));
        return out;
    }

    /** Every node below in the tree as last reported up, mapped to the node it registers with. */
    static void parents(Federation.TreeNode n, Map<String, String> out) {
        for (Federation.TreeNode c : n.children()) {
            out.put(c.node().code(), n.node().code());
            parents(c, out);
        }
    }

    /**
     * At the province (or a prefecture): the admission outcomes the counties reported up — per county the
     * candidates and admitted, per high school and batch the admitted counts — and the totals per high school.
     */
    @GET
    @Path("/admission/summary")
    @RequiresPermission(value = READ, unit = RequiresPermission.ANY_UNIT)
    public ObjectNode admissionSummary(@QueryParam("year") String year) throws SQLException {
        String y = requireYear(year);
        ObjectNode o = Rules.JSON.createObjectNode().put("year", y);
        ObjectNode counties = o.putObject("counties");
        ObjectNode schools = o.putObject("highSchools");
        int admitted = 0;
        for (Map.Entry<String, JsonNode> e :
                store.admissionSummaries(y, scope(READ)).entrySet()) {
            counties.set(e.getKey(), e.getValue());
            admitted += e.getValue().path("admitted").asInt();
            e.getValue().path("highSchools").fields().forEachRemaining(h -> {
                ObjectNode t = schools.has(h.getKey())
                        ? (ObjectNode) schools.get(h.getKey())
                        : schools.putObject(h.getKey())
                                .put("name", h.getValue().path("name").asText())
                                .put("admitted", 0);
                t.put(
                        "admitted",
                        t.path("admitted").asInt()
                                + h.getValue().path("admitted").asInt());
            });
        }
        o.put("admitted", admitted);
        return o;
    }
}
