package org.edufed.plugin.exam.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RulesTest {

    static final String YEAR_JSON = "{\"name\":\"2027年中考\",\"opens\":\"2027-04-01T08:00:00+08:00\","
            + "\"closes\":\"2027-04-20T18:00:00+08:00\",\"birthFrom\":\"2010-09-01\",\"birthTo\":\"2013-08-31\","
            + "\"batches\":[{\"code\":\"1\",\"name\":\"第一批次\",\"choices\":2},{\"code\":\"2\",\"name\":\"第二批次\","
            + "\"choices\":1}],\"tieRule\":\"earlier-birth\"}";
    static final Instant OPEN = Instant.parse("2027-04-10T02:00:00Z");

    /** A valid ID number for a birth date, with its check character computed as GB 11643 says. */
    static String id(String region, String birth, String seq) {
        String first = region + birth + seq;
        int[] w = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
        int sum = 0;
        for (int i = 0; i < 17; i++) {
            sum += (first.charAt(i) - '0') * w[i];
        }
        return first + "10X98765432".charAt(sum % 11);
    }

    static Map<String, Rules.Plan> plans() {
        return Map.of(
                "2027.5101040001", new Rules.Plan("2027", "5101040001", "成都七中", "510104", Map.of("1", 300)),
                "2027.5101040002", new Rules.Plan("2027", "5101040002", "树德中学", "510104", Map.of("1", 200, "2", 50)));
    }

    static Rules.Registration reg(String name, String id, String phone, Map<String, List<String>> prefs) {
        return new Rules.Registration("2027", name, id, phone, prefs);
    }

    static Set<String> keys(List<Rules.Problem> problems) {
        return problems.stream().map(Rules.Problem::key).collect(Collectors.toSet());
    }

    @Test
    void idNumbersFollowGb11643() {
        assertEquals(LocalDate.of(1949, 12, 31), Rules.birthOf("11010519491231002X"));
        assertEquals(LocalDate.of(1949, 12, 31), Rules.birthOf("11010519491231002x"));
        assertEquals("F", Rules.genderOf("11010519491231002X"));
        assertNull(Rules.birthOf("110105194912310021"), "wrong check character");
        assertNull(Rules.birthOf("11010519491331002X"), "month 13");
        assertNull(Rules.birthOf("1101051949123100"), "too short");
        assertNull(Rules.birthOf("11010519491231002Y"));
        assertNull(Rules.birthOf(null));
        String generated = id("510104", "20111203", "123");
        assertEquals(LocalDate.of(2011, 12, 3), Rules.birthOf(generated));
        assertEquals("M", Rules.genderOf(generated));
    }

    @ParameterizedTest
    @ValueSource(strings = {"李雷", "欧阳娜娜", "阿依古丽·买买提"})
    void chineseNamesAreAccepted(String name) {
        assertTrue(Rules.NAME.matcher(name).matches());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Li Lei", "李", "李雷1", "<script>", "·李雷", "李雷'; DROP TABLE x;--"})
    void otherNamesAreNot(String name) {
        assertTrue(!Rules.NAME.matcher(name).matches());
    }

    @Test
    void anExamYearReadsBackAsWritten() {
        Rules.ExamYear y = Rules.year("2027", YEAR_JSON);
        assertEquals(2, y.batches().size());
        assertTrue(y.isOpen(OPEN));
        assertTrue(!y.isOpen(Instant.parse("2027-04-20T10:00:01Z")));
        assertEquals(y, Rules.year("2027", y.toJson()));
    }

    @Test
    void aBrokenExamYearNamesEveryProblem() {
        Rules.Invalid e = assertThrows(
                Rules.Invalid.class,
                () -> Rules.year(
                        "27",
                        "{\"name\":\"\",\"opens\":\"tomorrow\",\"closes\":\"2027-04-20T18:00:00+08:00\",\"batches\":[],"
                                + "\"tieRule\":\"coin\"}"));
        assertEquals(
                Set.of("exam.badYear", "exam.badName", "exam.badTime", "exam.badBatches", "exam.badTieRule"),
                keys(e.problems));
    }

    @Test
    void aGoodRegistrationPasses() {
        Rules.ExamYear y = Rules.year("2027", YEAR_JSON);
        Rules.Registration r = reg(
                "李雷",
                id("510104", "20111203", "123"),
                "13800138000",
                Map.of("1", List.of("5101040001", "5101040002"), "2", List.of("5101040002")));
        assertEquals(List.of(), Rules.check(r, y, plans(), OPEN));
    }

    @Test
    void everyProblemOfARegistrationIsNamed() {
        Rules.ExamYear y = Rules.year("2027", YEAR_JSON);
        assertEquals(
                Set.of("exam.badStudentName", "exam.badIdNumber", "exam.badPhone", "exam.noPreferences"),
                keys(Rules.check(reg("Li", "110105194912310021", "12345", Map.of()), y, plans(), OPEN)));
        // outside the window, not eligible by birth, and preferences that do not fit the plans
        Rules.Registration r = reg(
                "韩梅梅",
                id("510104", "20080101", "124"),
                "13800138000",
                Map.of(
                        "1", List.of("5101040001", "5101040001"),
                        "2", List.of("5101040001"),
                        "9", List.of("5101040002")));
        assertEquals(
                Set.of(
                        "exam.closed",
                        "exam.notEligible",
                        "exam.repeatedChoice",
                        "exam.unknownSchool",
                        "exam.unknownBatch"),
                keys(Rules.check(r, y, plans(), Instant.parse("2027-05-01T00:00:00Z"))));
        assertEquals(
                Set.of("exam.tooManyChoices", "exam.unknownSchool"),
                keys(Rules.check(
                        reg(
                                "韩梅梅",
                                id("510104", "20111203", "124"),
                                "13800138000",
                                Map.of("2", List.of("5101040002", "5101040001"))),
                        y,
                        plans(),
                        OPEN)));
        assertEquals(
                Set.of("exam.unknownYear"), keys(Rules.check(reg("韩梅梅", "x", "x", Map.of()), null, plans(), OPEN)));
    }

    @Test
    void aPlanNamesOnlyBatchesOfTheYear() {
        Rules.ExamYear y = Rules.year("2027", YEAR_JSON);
        Rules.Plan p = Rules.plan(
                y,
                "5101040001",
                "510104",
                Rules.JSON
                        .createObjectNode()
                        .put("name", "成都七中")
                        .set("quotas", Rules.JSON.createObjectNode().put("1", 300)));
        assertEquals(p, Rules.plan("2027.5101040001", p.toJson()));
        Rules.Invalid e = assertThrows(
                Rules.Invalid.class,
                () -> Rules.plan(
                        y,
                        "51010",
                        "510104",
                        Rules.JSON
                                .createObjectNode()
                                .put("name", "x")
                                .set("quotas", Rules.JSON.createObjectNode().put("7", 10))));
        assertEquals(Set.of("exam.badSchoolCode", "exam.badQuotas"), keys(e.problems));
    }

    @Test
    void aDecisionCountsOnlyForTheVersionItWasMadeOn() {
        Review.Decision countyOk = new Review.Decision(1, Review.APPROVE, "", "c");
        Review.Decision countyNo = new Review.Decision(1, Review.RETURN, "照片不清晰", "c");
        Review.Decision provinceOk = new Review.Decision(1, Review.APPROVE, "", "p");
        Review.Decision provinceNo = new Review.Decision(1, Review.RETURN, "户籍不符", "p");
        assertEquals(Review.Status.SUBMITTED, Review.status(1, null, null));
        assertEquals(Review.Status.COUNTY_APPROVED, Review.status(1, countyOk, null));
        assertEquals(Review.Status.RETURNED, Review.status(1, countyNo, null));
        assertEquals("照片不清晰", Review.returnedBy(1, countyNo, null).reason());
        assertEquals(Review.Status.APPROVED, Review.status(1, countyOk, provinceOk));
        assertEquals(Review.Status.RETURNED, Review.status(1, countyOk, provinceNo));
        assertEquals("户籍不符", Review.returnedBy(1, countyOk, provinceNo).reason());
        // the school corrected it: version 2 starts over at the county
        assertEquals(Review.Status.SUBMITTED, Review.status(2, countyOk, provinceNo));
        assertEquals(countyNo, Review.Decision.parse(countyNo.toJson()));
        assertEquals("2151010001.0f.county", Review.itemKey("2151010001:0f", "county"));
    }

    // --- what counties may do -----------------------------------------------------------------------------

    static final String MAY_ALL =
            YEAR_JSON.replace("\"tieRule\"", "\"countyMay\":{\"narrowWindow\":true,\"extraFields\":true},\"tieRule\"");

    static com.fasterxml.jackson.databind.JsonNode json(String s) throws Exception {
        return Rules.JSON.readTree(s);
    }

    static final String HUKOU = "{\"fields\":[{\"code\":\"hukou\",\"label\":{\"zh-CN\":\"户籍所在地\","
            + "\"en\":\"Household registration\"},\"pattern\":\"[0-9]{6}\"}]}";

    @Test
    void aYearLetsCountiesNothingUnlessTheProvinceSaysSo() throws Exception {
        Rules.ExamYear y = Rules.year("2027", YEAR_JSON);
        assertEquals(Rules.CountyMay.NOTHING, y.countyMay());
        Rules.NotAllowed narrow = assertThrows(
                Rules.NotAllowed.class,
                () -> Rules.countyRules(y, "510104", json("{\"closes\":\"2027-04-15T18:00:00+08:00\"}")));
        assertEquals("exam.mayNotNarrow", narrow.key);
        assertEquals("closes", narrow.field);
        Rules.NotAllowed fields =
                assertThrows(Rules.NotAllowed.class, () -> Rules.countyRules(y, "510104", json(HUKOU)));
        assertEquals("exam.mayNotAddFields", fields.key);
        // what the province allows survives the year's round trip through its item
        Rules.ExamYear may = Rules.year("2027", Rules.year("2027", MAY_ALL).toJson());
        assertEquals(new Rules.CountyMay(true, true), may.countyMay());
        Rules.ExamYear windowOnly = Rules.year(
                "2027", YEAR_JSON.replace("\"tieRule\"", "\"countyMay\":{\"narrowWindow\":true},\"tieRule\""));
        assertThrows(Rules.NotAllowed.class, () -> Rules.countyRules(windowOnly, "510104", json(HUKOU)));
    }

    @Test
    void aCountyNarrowsTheWindowOnlyInsideTheProvinces() throws Exception {
        Rules.ExamYear y = Rules.year("2027", MAY_ALL);
        Rules.CountyRules r = Rules.countyRules(y, "510104", json("{\"closes\":\"2027-04-10T18:00:00+08:00\"}"));
        Rules.ExamYear effective = y.effective(List.of(r));
        assertEquals(y.opens(), effective.opens());
        assertEquals(Instant.parse("2027-04-10T10:00:00Z"), effective.closes());
        assertTrue(effective.isOpen(OPEN));
        assertTrue(!effective.isOpen(Instant.parse("2027-04-12T02:00:00Z")), "closed early in this county");
        assertEquals(
                Set.of("exam.closed"),
                keys(Rules.check(
                        reg("李雷", id("510104", "20111203", "123"), "13800138000", Map.of("1", List.of("5101040001"))),
                        effective,
                        plans(),
                        Instant.parse("2027-04-12T02:00:00Z"))));
        Rules.Invalid wider = assertThrows(
                Rules.Invalid.class,
                () -> Rules.countyRules(
                        y,
                        "510104",
                        json("{\"opens\":\"2027-03-01T08:00:00+08:00\",\"closes\":\"2027-05-01T08:00:00+08:00\"}")));
        assertEquals(Set.of("exam.outsideWindow"), keys(wider.problems));
        assertEquals(
                List.of("opens", "closes"),
                wider.problems.stream().map(Rules.Problem::field).toList());
        // rules the province no longer allows stop counting
        Rules.ExamYear locked = Rules.year("2027", YEAR_JSON);
        assertEquals(locked.closes(), locked.effective(List.of(r)).closes());
    }

    @Test
    void aCountysFieldsAreRequiredAtItsSchools() throws Exception {
        Rules.ExamYear y = Rules.year("2027", MAY_ALL);
        Rules.CountyRules r = Rules.countyRules(y, "510104", json(HUKOU));
        assertEquals(r, Rules.countyRules("2027.510104", r.toJson()));
        Rules.ExamYear effective = y.effective(List.of(r));
        String li = id("510104", "20111203", "123");
        Map<String, List<String>> prefs = Map.of("1", List.of("5101040001"));
        List<Rules.Problem> missing = Rules.check(reg("李雷", li, "13800138000", prefs), effective, plans(), OPEN);
        assertEquals(List.of(new Rules.Problem("extra.hukou", "exam.fieldRequired")), missing);
        assertEquals(
                Set.of("exam.fieldPattern"),
                keys(Rules.check(
                        new Rules.Registration("2027", "李雷", li, "13800138000", prefs, Map.of("hukou", "成都")),
                        effective,
                        plans(),
                        OPEN)));
        assertEquals(
                Set.of("exam.unknownField"),
                keys(Rules.check(
                        new Rules.Registration(
                                "2027", "李雷", li, "13800138000", prefs, Map.of("hukou", "510104", "x", "1")),
                        effective,
                        plans(),
                        OPEN)));
        assertEquals(
                List.of(),
                Rules.check(
                        new Rules.Registration("2027", "李雷", li, "13800138000", prefs, Map.of("hukou", "510104")),
                        effective,
                        plans(),
                        OPEN));
        // the province's year without the county's rules asks for nothing extra
        assertEquals(List.of(), Rules.check(reg("李雷", li, "13800138000", prefs), y, plans(), OPEN));
    }

    @Test
    void badFieldsAreNamed() {
        Rules.ExamYear y = Rules.year("2027", MAY_ALL);
        for (String[] c : new String[][] {
            {"{\"fields\":[{\"code\":\"name\",\"label\":{\"zh-CN\":\"x\",\"en\":\"x\"}}]}", "exam.badFieldCode"},
            {"{\"fields\":[{\"code\":\"a\",\"label\":{\"en\":\"x\"}}]}", "exam.badFieldLabel"},
            {"{\"fields\":[{\"code\":\"a\",\"label\":{\"zh-CN\":\"甲\"},\"pattern\":\"[\"}]}", "exam.badFieldPattern"},
            {"{\"fields\":\"x\"}", "exam.badFields"},
        }) {
            Rules.Invalid e = assertThrows(Rules.Invalid.class, () -> Rules.countyRules(y, "510104", json(c[0])), c[0]);
            assertEquals(c[1], e.problems.get(0).key(), c[0]);
        }
    }
}
