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
}
