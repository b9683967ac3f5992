package org.edufed.plugin.exam.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class AdmissionTest {

    static Rules.ExamYear year(String tieRule) {
        return Rules.year("2027", RulesTest.YEAR_JSON.replace("earlier-birth", tieRule));
    }

    /** Two high schools: 七中 takes 2 in batch 1; 树德 takes 1 in batch 1 and 1 in batch 2. */
    static Map<String, Rules.Plan> plans() {
        return Map.of(
                "2027.5101040001", new Rules.Plan("2027", "5101040001", "成都七中", "510104", Map.of("1", 2)),
                "2027.5101040002", new Rules.Plan("2027", "5101040002", "树德中学", "510104", Map.of("1", 1, "2", 1)));
    }

    static Admission.Candidate c(String id, String score, String birth, int registered, String... prefs) {
        Map<String, List<String>> p = new LinkedHashMap<>();
        for (String pref : prefs) {
            String[] parts = pref.split(":");
            p.put(parts[0], List.of(parts[1].split("\\|")));
        }
        return new Admission.Candidate(
                "2151010001:" + id,
                "考生" + id,
                "2151010001",
                new BigDecimal(score),
                LocalDate.parse(birth),
                Instant.parse("2027-04-01T00:00:00Z").plusSeconds(registered),
                p);
    }

    static Map<String, String> placed(List<Admission.Result> results) {
        return results.stream()
                .collect(Collectors.toMap(
                        r -> r.globalId().substring(11),
                        r -> r.batch() + "@" + r.highSchool().substring(8)));
    }

    @Test
    void higherScoresChooseFirstAndLowerOnesGoToTheirNextPreference() {
        List<Admission.Candidate> all = List.of(
                c("a", "690", "2011-05-01", 1, "1:5101040001|5101040002"),
                c("b", "700", "2011-05-01", 2, "1:5101040001|5101040002"),
                c("c", "680", "2011-05-01", 3, "1:5101040001|5101040002"),
                c("d", "670", "2011-05-01", 4, "1:5101040001|5101040002", "2:5101040002"),
                c("e", "660", "2011-05-01", 5, "1:5101040001", "2:5101040002"),
                c("f", "650", "2011-05-01", 6, "2:5101040002"));
        Map<String, String> p = placed(Admission.run(year("earlier-birth"), plans(), all));
        // b and a fill 七中, c goes to 树德 (its second choice), d and e find batch 1 full: e (higher than f) gets
        // 树德's one place in batch 2 before f; d named 树德 in batch 2 too and scores higher than e
        assertEquals("1@01", p.get("b"));
        assertEquals("1@01", p.get("a"));
        assertEquals("1@02", p.get("c"));
        assertEquals("2@02", p.get("d"));
        assertEquals(4, p.size(), p.toString());
    }

    @Test
    void tiesAtTheLastPlaceFollowTheYearsRule() {
        List<Admission.Candidate> all = List.of(
                c("a", "700", "2011-01-01", 1, "1:5101040002"),
                c("b", "650", "2011-06-01", 2, "1:5101040002"),
                c("c", "650", "2011-03-01", 3, "1:5101040002"));
        // 树德 has one place in batch 1: a takes it
        assertEquals(Map.of("a", "1@02"), placed(Admission.run(year("earlier-birth"), plans(), all)));
        List<Admission.Candidate> tied =
                List.of(c("b", "650", "2011-06-01", 2, "1:5101040002"), c("c", "650", "2011-03-01", 3, "1:5101040002"));
        assertEquals(Map.of("c", "1@02"), placed(Admission.run(year("earlier-birth"), plans(), tied)));
        assertEquals(Map.of("b", "1@02"), placed(Admission.run(year("earlier-registration"), plans(), tied)));
        assertEquals(Map.of("b", "1@02", "c", "1@02"), placed(Admission.run(year("all-admitted"), plans(), tied)));
    }

    @Test
    void theSameInputGivesTheSameResult() {
        List<Admission.Candidate> all = List.of(
                c("a", "650", "2011-01-01", 1, "1:5101040001|5101040002"),
                c("b", "650", "2011-01-01", 1, "1:5101040001|5101040002"),
                c("c", "650", "2011-01-01", 1, "1:5101040001|5101040002"),
                c("d", "650", "2011-01-01", 1, "1:5101040001|5101040002"));
        List<Admission.Result> first = Admission.run(year("earlier-birth"), plans(), all);
        assertEquals(
                first,
                Admission.run(year("earlier-birth"), plans(), List.of(all.get(3), all.get(1), all.get(0), all.get(2))));
        assertEquals(3, first.size());
    }
}
