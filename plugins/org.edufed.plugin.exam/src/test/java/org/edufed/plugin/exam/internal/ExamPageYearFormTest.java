package org.edufed.plugin.exam.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.edufed.kernel.api.web.ConsolePage;
import org.junit.jupiter.api.Test;

/**
 * The province's year form as the API takes it: over the year as set now, so that what the form does not show
 * (extra fields, batches past its rows) is kept, each row keeping its batch's code, times read as Beijing time.
 */
class ExamPageYearFormTest {

    /** A year with five batches and an extra field, as the API may set it. */
    private static final String FIVE = "{\"name\":\"2027年中考\",\"opens\":\"2027-04-01T08:00:00+08:00\","
            + "\"closes\":\"2027-04-20T18:00:00+08:00\",\"tieRule\":\"earlier-birth\",\"batches\":["
            + "{\"code\":\"a\",\"name\":\"提前批\",\"choices\":1},{\"code\":\"1\",\"name\":\"第一批次\",\"choices\":2},"
            + "{\"code\":\"2\",\"name\":\"第二批次\",\"choices\":2},{\"code\":\"3\",\"name\":\"第三批次\",\"choices\":1},"
            + "{\"code\":\"4\",\"name\":\"第四批次\",\"choices\":1}],\"fields\":[{\"code\":\"hukou\","
            + "\"label\":{\"zh-CN\":\"户籍所在地\",\"en\":\"Household\"},\"pattern\":\"[0-9]{6}\"}]}";

    /** The form as the page fills it in for the year, then as typed. */
    private static Map<String, String> form(Rules.ExamYear y) {
        Map<String, String> f = new HashMap<>(Map.of(
                "action",
                "year",
                "year",
                y.year(),
                "name",
                y.name(),
                "opens",
                "2027-04-01T08:00",
                "closes",
                "2027-04-20T18:00",
                "tieRule",
                y.tieRule()));
        for (int i = 1; i <= y.batches().size(); i++) {
            f.put("batch_name_" + i, y.batches().get(i - 1).name());
            f.put("batch_choices_" + i, String.valueOf(y.batches().get(i - 1).choices()));
        }
        return f;
    }

    private static ConsolePage.PageContext context(Map<String, String> params) {
        return new ConsolePage.PageContext() {
            @Override
            public Locale locale() {
                return Locale.SIMPLIFIED_CHINESE;
            }

            @Override
            public String username() {
                return "admin";
            }

            @Override
            public String parameter(String name) {
                return params.get(name);
            }

            @Override
            public String escape(String text) {
                return text;
            }

            @Override
            public String csrfField() {
                return "";
            }
        };
    }

    private static Rules.ExamYear saved(Map<String, String> form, Rules.ExamYear now) {
        return Rules.year(now.year(), ExamPage.yearBody(context(form), Optional.of(now)));
    }

    @Test
    void aYearSavedUnchangedFromTheFormIsTheYearAsItWas() {
        Rules.ExamYear now = Rules.year("2027", FIVE);
        assertEquals(now, saved(form(now), now), "five batches (more than the form's four rows), field kept");
    }

    @Test
    void rowsKeepTheirBatchesCodesAndTimesAreBeijingTime() {
        Rules.ExamYear now = Rules.year("2027", FIVE);
        Map<String, String> f = form(now);
        f.put("batch_name_2", "第一批次（普高）");
        f.put("batch_choices_2", "3");
        f.remove("batch_name_5"); // the last batch removed
        f.put("closes", "2027-04-21T09:30");
        f.put("narrowWindow", "true");
        Rules.ExamYear y = saved(f, now);
        assertEquals(
                List.of("a", "1", "2", "3"),
                y.batches().stream().map(Rules.Batch::code).toList());
        assertEquals(new Rules.Batch("1", "第一批次（普高）", 3), y.batch("1"));
        assertEquals(Instant.parse("2027-04-21T01:30:00Z"), y.closes());
        assertTrue(y.countyMay().narrowWindow());
        assertFalse(y.countyMay().extraFields());
        assertEquals(
                List.of("hukou"), y.fields().stream().map(Rules.Field::code).toList());
    }

    @Test
    void aNewYearNumbersItsBatchesAndBadInputIsRefusedWithItsField() {
        Map<String, String> f = new HashMap<>(Map.of(
                "name", "2028年中考",
                "opens", "2028-04-01T08:00",
                "closes", "2028-04-20T18:00",
                "tieRule", "all-admitted",
                "batch_name_1", "第一批次",
                "batch_choices_1", "2",
                "batch_name_3", "第二批次",
                "batch_choices_3", "1"));
        Rules.ExamYear y = Rules.year("2028", ExamPage.yearBody(context(f), Optional.empty()));
        assertEquals(
                List.of("1", "3"), y.batches().stream().map(Rules.Batch::code).toList());
        assertEquals(null, y.birthFrom());

        f.put("batch_choices_3", "多");
        Rules.Invalid bad = assertThrows(
                Rules.Invalid.class, () -> Rules.year("2028", ExamPage.yearBody(context(f), Optional.empty())));
        assertEquals("batches", bad.problems.get(0).field());
        f.put("batch_choices_3", "1");
        f.put("opens", "明天");
        bad = assertThrows(
                Rules.Invalid.class, () -> Rules.year("2028", ExamPage.yearBody(context(f), Optional.empty())));
        assertEquals("opens", bad.problems.get(0).field());
    }
}
