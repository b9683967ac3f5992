package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The exam registration plugin (中考报名) across a province, a county and a school on loopback: certified and
 * published at the province like any vendor's plugin, running at all three levels; the exam year set at the
 * province, the plans at the county, registrations at the school (one by one, bad input refused with every
 * problem named, a CSV file with broken rows), review county → province with a return and a correction, the
 * decisions back at the school, personal data masked and every full view audited, a reviewer scoped to one school.
 */
class ExamIT {

    static final String ID = "org.edufed.plugin.exam";
    static final String SCHOOL = "2151010001";

    /** A valid GB 11643 ID number: region, birth date, sequence, and the check character computed. */
    static String idNumber(String region, String birth, String seq) {
        String first = region + birth + seq;
        int[] w = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
        int sum = 0;
        for (int i = 0; i < 17; i++) {
            sum += (first.charAt(i) - '0') * w[i];
        }
        return first + "10X98765432".charAt(sum % 11);
    }

    /** Certifies the exam plugin's archive at the province and publishes it as mandatory for every level. */
    static void publishExam(KarafNode province, String pp) throws Exception {
        byte[] kar = Files.readAllBytes(Path.of(System.getProperty(
                "edufed.exam.kar",
                "../plugins/org.edufed.plugin.exam/target/org.edufed.plugin.exam-0.1.0-SNAPSHOT-plugin.kar")));
        HttpResponse<String> cert = PluginIT.postBinary(province, pp, "/api/v1/plugins/certify", kar);
        assertEquals(200, cert.statusCode(), cert.body());
        HttpResponse<String> pub = PluginIT.publish(
                province, pp, kar, KarafNode.json(cert).path("signature").asText(), "locked");
        assertEquals(200, pub.statusCode(), pub.body());
    }

    /** The exam year 2027, open from an hour ago for a week; two batches. */
    static String yearJson() {
        return "{\"name\":\"2027年成都市中考\",\"opens\":\"" + Instant.now().minus(Duration.ofHours(1)) + "\","
                + "\"closes\":\"" + Instant.now().plus(Duration.ofDays(7)) + "\","
                + "\"birthFrom\":\"2010-09-01\",\"birthTo\":\"2013-08-31\",\"tieRule\":\"earlier-birth\","
                + "\"batches\":[{\"code\":\"1\",\"name\":\"第一批次\",\"choices\":2},"
                + "{\"code\":\"2\",\"name\":\"第二批次\",\"choices\":1}]}";
    }

    static HttpResponse<String> exam(KarafNode node, String pw, String method, String path, String body)
            throws Exception {
        return FederationIT.await(() -> {
            HttpResponse<String> r = node.sendJson(method, "/api/v1/exam" + path, "admin", pw, body);
            return r.statusCode() == 503 ? null : r; // the REST API is rebuilt for a moment as plugins come
        });
    }

    static JsonNode ok(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return r.body().isEmpty() ? null : KarafNode.json(r);
    }

    static String registration(String name, String id, String prefs) {
        return "{\"year\":\"2027\",\"name\":\"" + name + "\",\"idNumber\":\"" + id
                + "\",\"guardianPhone\":\"13800138000\",\"preferences\":" + prefs + "}";
    }

    /** The value a page's input of the given name shows. */
    static String inputValue(String page, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("name=\"" + name + "\"[^>]*value=\"([^\"]*)\"")
                .matcher(page);
        assertTrue(m.find(), name + " in " + page);
        return m.group(1);
    }

    static JsonNode find(JsonNode list, String field, String value) {
        for (JsonNode n : list) {
            if (n.path(field).asText().equals(value)) {
                return n;
            }
        }
        return null;
    }

