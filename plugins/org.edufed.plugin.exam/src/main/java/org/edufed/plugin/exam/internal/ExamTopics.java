package org.edufed.plugin.exam.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.federation.OwnRecords;
import org.edufed.kernel.api.federation.Topic;
import org.edufed.kernel.api.federation.Upward;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The topics the exam syncs, as its descriptor declares them (the kernel refuses any other). */
final class ExamTopics {

    /** Exam years, set at the province (locked): window, batches, eligibility, tie rule. */
    static final String YEARS = "exam.years";
    /** A county's plans: the high schools that admit its students and their quotas per batch. */
    static final String PLANS = "exam.plans";
    /**
     * A county's rules for its subtree ({@code <year>.<county>}): a narrower window and extra fields, where the
     * province's exam year allows them.
     */
    static final String COUNTY_RULES = "exam.county-rules";
    /** Decisions of the county and the province on a registration, down to its school. */
    static final String DECISIONS = "exam.decisions";
    /** Admission results, down to the student's school and to the admitting high school. */
    static final String RESULTS = "exam.results";
    /** Registrations, from the school up to the county and the province. */
    static final String REGISTRATIONS = "exam.registrations";
    /** The outcome of a county's admission run (counts per high school and batch), up to the province. */
    static final String ADMISSIONS = "exam.admissions";
    /** The county's reviews, up to the province. */
    static final String REVIEWS = "exam.reviews";

    private ExamTopics() {}

    @Component(service = Topic.class)
    public static final class Years implements Topic {
        @Override
        public String name() {
            return YEARS;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public void validate(String key, String value) {
            Rules.year(key, value);
        }

        @Override
        public String description() {
            return "中考报名：考试年度（报名时间、批次与志愿数、报名条件），省级设定";
        }
    }

    @Component(service = Topic.class)
    public static final class Plans implements Topic {
        @Override
        public String name() {
            return PLANS;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public void validate(String key, String value) {
            if (!key.matches("20[0-9]{2}\\.[0-9]{10}")) {
                throw new IllegalArgumentException("exam.badSchoolCode");
            }
            Rules.plan(key, value);
        }

        @Override
        public String description() {
            return "中考报名：招生计划（高中学校与各批次计划数），区县设定";
        }
    }

    @Component(service = Topic.class)
    public static final class CountyRules implements Topic {
        @Override
        public String name() {
            return COUNTY_RULES;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public void validate(String key, String value) {
            Rules.countyRules(key, value);
        }

        @Override
        public String description() {
            return "中考报名：区县报名规则（缩短的报名时间、附加字段），在省级允许的范围内";
        }
    }

    @Component(service = Topic.class)
    public static final class Decisions implements Topic {
        @Override
        public String name() {
            return DECISIONS;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        /** Keyed {@code <school>.<registration>.<level>}: a decision travels only toward its school. */
        @Override
        public boolean addressed() {
            return true;
        }

        @Override
        public void validate(String key, String value) {
            if (Review.Decision.parse(value) == null) {
                throw new IllegalArgumentException("exam.badDecision");
            }
        }

        @Override
        public String description() {
            return "中考报名：区县与省级审核结果（下发到学校）";
        }
    }

    /**
     * Admission results: one item keyed {@code <school>.<registration>} for the student's school and one keyed
     * {@code <high school>.<school>.<registration>} for the admitting high school; each travels only toward the
     * school its key names.
     */
    @Component(service = Topic.class)
    public static final class Results implements Topic {
        @Override
        public String name() {
            return RESULTS;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public boolean addressed() {
            return true;
        }

        @Override
        public void validate(String key, String value) {
            if (!key.matches("[0-9]{6,10}(\\.[0-9]{6,10})?\\.[0-9a-f-]{36}")) {
                throw new IllegalArgumentException("exam.badBody");
            }
        }

        @Override
        public String description() {
            return "中考报名：录取结果（下发到考生所在学校与录取学校）";
        }
    }

    /** Registrations: ID number and phone encrypted at rest at every level; the province never gets the phone. */
    @Component(service = Topic.class)
    public static final class Registrations implements Topic {
        private final ExamStore store;

        @Activate
        public Registrations(@Reference ExamStore store) {
            this.store = store;
        }

        @Override
        public String name() {
            return REGISTRATIONS;
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public Set<String> sensitiveFields() {
            return Set.of("idNumber", "guardianPhone", "extra");
        }

        @Override
        public Map<String, Set<Level>> fieldLevels() {
            return Map.of("guardianPhone", Set.of(Level.SCHOOL, Level.COUNTY));
        }

        @Override
        public void received(Connection connection, List<Upward.Record> records) throws SQLException {
            store.received(connection, records);
        }

        /**
         * The registrations made at this node are their own records: the exchange keeps no copy of each (a tenth
         * of a school's CPU while its students registered) and reads them from their rows when they go up.
         */
        @Override
        public OwnRecords ownRecords() {
            return own;
        }

        private final OwnRecords own = new OwnRecords() {
            @Override
            public Map<String, Held> get(Collection<String> localIds) throws SQLException {
                return store.held(localIds);
            }

            @Override
            public List<Held> newest(int limit) throws SQLException {
                return store.newestHeld(limit);
            }

            @Override
            public Map<String, Long> versions() throws SQLException {
                return store.heldVersions();
            }

            @Override
            public int count() throws SQLException {
                return store.heldCount();
            }
        };

        @Override
        public String description() {
            return "中考报名：报名信息（学校 → 区县 → 省级）";
        }
    }

    @Component(service = Topic.class)
    public static final class Reviews implements Topic {
        private final ExamStore store;

        @Activate
        public Reviews(@Reference ExamStore store) {
            this.store = store;
        }

        @Override
        public String name() {
            return REVIEWS;
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public void received(Connection connection, List<Upward.Record> records) throws SQLException {
            store.reviewsReceived(connection, records);
        }

        @Override
        public String description() {
            return "中考报名：区县审核意见（报省级）";
        }
    }

    @Component(service = Topic.class)
    public static final class Admissions implements Topic {
        private final ExamStore store;

        @Activate
        public Admissions(@Reference ExamStore store) {
            this.store = store;
        }

        @Override
        public String name() {
            return ADMISSIONS;
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public void received(Connection connection, List<Upward.Record> records) throws SQLException {
            store.admissionsReceived(connection, records);
        }

        @Override
        public String description() {
            return "中考报名：区县录取结果汇总（各高中、各批次录取人数，报省级）";
        }
    }
}
