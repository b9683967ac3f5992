package org.edufed.plugin.exam.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.derby.jdbc.EmbeddedDataSource;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.federation.Provenance;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.storage.Storage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Import jobs on an embedded Derby with the plugin's own migrations: a job stopped in the middle (the node
 * stops) resumes at the next start from the first row it had not counted, and ends with every good row stored
 * once; a row whose progress cannot be counted is not stored either.
 */
class ExamImportsTest {

    static final int GOOD = Integer.getInteger("exam.imports.rows", 120);

    EmbeddedDataSource ds;
    Storage storage;
    ExamStore store;
    FieldEncryption fields;
    NodeIdentity node;

    @SuppressWarnings("unchecked")
    static <T> T fake(Class<T> type, java.lang.reflect.InvocationHandler h) {
        return (T) Proxy.newProxyInstance(ExamImportsTest.class.getClassLoader(), new Class<?>[] {type}, h);
    }

    static Object none(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class || type == long.class) {
            return type == int.class ? (Object) 0 : (Object) 0L;
        }
        if (type == Optional.class) {
            return Optional.empty();
        }
        if (type == List.class) {
            return List.of();
        }
        return null;
    }

    @BeforeEach
    void setUp() throws Exception {
        ds = new EmbeddedDataSource();
        ds.setDatabaseName("memory:exam-imports-" + System.nanoTime());
        ds.setCreateDatabase("create");
        DataSource source = ds;
        storage = fake(Storage.class, (p, m, a) -> switch (m.getName()) {
            case "dataSource" -> source;
            case "migrate" -> migrate(source);
            case "inTransaction", "inSharedTransaction" -> inTransaction(source, (Storage.TransactionalWork<?>) a[0]);
            default -> none(m.getReturnType());
        });
        NodeRef province = new NodeRef("province", "510000", "省");
        Inheritance.Item year = new Inheritance.Item(
                ExamTopics.YEARS,
                "2027",
                Rules.year(
                                "2027",
                                RulesTest.YEAR_JSON
                                        .replace(
                                                "2027-04-01T08:00:00+08:00",
                                                Instant.now()
                                                        .minus(Duration.ofHours(1))
                                                        .toString())
                                        .replace(
                                                "2027-04-20T18:00:00+08:00",
                                                Instant.now()
                                                        .plus(Duration.ofDays(1))
                                                        .toString()))
                        .toJson(),
                new Provenance(province, Mode.LOCKED, null),
                1);
        List<Inheritance.Item> plans = RulesTest.plans().values().stream()
                .map(p -> new Inheritance.Item(
                        ExamTopics.PLANS,
                        Rules.Plan.key(p.year(), p.school()),
                        p.toJson(),
                        new Provenance(province, Mode.LOCKED, null),
                        1))
                .toList();
        Inheritance inheritance = fake(Inheritance.class, (p, m, a) -> {
            if (m.getName().equals("effective") && a.length == 1) {
                return ExamTopics.YEARS.equals(a[0])
                        ? List.of(year)
                        : ExamTopics.PLANS.equals(a[0]) ? plans : List.of();
            }
            if (m.getName().equals("effective") && a.length == 2) {
                return ExamTopics.YEARS.equals(a[0]) && "2027".equals(a[1]) ? Optional.of(year) : Optional.empty();
            }
            return none(m.getReturnType());
        });
        fields = fake(FieldEncryption.class, (p, m, a) -> switch (m.getName()) {
            case "encrypt" -> "enc:" + a[0];
            case "decrypt" -> ((String) a[0]).substring(4);
            case "blindIndex" -> "idx:" + a[0];
            default -> none(m.getReturnType());
        });
        node = fake(NodeIdentity.class, (p, m, a) -> switch (m.getName()) {
            case "code" -> "2151010001";
            case "level" -> Level.SCHOOL;
            default -> none(m.getReturnType());
        });
        store = new ExamStore(
                storage,
                fake(Upward.class, (p, m, a) -> none(m.getReturnType())),
                inheritance,
                fields,
                node,
                fake(AuditLog.class, (p, m, a) -> none(m.getReturnType())));
    }

    @AfterEach
    void tearDown() {
        try {
            ds.setCreateDatabase(null);
            ds.setConnectionAttributes("drop=true");
            ds.getConnection().close();
        } catch (SQLException e) {
            // dropped
        }
    }

    static Object migrate(DataSource ds) throws SQLException, IOException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String v : List.of("V1.sql", "V2.sql", "V3.sql", "V4.derby.sql", "V5.derby.sql", "V6.sql")) {
                try (InputStream in =
                        ExamStore.class.getClassLoader().getResourceAsStream("org/edufed/plugin/exam/db/" + v)) {
                    String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^--.*$", "");
                    for (String s : sql.split(";")) {
                        if (!s.isBlank()) {
                            st.execute(s);
                        }
                    }
                }
            }
        }
        return 6;
    }

    static Object inTransaction(DataSource ds, Storage.TransactionalWork<?> work) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                Object out = work.run(c);
                c.commit();
                return out;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** A file of {@link #GOOD} good rows, each fifth followed by a row with a bad ID number. */
    static byte[] file() {
        StringBuilder csv = new StringBuilder("姓名,身份证号,监护人电话,志愿\n");
        for (int i = 0; i < GOOD; i++) {
            String seq = String.format("%03d", i % 1000);
            String day = String.format("2012%02d%02d", 1 + (i / 1000), 1 + (i % 28));
            // unique per row: the birth date (month, day) and the sequence
            csv.append("李雷,").append(RulesTest.id("510104", day, seq)).append(",13800138000,1:5101040001\n");
            if (i % 5 == 0) {
                csv.append("韩梅梅,110105194912310021,13800138000,1:5101040001\n");
            }
        }
        return csv.toString().getBytes(StandardCharsets.UTF_8);
    }

    int count(String sql) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Registration ids are UUIDs of version 7: later ones sort after earlier ones, none alike. */
    @Test
    void registrationIdsAreTimeOrdered() throws Exception {
        java.util.Set<String> seen = new java.util.HashSet<>();
        String previous = ExamStore.newId();
        for (int i = 0; i < 5; i++) {
            Thread.sleep(2);
            String id = ExamStore.newId();
            java.util.UUID uuid = java.util.UUID.fromString(id);
            assertEquals(7, uuid.version(), id);
            assertEquals(2, uuid.variant(), id);
            assertTrue(id.matches("[0-9a-f-]{36}"), id);
            assertTrue(id.compareTo(previous) > 0, previous + " then " + id);
            previous = id;
        }
        for (int i = 0; i < 10_000; i++) {
            assertTrue(seen.add(ExamStore.newId()));
        }
    }

    /** The values of a year's extra fields are kept encrypted like the ID number and phone, and read back. */
    @Test
    void extraFieldsAreKeptEncrypted() throws Exception {
        String id = store.register(new Rules.Registration(
                "2027",
                "李雷",
                RulesTest.id("510104", "20120101", "001"),
                "13800138000",
                java.util.Map.of("1", List.of("5101040001")),
                java.util.Map.of("hukou", "510104", "address", "锦江区红星路")));
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT extra_fields FROM exam_registration")) {
            ResultSet rs = ps.executeQuery();
            rs.next();
            assertTrue(rs.getString(1).startsWith("enc:{"), "through the node's field encryption");
        }
        ExamStore.Mine mine = store.mine(id).orElseThrow();
        assertEquals("锦江区红星路", mine.extra().path("address").asText());
        assertEquals("510104", mine.extra().path("hukou").asText());
        // a row written before extra fields were encrypted still reads
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE exam_registration SET extra_fields = ?")) {
            ps.setString(1, "{\"hukou\":\"510105\"}");
            ps.executeUpdate();
        }
        assertEquals(
                "510105", store.mine(id).orElseThrow().extra().path("hukou").asText());
    }

    /**
     * Extra fields the year marks personal travel with their codes beside the values: masked where registrations
     * are listed, in full for a personal view or an export with the permission; rows without the codes read as
     * before.
     */
    @Test
    void personalExtraFieldsAreMaskedUnlessShownInFull() {
        String stored = "enc:{\"hukou\":\"510104\",\"address\":\"锦江区红星路\",\"@personal\":[\"address\"]}";
        com.fasterxml.jackson.databind.JsonNode masked = store.extra(stored, false);
        assertEquals("锦****路", masked.path("address").asText(), masked.toString());
        assertEquals("510104", masked.path("hukou").asText());
        assertTrue(!masked.has(ExamStore.PERSONAL_CODES), "the codes are not shown");
        com.fasterxml.jackson.databind.JsonNode full = store.extra(stored, true);
        assertEquals("锦江区红星路", full.path("address").asText());
        assertTrue(!full.has(ExamStore.PERSONAL_CODES));
        assertEquals(
                "锦江区红星路",
                store.extra("{\"address\":\"锦江区红星路\"}", false).path("address").asText(),
                "a row from before the flag");
    }

    /**
     * An export is written as the registrations are read, personal data in full only with the permission, and
     * audited with its count; the console's copy stops at its limit and says so.
     */
    @Test
    void exportsStreamTheRowsAndAuditThem() throws Exception {
        for (int i = 0; i < 5; i++) {
            store.register(new Rules.Registration(
                    "2027",
                    "李雷" + "甲乙丙丁戊".charAt(i),
                    RulesTest.id("510104", "20120101", "00" + i),
                    "13800138000",
                    java.util.Map.of("1", List.of("5101040001")),
                    null));
        }
        List<String> audited = new java.util.ArrayList<>();
        AuditLog audit = fake(AuditLog.class, (p, m, a) -> {
            if (m.getName().equals("record")) {
                audited.add(((AuditLog.Event) a[0]).detail());
            }
            return null;
        });
        for (boolean personal : new boolean[] {true, false}) {
            org.edufed.kernel.api.security.AccountService accounts =
                    fake(org.edufed.kernel.api.security.AccountService.class, (p, m, a) -> switch (m.getName()) {
                        case "isPermitted" -> personal || !ExamResource.PERSONAL.equals(a[1]);
                        case "scope" -> personal || !ExamResource.PERSONAL.equals(a[1])
                                ? org.edufed.kernel.api.security.Scope.ALL
                                : org.edufed.kernel.api.security.Scope.NONE;
                        default -> none(m.getReturnType());
                    });
            ExamExports exports = new ExamExports(store, node, accounts, fields, audit);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            ExamExports.Written w = exports.registrations("clerk", "2027", java.util.Locale.SIMPLIFIED_CHINESE)
                    .writeTo(out, Integer.MAX_VALUE);
            assertEquals(new ExamExports.Written(5, personal ? 5 : 0, true), w);
            String csv = out.toString(StandardCharsets.UTF_8);
            assertEquals(6, csv.split("\r\n").length, csv);
            assertEquals(personal, csv.contains(RulesTest.id("510104", "20120101", "003")), csv);
            assertEquals(personal, csv.contains("13800138000"), csv);
        }
        assertEquals(List.of("5 rows, personal data in full for 5 rows", "5 rows, personal data masked"), audited);
        // the console's copy, cut at its limit
        ExamExports exports = new ExamExports(
                store,
                node,
                fake(org.edufed.kernel.api.security.AccountService.class, (p, m, a) -> switch (m.getName()) {
                    case "isPermitted" -> true;
                    case "scope" -> org.edufed.kernel.api.security.Scope.ALL;
                    default -> none(m.getReturnType());
                }),
                fields,
                audit);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        assertEquals(
                new ExamExports.Written(2, 2, false),
                exports.registrations("clerk", "2027", java.util.Locale.ENGLISH).writeTo(out, 2));
        assertEquals(3, out.toString(StandardCharsets.UTF_8).split("\r\n").length);
        assertEquals("2 rows (cut at the console's limit), personal data in full for 2 rows", audited.get(2));
    }

    @Test
    void aJobStoppedInTheMiddleResumesWithoutLossOrDouble() throws Exception {
        ExamImports first = new ExamImports(storage, store, fakeFields(), fake(AuditLog.class, (p, m, a) -> null));
        ExamImports.Job job = first.start("2027", file());
        int total = GOOD + GOOD / 5;
        assertEquals(total, job.total());
        // the node stops while the job runs
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (first.job(job.id()).orElseThrow().done() < 20 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        first.deactivate();
        ExamImports.Job stopped = first.job(job.id()).orElseThrow();
        assertEquals(ExamImports.RUNNING, stopped.state(), "stopped in the middle");
        assertTrue(stopped.done() < total, "stopped in the middle: " + stopped.done());
        assertEquals(stopped.accepted(), count("SELECT COUNT(*) FROM exam_registration"), "counted = stored");
        // the next start resumes it
        ExamImports second = new ExamImports(storage, store, fakeFields(), fake(AuditLog.class, (p, m, a) -> null));
        long t0 = System.nanoTime();
        ExamImports.Job done = second.await(job.id(), 120_000);
        second.deactivate();
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                "exam import resumed: %d rows in %.1f s (%.0f rows/s)%n",
                total - stopped.done(), seconds, (total - stopped.done()) / seconds);
        assertEquals(ExamImports.DONE, done.state());
        assertEquals(total, done.done());
        assertEquals(GOOD, done.accepted());
        assertEquals(GOOD / 5, done.refused());
        assertEquals(GOOD, count("SELECT COUNT(*) FROM exam_registration"));
        assertTrue(
                done.problems().stream().flatMap(e -> e.problems().stream()).allMatch(p -> p.key()
                        .equals("exam.badIdNumber")),
                "no row refused as a duplicate of itself");
        assertEquals(0, count("SELECT COUNT(*) FROM exam_import WHERE file_cipher IS NOT NULL"), "file dropped");
        // the year's jobs list it, with its counts
        List<ExamImports.Job> jobs = second.jobs("2027", 10);
        assertEquals(List.of(job.id()), jobs.stream().map(ExamImports.Job::id).toList());
        assertEquals(GOOD, jobs.get(0).accepted());
        assertEquals(ExamImports.DONE, jobs.get(0).state());
        assertTrue(second.jobs("2028", 10).isEmpty());
    }

    @Test
    void aRowWhoseProgressCannotBeCountedIsNotStored() throws Exception {
        Rules.Registration r = new Rules.Registration(
                "2027", "李雷", RulesTest.id("510104", "20111203", "123"), "13800138000", java.util.Map.of());
        assertThrows(
                SQLException.class,
                () -> store.register(r, null, c -> {
                    throw new SQLException("advanced meanwhile");
                }));
        assertEquals(0, count("SELECT COUNT(*) FROM exam_registration"));
    }

    FieldEncryption fakeFields() {
        return fake(FieldEncryption.class, (p, m, a) -> switch (m.getName()) {
            case "encrypt" -> "enc:" + a[0];
            case "decrypt" -> ((String) a[0]).substring(4);
            default -> none(m.getReturnType());
        });
    }
}
