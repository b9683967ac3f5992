package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;

/**
 * What the levels above set for their subtree, inherited down locked: the province's exam years, a county's rules
 * (a narrower window, fields of its own) and its plans (招生计划: a high school's name and quota per batch), among
 * which its schools' students choose. The API and the console both change them here.
 */
final class Inherited {

    private Inherited() {}

    /**
     * Sets an exam year (at the province).
     *
     * @throws Rules.Invalid a bad year, name, window, batch, rule or field (nothing changed)
     * @throws LockedException the level above holds the key locked
     */
    static Rules.ExamYear setYear(Inheritance inheritance, ExamStore store, String year, JsonNode body)
            throws LockedException {
        Rules.ExamYear y = Rules.year(year, body);
        change(inheritance, store, ExamTopics.YEARS, year, y.toJson());
        return y;
    }

    /**
     * Sets the plan of a high school, checked against the exam year.
     *
     * @throws Rules.Invalid a bad school code, name or quota (nothing changed)
     * @throws LockedException the level above holds the key locked
     */
    static Rules.Plan setPlan(
            Inheritance inheritance, ExamStore store, Rules.ExamYear year, String school, String county, JsonNode body)
            throws LockedException {
        Rules.Plan p = Rules.plan(year, school, county, body);
        change(inheritance, store, ExamTopics.PLANS, Rules.Plan.key(year.year(), school), p.toJson());
        return p;
    }

    /**
     * Removes the plan of a high school (nothing happens where there was none).
     *
     * @throws Rules.Invalid a bad year or school code
     * @throws LockedException the level above holds the key locked
     */
    static void removePlan(Inheritance inheritance, ExamStore store, String year, String school)
            throws LockedException {
        if (year == null || school == null || !Rules.SCHOOL_CODE.matcher(school).matches()) {
            throw new Rules.Invalid("school", "exam.badSchoolCode");
        }
        change(inheritance, store, ExamTopics.PLANS, Rules.Plan.key(year, school), null);
    }

    /**
     * Publishes a county's rules for its subtree (a window inside the province's, fields of its own), checked
     * against the year as the levels above leave it to this county: the province's, with the rules of the counties
     * above (a county under a prefecture).
     *
     * @throws Rules.NotAllowed what the province's year does not let counties do
     * @throws Rules.Invalid bad input (nothing changed)
     * @throws LockedException the level above holds the key locked
     */
    static Rules.CountyRules setCountyRules(
            Inheritance inheritance, ExamStore store, String county, String year, JsonNode body)
            throws LockedException {
        Rules.ExamYear above = store.provinceYear(year)
                .orElseThrow(() -> new Rules.Invalid("year", "exam.unknownYear"))
                .effective(store.countyRules(year).stream()
                        .filter(r -> !r.county().equals(county))
                        .toList());
        Rules.CountyRules r = Rules.countyRules(above, county, body);
        change(inheritance, store, ExamTopics.COUNTY_RULES, Rules.CountyRules.key(year, county), r.toJson());
        return r;
    }

    /** Withdraws a county's rules for its subtree (its schools fall back to the year as the levels above leave it). */
    static void removeCountyRules(Inheritance inheritance, ExamStore store, String county, String year)
            throws LockedException {
        change(inheritance, store, ExamTopics.COUNTY_RULES, Rules.CountyRules.key(year, county), null);
    }

    private static void change(Inheritance inheritance, ExamStore store, String topic, String key, String value)
            throws LockedException {
        try {
            inheritance.change(topic, List.of(new Inheritance.Change(key, value, value == null ? null : Mode.LOCKED)));
        } finally {
            store.changed();
        }
    }
}
