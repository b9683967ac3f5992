package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;

/**
 * A county's plans (招生计划): a high school's name and quota per batch for an exam year, set at the county and
 * inherited down locked, so that its schools' students choose among them. The API and the console both change them
 * here.
 */
final class Plans {

    private Plans() {}

    /**
     * Sets the plan of a high school, checked against the exam year.
     *
     * @throws Rules.Invalid a bad school code, name or quota (nothing changed)
     * @throws LockedException the level above holds the key locked
     */
    static Rules.Plan set(
            Inheritance inheritance, ExamStore store, Rules.ExamYear year, String school, String county, JsonNode body)
            throws LockedException {
        Rules.Plan p = Rules.plan(year, school, county, body);
        change(inheritance, store, Rules.Plan.key(year.year(), school), p.toJson());
        return p;
    }

    /**
     * Removes the plan of a high school (nothing happens where there was none).
     *
     * @throws Rules.Invalid a bad year or school code
     * @throws LockedException the level above holds the key locked
     */
    static void remove(Inheritance inheritance, ExamStore store, String year, String school) throws LockedException {
        if (year == null || school == null || !Rules.SCHOOL_CODE.matcher(school).matches()) {
            throw new Rules.Invalid("school", "exam.badSchoolCode");
        }
        change(inheritance, store, Rules.Plan.key(year, school), null);
    }

    private static void change(Inheritance inheritance, ExamStore store, String key, String value)
            throws LockedException {
        try {
            inheritance.change(
                    ExamTopics.PLANS, List.of(new Inheritance.Change(key, value, value == null ? null : Mode.LOCKED)));
        } finally {
            store.changed();
        }
    }
}