    @Test
    void registrationsAreReviewedUpTheTreeAndDecisionsComeBackToTheSchool() throws Exception {
        try (KarafNode province = KarafNode.unpack("province", "exam-province");
                KarafNode county = KarafNode.unpack("county", "exam-county");
                KarafNode school = KarafNode.unpack("school", "exam-school")) {
            FederationIT.Tree tree = FederationIT.startTree(province, county, school, "锦江区示范中学");
            String pp = tree.province();
            String cp = tree.county();
            String sp = tree.school();

            // certified and published at the province like any vendor's plugin: running at every level
            FederationIT.await(
                    () -> school.get("/api/v1/plugins/trust", "admin", sp).statusCode() == 200 ? true : null);
            publishExam(province, pp);
            for (KarafNode n : new KarafNode[] {province, county, school}) {
                String pw = n == province ? pp : n == county ? cp : sp;
                PluginIT.awaitState(n, pw, ID, "0.1.0.SNAPSHOT", "running");
            }

            // the province sets the exam year (locked); a county cannot change it
            ok(exam(province, pp, "PUT", "/years/2027", yearJson()), 200);
            JsonNode badYear = ok(exam(province, pp, "PUT", "/years/27", "{\"name\":\"\"}"), 422);
            assertTrue(badYear.toString().contains("考试年度应为四位年份"), badYear.toString());
            FederationIT.await(() ->
                    KarafNode.json(exam(county, cp, "GET", "/years", null)).size() == 1 ? true : null);
            assertEquals(409, exam(county, cp, "PUT", "/years/2027", yearJson()).statusCode());
            // the province has not let counties narrow the window: refused with the reason
            JsonNode notAllowed = ok(
                    exam(
                            county,
                            cp,
                            "PUT",
                            "/county-rules/2027",
                            "{\"opens\":\"" + Instant.now().plus(Duration.ofDays(1)) + "\"}"),
                    409);
            assertTrue(notAllowed.toString().contains("exam.mayNotNarrow"), notAllowed.toString());

            // the county lists its high schools and their quotas; the school sees them
            ok(exam(county, cp, "PUT", "/plans/2027/5101040001", "{\"name\":\"成都七中\",\"quotas\":{\"1\":300}}"), 200);
            ok(
                    exam(
                            county,
                            cp,
                            "PUT",
                            "/plans/2027/5101040002",
                            "{\"name\":\"树德中学\",\"quotas\":{\"1\":200,\"2\":80}}"),
                    200);
            // the school itself has a senior section (完全中学) that admits too: set in the county's console, a bad
            // quota refused with the reason and nothing saved
            ConsoleSession planner = ConsoleSession.login(county, "admin", cp);
            String plansPage = planner.get("/console/exam").body();
            assertTrue(plansPage.contains("id=\"exam-plan-form\"") && plansPage.contains("树德中学"), plansPage);
            String badQuota = planner.post(
                            "/console/exam",
                            Map.of("action", "plan", "year", "2027", "school", SCHOOL, "name", "高中部", "quota_1", "-3"),
                            ConsoleSession.csrf(plansPage))
                    .body();
            assertTrue(badQuota.contains("id=\"exam-error\"") && badQuota.contains("计划数应按本年度的批次填写"), badQuota);
            String planned = planner.post(
                            "/console/exam",
                            Map.of(
                                    "action",
                                    "plan",
                                    "year",
                                    "2027",
                                    "school",
                                    SCHOOL,
                                    "name",
                                    "锦江区示范中学高中部",
                                    "quota_1",
                                    "50"),
                            ConsoleSession.csrf(badQuota))
                    .body();
            assertTrue(planned.contains("已保存计划：锦江区示范中学高中部"), planned);
            JsonNode senior = find(KarafNode.json(exam(county, cp, "GET", "/plans?year=2027", null)), "school", SCHOOL);
            assertEquals(50, senior.path("quotas").path("1").asInt(), senior.toString());
            assertEquals(
                    422,
                    exam(county, cp, "PUT", "/plans/2027/5101040003", "{\"name\":\"x\",\"quotas\":{\"9\":1}}")
                            .statusCode());
            FederationIT.await(() -> KarafNode.json(exam(school, sp, "GET", "/plans?year=2027", null))
                                    .size()
                            == 3
                    ? true
                    : null);

            // the school registers students
            String li = idNumber("510104", "20111203", "123");
            String han = idNumber("510104", "20120105", "224");
            JsonNode a = ok(
                    exam(
                            school,
                            sp,
                            "POST",
                            "/registrations",
                            registration("李雷", li, "{\"1\":[\"5101040001\",\"5101040002\"],\"2\":[\"5101040002\"]}")),
                    201);
            JsonNode b = ok(
                    exam(school, sp, "POST", "/registrations", registration("韩梅梅", han, "{\"1\":[\"5101040002\"]}")),
                    201);
            // bad input: every problem named, nothing stored
            JsonNode bad = ok(
                    exam(
                            school,
                            sp,
                            "POST",
                            "/registrations",
                            registration("Li Lei", "110105194912310021", "{\"1\":[\"5109999999\"]}")),
                    422);
            assertEquals(
                    "application/problem+json",
                    exam(school, sp, "POST", "/registrations", registration("Li Lei", "x", "{}"))
                            .headers()
                            .firstValue("Content-Type")
                            .orElse(""));
            String problems = bad.path("problems").toString();
            assertTrue(problems.contains("exam.badStudentName"), problems);
            assertTrue(problems.contains("exam.badIdNumber"), problems);
            assertTrue(problems.contains("exam.unknownSchool"), problems);
            assertTrue(problems.contains("GB 11643"), problems);
            JsonNode twice = ok(
                    exam(school, sp, "POST", "/registrations", registration("李雷", li, "{\"1\":[\"5101040001\"]}")),
                    422);
            assertTrue(twice.toString().contains("exam.duplicate"), twice.toString());
            assertEquals(
                    422,
                    exam(
                                    school,
                                    sp,
                                    "POST",
                                    "/registrations",
                                    registration("王五", idNumber("510104", "20111203", "335"), "{}")
                                            .replace("2027", "2031"))
                            .statusCode());
            assertEquals(
                    404,
                    exam(school, sp, "GET", "/registrations/" + "0".repeat(36), null)
                            .statusCode());

            // a CSV file with broken rows: the good rows are kept, every broken row reported with its line
            String wang = idNumber("510104", "20111111", "335");
            String csv = "姓名,身份证号,监护人电话,志愿\n"
                    + "王芳," + wang + ",13900139000,1:5101040001\n"
                    + "赵六,110105194912310021,13900139000,1:5101040001\n"
                    + "李雷," + li + ",13800138000,1:5101040001\n"
                    + "孙七,only,two\n";
            HttpResponse<String> imported = school.raw(
                    HttpRequest.newBuilder(URI.create(school.baseUrl() + "/api/v1/exam/registrations/import?year=2027"))
                            .header("Content-Type", "text/csv; charset=UTF-8")
                            .header("Authorization", KarafNode.basic("admin", sp))
                            .POST(HttpRequest.BodyPublishers.ofString(csv, StandardCharsets.UTF_8)));
            // a job: 202 at once, the rows checked and stored in the background, the progress followed
            JsonNode job = ok(imported, 202);
            assertEquals(4, job.path("total").asInt(), job.toString());
            assertTrue(imported.headers()
                    .firstValue("Location")
                    .orElse("")
                    .endsWith("/imports/" + job.path("id").asText()));
            JsonNode report = FederationIT.await(() -> {
                JsonNode j = KarafNode.json(
                        exam(school, sp, "GET", "/imports/" + job.path("id").asText(), null));
                return "done".equals(j.path("state").asText()) ? j : null;
            });
            assertEquals(4, report.path("done").asInt(), report.toString());
            assertEquals(1, report.path("accepted").asInt(), report.toString());
            assertEquals(3, report.path("refused").asInt(), report.toString());
            assertEquals("[3, 4, 5]", report.path("problems").findValues("line").toString(), report.toString());
            assertEquals(
                    404,
                    exam(school, sp, "GET", "/imports/" + "0".repeat(36), null).statusCode());
            JsonNode jobs = KarafNode.json(exam(school, sp, "GET", "/imports?year=2027", null));
            assertEquals(job.path("id").asText(), jobs.get(0).path("id").asText(), jobs.toString());
            assertEquals(1, jobs.get(0).path("accepted").asInt(), jobs.toString());
            JsonNode mine = KarafNode.json(exam(school, sp, "GET", "/registrations?year=2027", null));
            assertEquals(3, mine.size(), mine.toString());
            JsonNode liRow = find(mine, "name", "李雷");
            assertEquals(
                    "510104********1235".length(),
                    liRow.path("idNumber").asText().length());
            assertTrue(liRow.path("idNumber").asText().contains("****"), liRow.toString());
            assertFalse(mine.toString().contains(li), "ID numbers are masked in lists");
            assertEquals("submitted", liRow.path("status").asText());

            // the county sees the school's registrations (masked), approves one and returns one with a reason
            String gidA = a.path("globalId").asText();
            String gidB = b.path("globalId").asText();
            JsonNode pending = FederationIT.await(() -> {
                JsonNode r = KarafNode.json(exam(county, cp, "GET", "/reviews?year=2027&status=submitted", null));
                return r.size() == 3 ? r : null;
            });
            assertFalse(pending.toString().contains(li), pending.toString());
            assertTrue(find(pending, "globalId", gidA)
                    .path("guardianPhone")
                    .asText()
                    .contains("****"));
            ok(exam(county, cp, "POST", "/reviews/" + gidA, "{\"version\":1,\"decision\":\"approve\"}"), 200);
            JsonNode noReason =
                    ok(exam(county, cp, "POST", "/reviews/" + gidB, "{\"version\":1,\"decision\":\"return\"}"), 422);
            assertTrue(noReason.toString().contains("exam.reasonRequired"), noReason.toString());
            ok(
                    exam(
                            county,
                            cp,
                            "POST",
                            "/reviews/" + gidB,
                            "{\"version\":1,\"decision\":\"return\",\"reason\":\"第一志愿填写有误\"}"),
                    200);
            // the full ID number only through the personal-data view, which is audited
            JsonNode full = ok(exam(county, cp, "GET", "/reviews/" + gidA + "/personal", null), 200);
            assertEquals(li, full.path("idNumber").asText());
            assertTrue(county.get("/api/v1/audit?action=personal.view&limit=10", "admin", cp)
                    .body()
                    .contains(gidA));

            // the school sees the return with its reason, corrects it: version 2, back at the county
            String idB = b.path("id").asText();
            JsonNode returned = FederationIT.await(() -> {
                JsonNode r = KarafNode.json(exam(school, sp, "GET", "/registrations/" + idB, null));
                return "returned".equals(r.path("status").asText()) ? r : null;
            });
            assertEquals("第一志愿填写有误", returned.path("reason").asText());
            assertEquals("county", returned.path("returnedBy").asText());
            JsonNode corrected = ok(
                    exam(
                            school,
                            sp,
                            "PUT",
                            "/registrations/" + idB,
                            registration("韩梅梅", han, "{\"1\":[\"5101040001\",\"5101040002\"]}")),
                    200);
            assertEquals(2, corrected.path("version").asInt());
            assertEquals("submitted", corrected.path("status").asText());
            FederationIT.await(() -> {
                JsonNode r = KarafNode.json(exam(county, cp, "GET", "/reviews?year=2027&status=submitted", null));
                JsonNode row = find(r, "globalId", gidB);
                return row != null && row.path("version").asInt() == 2 ? true : null;
            });
            // a decision on the old version is refused
            assertEquals(
                    422,
                    exam(county, cp, "POST", "/reviews/" + gidB, "{\"version\":1,\"decision\":\"approve\"}")
                            .statusCode());
            ok(exam(county, cp, "POST", "/reviews/" + gidB, "{\"version\":2,\"decision\":\"approve\"}"), 200);

            // the province reviews what the county approved; it never receives the guardian's phone
            JsonNode atProvince = FederationIT.await(() -> {
                JsonNode r =
                        KarafNode.json(exam(province, pp, "GET", "/reviews?year=2027&status=county-approved", null));
                return r.size() == 2 ? r : null;
            });
            assertTrue(find(atProvince, "globalId", gidA).path("guardianPhone").isNull(), atProvince.toString());
            // not the province's turn for what the county has not approved
            String gidC = find(pending, "name", "王芳").path("globalId").asText();
            assertEquals(
                    422,
                    exam(province, pp, "POST", "/reviews/" + gidC, "{\"version\":1,\"decision\":\"approve\"}")
                            .statusCode());
            ok(exam(province, pp, "POST", "/reviews/" + gidA, "{\"version\":1,\"decision\":\"approve\"}"), 200);
            ok(
                    exam(
                            province,
                            pp,
                            "POST",
                            "/reviews/" + gidB,
                            "{\"version\":2,\"decision\":\"return\",\"reason\":\"户籍信息待核实\"}"),
                    200);

            // the decisions reach the school; an approved registration can no longer be changed there
            String idA = a.path("id").asText();
            FederationIT.await(() -> "approved"
                            .equals(KarafNode.json(exam(school, sp, "GET", "/registrations/" + idA, null))
                                    .path("status")
                                    .asText())
                    ? true
                    : null);
            JsonNode byProvince = FederationIT.await(() -> {
                JsonNode r = KarafNode.json(exam(school, sp, "GET", "/registrations/" + idB, null));
                return "province".equals(r.path("returnedBy").asText()) ? r : null;
            });
            assertEquals("户籍信息待核实", byProvince.path("reason").asText());
            assertEquals(
                    422,
                    exam(school, sp, "PUT", "/registrations/" + idA, registration("李雷", li, "{\"1\":[\"5101040002\"]}"))
                            .statusCode());

            // statistics at every level
            JsonNode stats = KarafNode.json(exam(province, pp, "GET", "/stats?year=2027", null));
            assertEquals(1, stats.path("schools").path(SCHOOL).path("approved").asInt(), stats.toString());
            assertEquals(1, stats.path("total").path("returned").asInt(), stats.toString());
            assertEquals(
                    1, stats.path("counties").path("510104").path("approved").asInt(), stats.toString());
            JsonNode schoolStats = KarafNode.json(exam(school, sp, "GET", "/stats?year=2027", null));
            assertEquals(1, schoolStats.path("total").path("submitted").asInt(), schoolStats.toString());

            // the school corrects what the province returned: version 3, approved by the county and the province
            ok(
                    exam(
                            school,
                            sp,
                            "PUT",
                            "/registrations/" + idB,
                            registration("韩梅梅", han, "{\"1\":[\"" + SCHOOL + "\"]}")),
                    200);
            FederationIT.await(() -> {
                JsonNode row = find(
                        KarafNode.json(exam(county, cp, "GET", "/reviews?year=2027&status=submitted", null)),
                        "globalId",
                        gidB);
                return row != null && row.path("version").asInt() == 3 ? true : null;
            });
            ok(exam(county, cp, "POST", "/reviews/" + gidB, "{\"version\":3,\"decision\":\"approve\"}"), 200);
            FederationIT.await(() -> find(
                                    KarafNode.json(exam(
                                            province, pp, "GET", "/reviews?year=2027&status=county-approved", null)),
                                    "globalId",
                                    gidB)
                            != null
                    ? true
                    : null);
            ok(exam(province, pp, "POST", "/reviews/" + gidB, "{\"version\":3,\"decision\":\"approve\"}"), 200);
            FederationIT.await(() -> KarafNode.json(exam(county, cp, "GET", "/reviews?year=2027&status=approved", null))
                                    .size()
                            == 2
                    ? true
                    : null);

            // scores imported at the county: bad rows and unknown ID numbers reported, the good ones kept
            String scores = "身份证号,成绩\n" + li + ",650\n" + han + ",640.5\n" + wang + ",600\n"
                    + "110105194912310021,600\n" + idNumber("510104", "20120909", "999") + ",610\n" + li + ",651\n"
                    + han + ",abc\n";
            JsonNode imported2 = ok(
                    county.raw(HttpRequest.newBuilder(
                                    URI.create(county.baseUrl() + "/api/v1/exam/scores/import?year=2027"))
                            .header("Content-Type", "text/csv")
                            .header("Authorization", KarafNode.basic("admin", cp))
                            .POST(HttpRequest.BodyPublishers.ofString(scores, StandardCharsets.UTF_8))),
                    200);
            assertEquals(3, imported2.path("imported").asInt(), imported2.toString());
            assertEquals(
                    "[5, 6, 7, 8]", imported2.path("errors").findValues("line").toString(), imported2.toString());
            assertTrue(imported2.toString().contains("exam.noRegistration"), imported2.toString());
            assertTrue(imported2.toString().contains("exam.duplicateScore"), imported2.toString());
            // in the county's console: a score corrected (a pasted CSV; a bad row named by its line, the good kept)
            String scoresPage = planner.get("/console/exam").body();
            assertTrue(scoresPage.contains("id=\"exam-scores-form\""), scoresPage);
            String rescored = planner.post(
                            "/console/exam",
                            Map.of("action", "scores", "year", "2027", "scores", "身份证号,成绩\n" + li + ",650\n坏行,1\n"),
                            ConsoleSession.csrf(scoresPage))
                    .body();
            assertTrue(rescored.contains("已导入成绩 1 条，未导入 1 条") && rescored.contains("第 3 行"), rescored);
            // admission, run from the console: 李雷 (650) gets his first choice, 韩梅梅 (640.5) her school's senior
            // section; 王芳 was never approved, so she is no candidate
            String admittedPage = planner.post(
                            "/console/exam", Map.of("action", "admit", "year", "2027"), ConsoleSession.csrf(rescored))
                    .body();
            assertTrue(admittedPage.contains("录取完成：考生 2 人，录取 2 人"), admittedPage);
            assertTrue(
                    admittedPage.matches(
                            "(?s).*id=\"exam-admitted\".*<td>成都七中</td><td>第一批次</td><td>300</td><td>1</td>.*"),
                    admittedPage);
            assertEquals(
                    2,
                    KarafNode.json(exam(county, cp, "GET", "/admission?year=2027", null))
                            .size());
            // the results reach the school, and the admitting school sees whom it admitted
            JsonNode results = FederationIT.await(() -> {
                JsonNode r = KarafNode.json(exam(school, sp, "GET", "/results?year=2027", null));
                return r.size() == 2 ? r : null;
            });
            assertEquals(
                    "5101040001", find(results, "name", "李雷").path("highSchool").asText());
            assertEquals(
                    "成都七中", find(results, "name", "李雷").path("highSchoolName").asText());
            JsonNode admittedHere = KarafNode.json(exam(school, sp, "GET", "/results?year=2027&admitted=true", null));
            assertEquals(1, admittedHere.size(), admittedHere.toString());
            assertEquals("韩梅梅", admittedHere.get(0).path("name").asText());
            assertEquals(
                    "5101040001",
                    KarafNode.json(exam(school, sp, "GET", "/registrations/" + idA, null))
                            .path("result")
                            .path("highSchool")
                            .asText());

            // the county's admission outcome flows up: the province sees the admitted per county and high school
            JsonNode summary = FederationIT.await(() -> {
                JsonNode r = KarafNode.json(exam(province, pp, "GET", "/admission/summary?year=2027", null));
                return r.path("admitted").asInt() == 2 ? r : null;
            });
            assertEquals(
                    1,
                    summary.path("counties")
                            .path("510104")
                            .path("highSchools")
                            .path("5101040001")
                            .path("admitted")
                            .asInt(),
                    summary.toString());
            assertEquals(
                    "成都七中",
                    summary.path("highSchools").path("5101040001").path("name").asText());
            ConsoleSession provinceConsole = ConsoleSession.login(province, "admin", pp);
            String provincePage = provinceConsole.get("/console/exam").body();
            assertTrue(
                    provincePage.contains("exam-county-stats")
                            && provincePage.matches("(?s).*<td>[^<]+（510104）</td>.*") // the county by name
                            && provincePage.contains("录取汇总")
                            && provincePage.contains("成都七中"),
                    provincePage);
            // the province's console: the year's form, filled in; a window that closes as it opens is refused with
            // the reason and the form keeps what was typed; a new name is saved and goes down, batches kept
            assertTrue(provincePage.contains("id=\"exam-year-form\"") && provincePage.contains("value=\"第二批次\""));
            Map<String, String> yearForm = new java.util.HashMap<>(Map.of(
                    "action", "year",
                    "year", "2027",
                    "name", "2027年成都市中考（修订）",
                    "opens", inputValue(provincePage, "opens"),
                    "closes", inputValue(provincePage, "opens"),
                    "birthFrom", "2010-09-01",
                    "birthTo", "2013-08-31",
                    "tieRule", "earlier-birth",
                    "batch_name_1", "第一批次",
                    "batch_choices_1", "2"));
            yearForm.putAll(Map.of("batch_name_2", "第二批次", "batch_choices_2", "1"));
            String refusedYear = provinceConsole
                    .post("/console/exam", yearForm, ConsoleSession.csrf(provincePage))
                    .body();
            assertTrue(refusedYear.contains("截止时间应晚于开始时间"), refusedYear);
            assertTrue(refusedYear.contains("value=\"2027年成都市中考（修订）\""), "typed values kept: " + refusedYear);
            assertTrue(
                    KarafNode.json(exam(province, pp, "GET", "/years", null))
                            .toString()
                            .contains("\"2027年成都市中考\""),
                    "nothing saved");
            yearForm.put("closes", inputValue(provincePage, "closes"));
            String savedYear = provinceConsole
                    .post("/console/exam", yearForm, ConsoleSession.csrf(refusedYear))
                    .body();
            assertTrue(savedYear.contains("已保存并下发考试年度：2027年成都市中考（修订）"), savedYear);
            JsonNode atSchool = FederationIT.await(() -> {
                JsonNode y = find(KarafNode.json(exam(school, sp, "GET", "/years", null)), "year", "2027");
                return y != null && y.path("name").asText().endsWith("（修订）") ? y : null;
            });
            assertEquals(
                    "[\"1\", \"2\"]",
                    atSchool.path("batches").findValues("code").toString(),
                    atSchool.toString());
            assertTrue(atSchool.path("open").asBoolean(), atSchool.toString());
            // exports: the county's admission results and the high school's admitted list, each audited
            HttpResponse<String> countyResults = county.get("/api/v1/exam/export/results?year=2027", "admin", cp);
            assertEquals(200, countyResults.statusCode(), countyResults.body());
            assertTrue(countyResults.body().startsWith("\uFEFF毕业学校,"), countyResults.body());
            assertTrue(countyResults.body().contains("成都七中")
                    && countyResults.body().contains("韩梅梅"));
            String admittedCsv = school.get("/api/v1/exam/export/results?year=2027", "admin", sp)
                    .body();
            assertEquals(2, admittedCsv.split("\r\n").length, admittedCsv);
            // the school's registrations: in full for a user who also holds exam:personal, and audited so
            HttpResponse<String> schoolCsv = school.get("/api/v1/exam/export/registrations?year=2027", "admin", sp);
            assertEquals(200, schoolCsv.statusCode(), schoolCsv.body());
            assertTrue(schoolCsv.headers().firstValue("Content-Type").orElse("").startsWith("text/csv"));
            assertTrue(schoolCsv.body().contains(li) && schoolCsv.body().contains("13800138000"), schoolCsv.body());
            String exportAudit = school.get("/api/v1/audit?action=exam.export&limit=10", "admin", sp)
                    .body();
            assertTrue(exportAudit.contains("personal data in full for 3 rows"), exportAudit);
            assertFalse(exportAudit.contains(li), "the audit trail never holds the data");

            // the link to the county is down: the school keeps registering; when the county is back, the
            // registration arrives there once
            county.stop();
            String zheng = idNumber("510104", "20120606", "668");
            JsonNode offline = ok(
                    exam(school, sp, "POST", "/registrations", registration("郑十", zheng, "{\"1\":[\"5101040001\"]}")),
                    201);
            county.start().awaitReady(DistributionIT.BOOT);
            String gidOffline = offline.path("globalId").asText();
            FederationIT.await(() -> {
                HttpResponse<String> r = county.get("/api/v1/exam/reviews?year=2027", "admin", cp);
                if (r.statusCode() != 200) {
                    return null; // the plugin is being verified and started again
                }
                long copies = 0;
                for (JsonNode n : KarafNode.json(r)) {
                    copies += n.path("globalId").asText().equals(gidOffline) ? 1 : 0;
                }
                return copies == 1 ? true : null;
            });

            // a county reviewer granted one school sees that school only
            assertEquals(
                    204,
                    province.sendJson(
                                    "PUT",
                                    "/api/v1/roles/exam-reviewer",
                                    "admin",
                                    pp,
                                    "{\"description\":\"中考审核员\",\"permissions\":[\"exam:read\",\"exam:review\",\"exam:export\"],"
                                            + "\"mode\":\"locked\"}")
                            .statusCode());
            FederationIT.await(
                    () -> county.get("/api/v1/roles", "admin", cp).body().contains("exam-reviewer") ? true : null);
            String rp = AuthorizationIT.createUser(county, cp, "u-reviewer", "[]");
            assertEquals(
                    201,
                    county.postJson(
                                    "/api/v1/org/units",
                                    "admin",
                                    cp,
                                    "{\"code\":\"exam\",\"name\":\"考试科\",\"kind\":\"department\"}")
                            .statusCode());
            FederationIT.grant(county, cp, "u-reviewer", "exam-reviewer", "510104-exam", false);
            assertEquals(
                    "[]",
                    county.get("/api/v1/exam/reviews?year=2027", "u-reviewer", rp)
                            .body());
            assertEquals(
                    403,
                    county.get("/api/v1/exam/reviews/" + gidA + "/personal", "u-reviewer", rp)
                            .statusCode());
            FederationIT.grant(county, cp, "u-reviewer", "exam-reviewer", SCHOOL, false);
            assertEquals(
                    4,
                    KarafNode.json(county.get("/api/v1/exam/reviews?year=2027", "u-reviewer", rp))
                            .size());
            // the reviewer exports what they may see, masked (no exam:personal)
            String masked = county.get("/api/v1/exam/export/registrations?year=2027", "u-reviewer", rp)
                    .body();
            assertEquals(5, masked.split("\r\n").length, masked);
            assertFalse(masked.contains(li), masked);
            assertTrue(masked.contains("****"), masked);

            // a student registers themself and follows their own registration, and sees no one else's
            assertEquals(
                    204,
                    province.sendJson(
                                    "PUT",
                                    "/api/v1/roles/exam-student",
                                    "admin",
                                    pp,
                                    "{\"description\":\"考生\",\"permissions\":[\"exam:self\"],\"mode\":\"locked\"}")
                            .statusCode());
            FederationIT.await(
                    () -> school.get("/api/v1/roles", "admin", sp).body().contains("exam-student") ? true : null);
            String stp = AuthorizationIT.createUser(school, sp, "u-student", "[\"exam-student\"]");
            String qian = idNumber("510104", "20120303", "881");
            HttpResponse<String> mineR = school.postJson(
                    "/api/v1/exam/my", "u-student", stp, registration("钱十一", qian, "{\"1\":[\"5101040002\"]}"));
            assertEquals(201, mineR.statusCode(), mineR.body());
            // the clerk's and the student's registrations have their fast lanes; what they decline, CXF answers
            String log = school.log();
            assertTrue(
                    log.contains("fast lane: POST /api/v1/exam/registrations"), "no lane for a clerk's registrations");
            assertTrue(log.contains("fast lane: POST /api/v1/exam/my"), "no lane for a student's own registration");
            assertEquals(
                    422,
                    school.postJson(
                                    "/api/v1/exam/my",
                                    "u-student",
                                    stp,
                                    registration(
                                            "钱十二", idNumber("510104", "20120304", "882"), "{\"1\":[\"5101040002\"]}"))
                            .statusCode());
            JsonNode own = KarafNode.json(school.get("/api/v1/exam/my?year=2027", "u-student", stp));
            assertEquals(1, own.size(), own.toString());
            assertEquals("submitted", own.get(0).path("status").asText());
            // withdrawn by the school's clerk, the registration is no longer the student's: they may register again
            String ownId = KarafNode.json(mineR).path("id").asText();
            assertEquals(
                    204,
                    school.send("DELETE", "/api/v1/exam/registrations/" + ownId, "admin", sp, null, "application/json")
                            .statusCode());
            assertEquals(
                    0,
                    KarafNode.json(school.get("/api/v1/exam/my?year=2027", "u-student", stp))
                            .size());
            mineR = school.postJson(
                    "/api/v1/exam/my", "u-student", stp, registration("钱十一", qian, "{\"1\":[\"5101040002\"]}"));
            assertEquals(201, mineR.statusCode(), mineR.body());
            own = KarafNode.json(school.get("/api/v1/exam/my?year=2027", "u-student", stp));
            assertEquals(1, own.size(), own.toString());
            assertEquals(
                    KarafNode.json(mineR).path("id").asText(),
                    own.get(0).path("id").asText());
            assertEquals(
                    403,
                    school.get("/api/v1/exam/registrations?year=2027", "u-student", stp)
                            .statusCode());
            assertEquals(
                    403,
                    school.get("/api/v1/exam/export/registrations?year=2027", "u-student", stp)
                            .statusCode());
            assertEquals(
                    404,
                    school.sendJson(
                                    "PUT",
                                    "/api/v1/exam/my/" + idA,
                                    "u-student",
                                    stp,
                                    registration("李雷", li, "{\"1\":[\"5101040002\"]}"))
                            .statusCode());
            ConsoleSession studentConsole = ConsoleSession.login(school, "u-student", stp);
            String myPage = studentConsole.get("/console/exam-my").body();
            assertTrue(myPage.contains("钱十一") && !myPage.contains("李雷"), myPage);
            assertEquals(403, studentConsole.get("/console/exam").statusCode());

            // the console: the school's clerk page lists the registrations; the county's lists what awaits it
            ConsoleSession console = ConsoleSession.login(school, "admin", sp);
            String page = console.get("/console/exam").body();
            assertTrue(
                    page.contains("2027年成都市中考")
                            && page.contains("韩梅梅")
                            && page.contains("审核通过")
                            && page.contains("录取：成都七中（第一批次）"),
                    page);
            String form = ConsoleSession.csrf(page);
            HttpResponse<String> registered = console.post(
                    "/console/exam",
                    Map.of(
                            "action", "register",
                            "year", "2027",
                            "name", "周八",
                            "idNumber", idNumber("510104", "20120808", "457"),
                            "guardianPhone", "13700137000",
                            "pref_1_1", "5101040002"),
                    form);
            assertTrue(registered.body().contains("已提交报名：周八"), registered.body());
            HttpResponse<String> refused = console.post(
                    "/console/exam",
                    Map.of("action", "register", "year", "2027", "name", "周九", "idNumber", "123", "guardianPhone", "1"),
                    ConsoleSession.csrf(registered.body()));
            assertTrue(refused.body().contains("身份证号无效"), refused.body());
            // a school clerk registers a student in a real browser (screenshots kept in target/screenshots/exam)
            String wu = idNumber("510104", "20120707", "779");
            if (Browser.run(
                            "exam",
                            Map.of(
                                    "SCHOOL",
                                    school.baseUrl(),
                                    "USER",
                                    "admin",
                                    "PASSWORD",
                                    sp,
                                    "NAME",
                                    "吴九",
                                    "ID_NUMBER",
                                    wu))
                    != null) {
                JsonNode wuRow =
                        find(KarafNode.json(exam(school, sp, "GET", "/registrations?year=2027", null)), "name", "吴九");
                assertEquals(2, wuRow.path("preferences").path("1").size(), wuRow.toString());
                assertEquals(1, wuRow.path("preferences").path("2").size(), wuRow.toString());
            }
            ConsoleSession countyConsole = ConsoleSession.login(county, "admin", cp);
            assertTrue(countyConsole.get("/console/exam").body().contains("待本级审核"));
            // the console's export button gives the file to download; a pasted CSV imports with a progress bar
            String exportPage = console.get("/console/exam").body();
            HttpResponse<String> exported = console.post(
                    "/console/exam",
                    Map.of("action", "export-registrations", "year", "2027"),
                    ConsoleSession.csrf(exportPage));
            assertTrue(exported.body().contains("id=\"exam-download\""), exported.body());
            HttpResponse<String> started = console.post(
                    "/console/exam",
                    Map.of(
                            "action",
                            "import",
                            "year",
                            "2027",
                            "csv",
                            "姓名,身份证号,监护人电话,志愿\n冯十," + idNumber("510104", "20120404", "113")
                                    + ",13600136000,1:5101040002\n坏行,1\n"),
                    ConsoleSession.csrf(console.get("/console/exam").body()));
            String jobId = started.body().replaceAll("(?s).*import=([0-9a-f-]{36}).*", "$1");
            String progress = FederationIT.await(() -> {
                String shown =
                        console.get("/console/exam?year=2027&import=" + jobId).body();
                return shown.contains("data-state=\"done\"") ? shown : null;
            });
            assertTrue(
                    progress.contains("exam-import-progress") && progress.contains("exam-import-problems"), progress);
            assertTrue(progress.contains("id=\"exam-imports\"") && progress.contains(jobId), "the latest imports");

            // the province lets counties narrow the window and add fields; the county adds one its schools must ask
            ok(
                    exam(
                            province,
                            pp,
                            "PUT",
                            "/years/2027",
                            yearJson()
                                    .replace(
                                            "\"tieRule\"",
                                            "\"countyMay\":{\"narrowWindow\":true,\"extraFields\":true},\"tieRule\"")),
                    200);
            String hukou = "{\"fields\":[{\"code\":\"hukou\",\"label\":{\"zh-CN\":\"户籍所在地\",\"en\":\"Household\"},"
                    + "\"pattern\":\"[0-9]{6}\"},{\"code\":\"address\",\"label\":{\"zh-CN\":\"家庭住址\","
                    + "\"en\":\"Home address\"},\"personal\":true}]}";
            FederationIT.await(
                    () -> exam(county, cp, "PUT", "/county-rules/2027", hukou).statusCode() == 200 ? true : null);
            JsonNode wider = ok(
                    exam(
                            county,
                            cp,
                            "PUT",
                            "/county-rules/2027",
                            "{\"closes\":\"" + Instant.now().plus(Duration.ofDays(30)) + "\"}"),
                    422);
            assertTrue(wider.toString().contains("exam.outsideWindow"), wider.toString());
            FederationIT.await(() -> KarafNode.json(exam(school, sp, "GET", "/county-rules?year=2027", null))
                                    .path("effective")
                                    .path("fields")
                                    .size()
                            == 2
                    ? true
                    : null);
            String chu = idNumber("510104", "20120202", "557");
            JsonNode noHukou = ok(
                    exam(school, sp, "POST", "/registrations", registration("褚十二", chu, "{\"1\":[\"5101040002\"]}")),
                    422);
            assertTrue(
                    noHukou.toString().contains("extra.hukou")
                            && noHukou.toString().contains("exam.fieldRequired"),
                    noHukou.toString());
            JsonNode withHukou = ok(
                    exam(
                            school,
                            sp,
                            "POST",
                            "/registrations",
                            registration("褚十二", chu, "{\"1\":[\"5101040002\"]}")
                                    .replace("}}", "},\"extra\":{\"hukou\":\"510104\",\"address\":\"锦江区红星路二段\"}}")),
                    201);
            JsonNode shown = KarafNode.json(exam(
                    school, sp, "GET", "/registrations/" + withHukou.path("id").asText(), null));
            assertEquals("510104", shown.path("extra").path("hukou").asText(), shown.toString());
            // the personal field masked wherever the registration is listed, in full only in the audited view
            assertEquals("锦******段", shown.path("extra").path("address").asText(), shown.toString());
            assertFalse(shown.path("extra").has("@personal"), shown.toString());
            JsonNode inFull = KarafNode.json(exam(
                    school, sp, "GET", "/registrations/" + withHukou.path("id").asText() + "/personal", null));
            assertEquals("锦江区红星路二段", inFull.path("extra").path("address").asText(), inFull.toString());
            assertTrue(console.get("/console/exam").body().contains("户籍所在地"), "the console form asks for it");
            // kept encrypted on the way (outbox, records at every level) and read at the county
            JsonNode atCounty = FederationIT.await(
                    () -> find(KarafNode.json(exam(county, cp, "GET", "/reviews?year=2027", null)), "name", "褚十二"));
            assertEquals("510104", atCounty.path("extra").path("hukou").asText(), atCounty.toString());
            assertEquals("锦******段", atCounty.path("extra").path("address").asText(), atCounty.toString());
            // the province does not hold the county's rules: the flag travelled with the registration
            JsonNode chuAtProvince = FederationIT.await(
                    () -> find(KarafNode.json(exam(province, pp, "GET", "/reviews?year=2027", null)), "name", "褚十二"));
            assertEquals("锦******段", chuAtProvince.path("extra").path("address").asText(), chuAtProvince.toString());
            JsonNode provinceFull = KarafNode.json(exam(
                    province,
                    pp,
                    "GET",
                    "/reviews/" + chuAtProvince.path("globalId").asText() + "/personal",
                    null));
            assertEquals("锦江区红星路二段", provinceFull.path("extra").path("address").asText(), provinceFull.toString());
            // the county's console narrows the window too, keeping the fields the county added; a window outside the
            // province's is refused with the reason and the typed value kept
            java.time.format.DateTimeFormatter beijing = java.time.format.DateTimeFormatter.ofPattern(
                            "yyyy-MM-dd'T'HH:mm")
                    .withZone(java.time.ZoneId.of("Asia/Shanghai"));
            String rulesPage = countyConsole.get("/console/exam").body();
            assertTrue(rulesPage.contains("id=\"exam-rules-form\"") && rulesPage.contains("户籍所在地"), rulesPage);
            String tooLate = beijing.format(Instant.now().plus(Duration.ofDays(30)));
            String refusedRules = countyConsole
                    .post(
                            "/console/exam",
                            Map.of("action", "rules", "year", "2027", "closes", tooLate),
                            ConsoleSession.csrf(rulesPage))
                    .body();
            assertTrue(
                    refusedRules.contains("区县的报名时间应在省级报名时间之内") && refusedRules.contains("value=\"" + tooLate + "\""),
                    refusedRules);
            String narrowed = countyConsole
                    .post(
                            "/console/exam",
                            Map.of(
                                    "action",
                                    "rules",
                                    "year",
                                    "2027",
                                    "opens",
                                    beijing.format(Instant.now().plus(Duration.ofDays(1)))),
                            ConsoleSession.csrf(refusedRules))
                    .body();
            assertTrue(narrowed.contains("已保存并下发本级规则"), narrowed);
            JsonNode rulesNow = KarafNode.json(exam(county, cp, "GET", "/county-rules?year=2027", null));
            assertEquals(2, rulesNow.path("effective").path("fields").size(), rulesNow.toString());
            assertFalse(rulesNow.path("effective").path("open").asBoolean(), rulesNow.toString());
            // through the API: registration opens tomorrow in its subtree, rules replacing the county's old ones
            ok(
                    exam(
                            county,
                            cp,
                            "PUT",
                            "/county-rules/2027",
                            "{\"opens\":\"" + Instant.now().plus(Duration.ofDays(1)) + "\"}"),
                    200);
            JsonNode notYet = FederationIT.await(() -> {
                HttpResponse<String> r = exam(
                        school,
                        sp,
                        "POST",
                        "/registrations",
                        registration("卫十三", idNumber("510104", "20120101", "779"), "{\"1\":[\"5101040002\"]}"));
                return r.statusCode() == 422 && r.body().contains("exam.notOpenYet") ? KarafNode.json(r) : null;
            });
            assertFalse(notYet.toString().contains("extra.hukou"), "the county's new rules replace its old ones");
        }
    }
}
