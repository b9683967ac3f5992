package org.edufed.connector.exchange.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.federation.OwnRecords;
import org.edufed.kernel.api.federation.Topic;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.core.internal.audit.AuditLogImpl;
import org.edufed.kernel.core.internal.node.FieldKeys;
import org.edufed.kernel.core.internal.storage.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Records going up three levels, as the push route and the parent's endpoint do it, over real databases:
 * exactly once despite resent batches, newest version kept, origins outside the sender's subtree refused,
 * origins not yet known retried.
 */
class UpwardTest {

    @TempDir
    Path tmp;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    record Node(TestDatabases.TestStorage storage, FederationStore store, UpwardComponent upward, String code) {}

    private Node node(Dialect d, Level level, String code, Topic... extra) throws Exception {
        TestDatabases.TestStorage storage = TestDatabases.open(d, tmp);
        FederationStore store = new FederationStore(storage);
        Topics topics = new Topics();
        topics.add(new Topics.ReportsTopic());
        for (Topic t : extra) {
            topics.add(t);
        }
        return new Node(
                storage,
                store,
                new UpwardComponent(
                        store,
                        new InheritanceTest.Identity(level, code),
                        topics,
                        audit(storage),
                        new FieldKeys(tmp.resolve("keys-" + code))),
                code);
    }

    /** A county and one of its schools, enrolled there; closing it closes both databases. */
    record Pair(Node county, Node school) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            try (var a = county.storage();
                    var b = school.storage()) {
                // both closed, the second even when the first fails
            }
        }
    }

    private Pair pair(Dialect d) throws Exception {
        return pair(d, List.of(), List.of());
    }

    private Pair pair(Dialect d, Topic atCounty, Topic atSchool) throws Exception {
        return pair(d, List.of(atCounty), List.of(atSchool));
    }

    private Pair pair(Dialect d, List<Topic> atCounty, List<Topic> atSchool) throws Exception {
        Pair pair = new Pair(
                node(d, Level.COUNTY, "510104", atCounty.toArray(new Topic[0])),
                node(d, Level.SCHOOL, "2151010001", atSchool.toArray(new Topic[0])));
        try {
            enrol(pair.county(), pair.school(), "school");
        } catch (Exception e) {
            pair.close();
            throw e;
        }
        return pair;
    }

    private static AuditLogImpl audit(TestDatabases.TestStorage storage) throws java.sql.SQLException {
        return new AuditLogImpl("test", storage, 180);
    }

    private static void enrol(Node parent, Node child, String level) throws Exception {
        parent.storage().inTransaction(c -> {
            parent.store().putChild(c, new NodeRef(level, child.code(), "test"), null, "key", "SM3withSM2");
            return null;
        });
    }

    /** One push from child to parent; returns the parent's answer. */
    private static JsonNode push(Node child, Node parent) throws Exception {
        List<UpwardComponent.Item> batch = child.upward().pending(UpwardComponent.BATCH);
        JsonNode answer = parent.upward()
                .accept(
                        parent.store().child(child.code()).orElseThrow(),
                        child.upward().toJson(batch, Level.COUNTY));
        child.upward().settle(answer, batch);
        return answer;
    }

    private static void report(Node node, String id, long version, String text) throws Exception {
        node.storage().inTransaction(c -> {
            node.upward().enqueue(c, "reports", id, version, "{\"text\":\"" + text + "\"}", false);
            return null;
        });
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void recordsReachTheProvinceExactlyOnce(Dialect d) throws Exception {
        Node province = node(d, Level.PROVINCE, "510000");
        Node county = node(d, Level.COUNTY, "510104");
        Node school = node(d, Level.SCHOOL, "2151010001");
        try (var a = province.storage();
                var b = county.storage();
                var c = school.storage()) {
            enrol(province, county, "county");
            enrol(county, school, "school");
            for (int i = 0; i < 5; i++) {
                report(school, "r" + i, 1, "报告" + i);
            }
            // the county's answer is lost: the school sends the same batch again
            List<UpwardComponent.Item> batch = school.upward().pending(100);
            county.upward()
                    .accept(
                            county.store().child(school.code()).orElseThrow(),
                            school.upward().toJson(batch, Level.COUNTY));
            JsonNode again = push(school, county);
            for (JsonNode r : again.path("results")) {
                assertEquals("duplicate", r.path("status").asText());
            }
            assertEquals(0, school.upward().queue().pending());
            assertEquals(5, county.upward().records("reports", 100).size());

            // the province does not know the school yet (no heartbeat from the county): retry, nothing lost
            JsonNode early = push(county, province);
            assertEquals("retry", early.path("results").get(0).path("status").asText());
            assertEquals(5, county.upward().queue().pending());
            // the county's row read for a push, then its heartbeat tells of the school before the push is checked:
            // the school is in the county's subtree as it is now, not "elsewhere" (was refused, dead-lettered)
            FederationStore.ChildRow before =
                    province.store().child(county.code()).orElseThrow();
            province.store()
                    .recordHeartbeat(
                            county.code(),
                            "test",
                            "[{\"node\":{\"level\":\"school\",\"code\":\"2151010001\",\"name\":\"t\"},\"status\":\"active\",\"children\":[]}]");
            List<UpwardComponent.Item> batch2 = county.upward().pending(UpwardComponent.BATCH);
            JsonNode raced = province.upward().accept(before, county.upward().toJson(batch2, Level.PROVINCE));
            for (JsonNode r : raced.path("results")) {
                assertEquals("accepted", r.path("status").asText(), raced.toString());
            }
            county.upward().settle(raced, batch2);
            assertEquals(0, county.upward().queue().pending());
            List<Upward.Record> atProvince = province.upward().records("reports", 100);
            assertEquals(5, atProvince.size());
            assertTrue(atProvince.stream()
                    .allMatch(
                            r -> r.origin().equals("2151010001") && r.globalId().startsWith("2151010001:")));

            // a newer version replaces, an older one does not
            report(school, "r0", 2, "新版本");
            report(school, "r1", 0, "旧版本");
            push(school, county);
            push(county, province);
            assertEquals(5, province.upward().records("reports", 100).size());
            Upward.Record r0 = province.upward().records("reports", 100).stream()
                    .filter(r -> r.globalId().endsWith(":r0"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(2, r0.version());
            assertTrue(r0.payload().contains("新版本"));
            assertEquals(0, province.upward().queue().pending(), "a province has no parent: nothing queued");
        }
    }

    /** A push item as a child sends it. */
    private static void item(com.fasterxml.jackson.databind.node.ArrayNode items, long id, String g, long v, String t) {
        items.addObject()
                .put("id", id)
                .put("topic", "reports")
                .put("globalId", "510104:" + g)
                .put("origin", "510104")
                .put("version", v)
                .put("deleted", false)
                .put("payload", "{\"text\":\"" + t + "\"}");
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aPushMixingNewHeldAndRepeatedRecordsKeepsTheNewestOfEach(Dialect d) throws Exception {
        Node province = node(d, Level.PROVINCE, "510000");
        try (var a = province.storage()) {
            enrol(province, new Node(null, null, null, "510104"), "county");
            FederationStore.ChildRow child = province.store().child("510104").orElseThrow();
            com.fasterxml.jackson.databind.node.ObjectNode first = Json.object();
            item(first.putArray("items"), 1, "held", 2, "v2");
            province.upward().accept(child, first);
            com.fasterxml.jackson.databind.node.ObjectNode mixed = Json.object();
            com.fasterxml.jackson.databind.node.ArrayNode items = mixed.putArray("items");
            item(items, 2, "new1", 1, "n1");
            item(items, 3, "held", 1, "older"); // older than the one held: not kept
            item(items, 4, "twice", 1, "t1");
            item(items, 5, "new2", 1, "n2");
            item(items, 6, "twice", 3, "t3"); // the same record again, newer: it counts
            item(items, 7, "held", 5, "v5"); // newer than the one held: replaces it
            item(items, 8, "twice", 2, "t2"); // older than the one just kept
            JsonNode answer = province.upward().accept(child, mixed);
            for (JsonNode r : answer.path("results")) {
                assertEquals("accepted", r.path("status").asText());
            }
            java.util.Map<String, Upward.Record> held = new java.util.HashMap<>();
            for (Upward.Record r : province.upward().records("reports", 100)) {
                held.put(r.globalId(), r);
            }
            assertEquals(4, held.size());
            assertEquals(5, held.get("510104:held").version());
            assertTrue(held.get("510104:held").payload().contains("v5"));
            assertEquals(3, held.get("510104:twice").version());
            assertTrue(held.get("510104:twice").payload().contains("t3"));
            assertEquals(1, held.get("510104:new1").version());
            assertEquals(1, held.get("510104:new2").version());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void recordsFromOutsideTheSendersSubtreeAreRefusedAndDeadLettered(Dialect d) throws Exception {
        Node county = node(d, Level.COUNTY, "510104");
        Node school = node(d, Level.SCHOOL, "2151010001");
        Node other = node(d, Level.SCHOOL, "2151010002");
        try (var a = county.storage();
                var b = school.storage();
                var c = other.storage()) {
            enrol(county, school, "school");
            enrol(county, other, "school");
            // the school forwards a record it holds that claims to come from its sibling
            school.storage().inTransaction(conn -> {
                try (var ps = conn.prepareStatement("INSERT INTO edufed_fed_record (topic, global_id, origin, version,"
                        + " deleted, payload, received_at) VALUES ('reports', '2151010002:x', '2151010002', 1, FALSE,"
                        + " '{}', CURRENT_TIMESTAMP)")) {
                    ps.executeUpdate();
                }
                school.upward()
                        .forward(
                                conn,
                                new UpwardComponent.Item(0, "reports", "2151010002:x", "2151010002", 1, false, "{}"));
                return null;
            });
            JsonNode answer = push(school, county);
            assertEquals(
                    "rejected", answer.path("results").get(0).path("status").asText());
            assertEquals(0, county.upward().records("reports", 10).size());
            assertEquals(1, school.upward().queue().dead());
            long deadId = school.upward().deadLetters().get(0).path("id").asLong();
            assertTrue(school.upward().retry(deadId));
            assertEquals(1, school.upward().queue().pending());
            assertEquals(0, school.upward().queue().dead());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void badRecordsAreRefusedBeforeAnythingIsWritten(Dialect d) throws Exception {
        Node school = node(d, Level.SCHOOL, "2151010001");
        try (var a = school.storage()) {
            assertThrows(IllegalArgumentException.class, () -> report(school, "", 1, "x"));
            assertThrows(IllegalArgumentException.class, () -> school.storage().inTransaction(c -> {
                school.upward().enqueue(c, "Bad Topic", "id", 1, "{}", false);
                return null;
            }));
            assertEquals(0, school.upward().queue().pending());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void topicsMustBeDeclaredAndAParentWithoutTheTopicKeepsRecordsWaiting(Dialect d) throws Exception {
        try (Pair pair = pair(d)) {
            Node county = pair.county();
            Node school = pair.school();
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> school.storage().inTransaction(c -> {
                        school.upward().enqueue(c, "exam.registrations", "id1", 1, "{}", false);
                        return null;
                    }));
            assertTrue(e.getMessage().contains("not declared"), e.getMessage());
            // the school has a plugin's topic the county does not know yet
            Topics withExam = new Topics();
            withExam.add(new Topics.ReportsTopic());
            withExam.add(new Topic() {
                @Override
                public String name() {
                    return "exam.registrations";
                }

                @Override
                public Direction direction() {
                    return Direction.UP;
                }
            });
            UpwardComponent schoolWithExam = new UpwardComponent(
                    school.store(),
                    new InheritanceTest.Identity(Level.SCHOOL, "2151010001"),
                    withExam,
                    audit(school.storage()),
                    new FieldKeys(tmp.resolve("keys-2151010001")));
            school.storage().inTransaction(c -> {
                schoolWithExam.enqueue(c, "exam.registrations", "id1", 1, "{}", false);
                return null;
            });
            JsonNode answer = push(school, county);
            assertEquals("retry", answer.path("results").get(0).path("status").asText());
            assertEquals(1, school.upward().queue().pending(), "nothing lost while the county lacks the topic");
        }
    }

    /** An upward topic with a sensitive field that keeps what it receives, as a plugin's view would. */
    static final class PersonalTopic implements Topic {
        final List<Upward.Record> received = new java.util.ArrayList<>();

        @Override
        public String name() {
            return "exam.registrations";
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public java.util.Set<String> sensitiveFields() {
            return java.util.Set.of("idNumber");
        }

        @Override
        public void received(java.sql.Connection c, List<Upward.Record> records) {
            received.addAll(records);
        }
    }

    private static String stored(Node node, String table) throws Exception {
        try (var c = node.storage().dataSource().getConnection();
                var ps = c.prepareStatement("SELECT payload FROM " + table + " WHERE topic = 'exam.registrations'");
                var rs = ps.executeQuery()) {
            StringBuilder b = new StringBuilder();
            while (rs.next()) {
                b.append(rs.getString(1));
            }
            return b.toString();
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void sensitiveFieldsAreEncryptedWhereverStoredAndReceiversSeeEachRecordOnce(Dialect d) throws Exception {
        PersonalTopic atCounty = new PersonalTopic();
        try (Pair pair = pair(d, atCounty, new PersonalTopic())) {
            Node county = pair.county();
            Node school = pair.school();
            String id = "11010519491231002X";
            school.storage().inTransaction(c -> {
                school.upward()
                        .enqueue(
                                c,
                                "exam.registrations",
                                "r1",
                                1,
                                "{\"name\":\"李雷\",\"idNumber\":\"" + id + "\"}",
                                false);
                return null;
            });
            // at rest at the school: its record encrypted; its outbox row holds no copy of it
            assertTrue(stored(school, "edufed_fed_record").contains("李雷"));
            assertFalse(stored(school, "edufed_fed_record").contains(id));
            assertEquals("null", stored(school, "edufed_fed_outbox"));
            // in the signed envelope: in clear, for the parent to encrypt under its own key
            List<UpwardComponent.Item> batch = school.upward().pending(10);
            assertTrue(school.upward().toJson(batch, Level.COUNTY).toString().contains(id));
            push(school, county);
            assertFalse(stored(county, "edufed_fed_record").contains(id));
            assertFalse(stored(county, "edufed_fed_outbox").contains(id));
            // the receiving topic saw the record once, encrypted under the county's key
            assertEquals(1, atCounty.received.size());
            Upward.Record r = atCounty.received.get(0);
            assertEquals("2151010001:r1", r.globalId());
            String cipher = Json.parse(r.payload()).path("idNumber").asText();
            assertFalse(cipher.contains(id));
            assertEquals(
                    id,
                    Json.parse(county.upward().open("exam.registrations", r.payload()))
                            .path("idNumber")
                            .asText());
            // the same batch again (an answer lost): a duplicate, not handed over twice
            county.upward()
                    .accept(
                            county.store().child(school.code()).orElseThrow(),
                            school.upward().toJson(batch, Level.COUNTY));
            assertEquals(1, atCounty.received.size());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aPayloadItsCallerSealedIsKeptAsGivenAndGoesUpOpenedAndPlaintextIsRefused(Dialect d) throws Exception {
        PersonalTopic atCounty = new PersonalTopic();
        try (Pair pair = pair(d, atCounty, new PersonalTopic())) {
            Node county = pair.county();
            Node school = pair.school();
            String id = "11010519491231002X";
            String topic = "exam.registrations";
            // the caller encrypted the ID number with this node's field key, as it keeps it in its own row
            String sealed = school.upward().seal(topic, "{\"name\":\"韩梅梅\",\"idNumber\":\"" + id + "\"}");
            assertFalse(sealed.contains(id));
            school.storage().inTransaction(c -> {
                school.upward().enqueueSealed(c, topic, List.of(new Upward.Entry("r2", 1, sealed, false)));
                return null;
            });
            assertEquals(sealed, stored(school, "edufed_fed_record"), "kept as given, not encrypted again");
            assertTrue(school.upward()
                    .toJson(school.upward().pending(10), Level.COUNTY)
                    .toString()
                    .contains(id));
            push(school, county);
            assertEquals(1, atCounty.received.size());
            assertEquals(
                    id,
                    Json.parse(county.upward()
                                    .open(topic, atCounty.received.get(0).payload()))
                            .path("idNumber")
                            .asText());
            assertFalse(stored(county, "edufed_fed_record").contains(id));

            // a sensitive field in clear: refused, nothing queued (its value never in the message)
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> school.storage().inTransaction(c -> {
                        school.upward()
                                .enqueueSealed(
                                        c,
                                        topic,
                                        List.of(new Upward.Entry(
                                                "r3", 1, "{\"name\":\"李雷\",\"idNumber\":\"" + id + "\"}", false)));
                        return null;
                    }));
            assertTrue(e.getMessage().contains("idNumber") && !e.getMessage().contains(id), e.getMessage());
            assertEquals(0, count(school, "SELECT COUNT(*) FROM edufed_fed_outbox"));
            assertEquals(1, count(school, "SELECT COUNT(*) FROM edufed_fed_record"));

            // sealed by another node's key (the same key id, so it has the shape): it cannot be opened to go up, so
            // it becomes a dead letter and the record queued after it goes up all the same
            String foreign = county.upward().seal(topic, "{\"idNumber\":\"" + id + "\"}");
            school.storage().inTransaction(c -> {
                school.upward()
                        .enqueueSealed(
                                c,
                                topic,
                                List.of(
                                        new Upward.Entry("r4", 1, foreign, false),
                                        new Upward.Entry("r5", 1, sealed, false)));
                return null;
            });
            push(school, county);
            assertEquals(0, count(school, "SELECT COUNT(*) FROM edufed_fed_outbox"));
            assertEquals(1, count(school, "SELECT COUNT(*) FROM edufed_fed_dead"));
            assertEquals(2, atCounty.received.size());
            assertEquals("2151010001:r5", atCounty.received.get(1).globalId());
        }
    }

    /** {@link PersonalTopic} whose plugin keeps the records made at its node in its own rows (here: a map). */
    static final class OwnTopic implements Topic {
        final PersonalTopic personal = new PersonalTopic();
        final java.util.Map<String, OwnRecords.Held> rows = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public String name() {
            return personal.name();
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public java.util.Set<String> sensitiveFields() {
            return personal.sensitiveFields();
        }

        @Override
        public OwnRecords ownRecords() {
            return new OwnRecords() {
                @Override
                public java.util.Map<String, Held> get(java.util.Collection<String> ids) {
                    java.util.Map<String, Held> out = new java.util.HashMap<>();
                    ids.forEach(
                            id -> java.util.Optional.ofNullable(rows.get(id)).ifPresent(h -> out.put(id, h)));
                    return out;
                }

                @Override
                public List<Held> newest(int limit) {
                    return rows.values().stream()
                            .sorted(java.util.Comparator.comparing(Held::changedAt)
                                    .reversed())
                            .limit(limit)
                            .toList();
                }

                @Override
                public java.util.Map<String, Long> versions() {
                    java.util.Map<String, Long> out = new java.util.HashMap<>();
                    rows.forEach((id, h) -> out.put(id, h.version()));
                    return out;
                }

                @Override
                public int count() {
                    return rows.size();
                }
            };
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void recordsItsPluginKeepsAreReadFromItNotCopiedAndGoUpNewestOnceWithTheirDeletions(Dialect d) throws Exception {
        PersonalTopic atCounty = new PersonalTopic();
        OwnTopic own = new OwnTopic();
        try (Pair pair = pair(d, atCounty, own)) {
            Node county = pair.county();
            Node school = pair.school();
            String topic = "exam.registrations";
            String id = "11010519491231002X";
            java.time.Instant t0 = java.time.Instant.parse("2027-03-01T08:00:00Z");
            String v1 = school.upward().seal(topic, "{\"name\":\"李雷\",\"idNumber\":\"" + id + "\"}");
            own.rows.put("r1", new OwnRecords.Held("r1", 1, v1, t0));
            school.storage().inTransaction(c -> {
                school.upward().enqueueOwn(c, topic, List.of(new Upward.Change("r1", 1, false)));
                return null;
            });
            // corrected before it went up: the plugin's row holds version 2
            String v2 = school.upward().seal(topic, "{\"name\":\"李雷雷\",\"idNumber\":\"" + id + "\"}");
            own.rows.put("r1", new OwnRecords.Held("r1", 2, v2, t0.plusSeconds(60)));
            school.storage().inTransaction(c -> {
                school.upward().enqueueOwn(c, topic, List.of(new Upward.Change("r1", 2, false)));
                return null;
            });
            assertEquals(0, count(school, "SELECT COUNT(*) FROM edufed_fed_record"), "no copy kept by the exchange");
            assertEquals(2, count(school, "SELECT COUNT(*) FROM edufed_fed_outbox"));
            assertEquals("nullnull", stored(school, "edufed_fed_outbox"));
            // both rows go up as the record is now (opened inside the envelope); the parent keeps it once
            List<UpwardComponent.Item> batch = school.upward().pending(10);
            assertEquals(
                    List.of(2L, 2L),
                    batch.stream().map(UpwardComponent.Item::version).toList());
            assertTrue(school.upward().toJson(batch, Level.COUNTY).toString().contains(id));
            push(school, county);
            assertEquals(0, count(school, "SELECT COUNT(*) FROM edufed_fed_outbox"));
            assertEquals(1, atCounty.received.size());
            assertEquals(2, atCounty.received.get(0).version());
            assertTrue(county.upward()
                    .open(topic, atCounty.received.get(0).payload())
                    .contains("李雷雷"));
            // held, listed and counted at the school from the plugin's rows
            assertEquals(1, school.upward().heldCount(topic));
            assertEquals(
                    List.of("2151010001:r1@2"),
                    school.upward().held(topic).stream()
                            .map(i -> i.globalId() + "@" + i.version())
                            .toList());
            List<Upward.Record> listed = school.upward().records(topic, 10);
            assertEquals(1, listed.size());
            assertEquals(v2, listed.get(0).payload());
            assertEquals(
                    0,
                    school.upward()
                            .records(topic, org.edufed.kernel.api.security.Scope.NONE, 10)
                            .size());

            // withdrawn: the row is gone, the exchange keeps the deletion and sends it up
            own.rows.remove("r1");
            school.storage().inTransaction(c -> {
                school.upward().enqueueOwn(c, topic, List.of(new Upward.Change("r1", 3, true)));
                return null;
            });
            assertEquals(1, count(school, "SELECT COUNT(*) FROM edufed_fed_record WHERE deleted = TRUE"));
            push(school, county);
            assertEquals(2, atCounty.received.size());
            assertTrue(atCounty.received.get(1).deleted());
            assertEquals(3, atCounty.received.get(1).version());
            assertEquals(1, school.upward().heldCount(topic), "the deletion, as a record kept here");

            // a record kept here before its plugin kept its own (an upgraded node): counted and listed once
            own.rows.put("r7", new OwnRecords.Held("r7", 2, v2, t0.plusSeconds(120)));
            school.storage().inTransaction(c -> {
                school.upward().enqueueSealed(c, topic, List.of(new Upward.Entry("r7", 1, v1, false)));
                return null;
            });
            assertEquals(2, school.upward().heldCount(topic));
            assertEquals(
                    List.of("2151010001:r1@3", "2151010001:r7@2"),
                    school.upward().held(topic).stream()
                            .map(i -> i.globalId() + "@" + i.version())
                            .toList());
            assertEquals(2, school.upward().records(topic, 10).size());
            assertEquals(v2, school.upward().records(topic, 1).get(0).payload());

            // a change of a record neither its plugin nor the exchange holds: a dead letter, the rest goes on
            school.storage().inTransaction(c -> {
                school.upward().enqueueOwn(c, topic, List.of(new Upward.Change("r9", 1, false)));
                return null;
            });
            push(school, county);
            assertEquals(1, count(school, "SELECT COUNT(*) FROM edufed_fed_dead"));
            assertEquals(0, count(school, "SELECT COUNT(*) FROM edufed_fed_outbox"));

            // only a topic whose plugin keeps its records takes changes alone
            assertThrows(IllegalArgumentException.class, () -> school.storage().inTransaction(c -> {
                school.upward().enqueueOwn(c, "reports", List.of(new Upward.Change("x", 1, false)));
                return null;
            }));

            // the housekeeping gives a copy's space back once the plugin holds its record as new (r7); a deletion
            // (r1), a copy newer than the plugin's row (r6), one the plugin does not hold (r8) and another node's
            // record stay
            own.rows.put("r6", new OwnRecords.Held("r6", 1, v1, t0.plusSeconds(180)));
            copy(school, topic, "2151010001:r6", 2, v2);
            copy(school, topic, "2151010001:r8", 1, v1);
            copy(school, topic, "2151010002:r7", 1, v1);
            assertEquals(5, count(school, "SELECT COUNT(*) FROM edufed_fed_record"));
            int listedBefore = school.upward().held(topic).size();
            assertEquals(1, school.upward().dropOwnCopies(1), "a copy at a time: every page looked at");
            assertEquals(
                    "2151010001:r1 2151010001:r6 2151010001:r8 2151010002:r7",
                    String.join(" ", strings(school, "SELECT global_id FROM edufed_fed_record ORDER BY global_id")));
            assertEquals(listedBefore, school.upward().held(topic).size(), "nothing held is lost");
            assertEquals(0, school.upward().dropOwnCopies(), "once gone, nothing more");
            assertEquals(0, count(school, "SELECT COUNT(*) FROM edufed_fed_outbox"), "and nothing queued");
        }
    }

    /** A record kept by the exchange as a node before the upgrade kept it. */
    private static void copy(Node node, String topic, String globalId, long version, String payload) throws Exception {
        node.storage().inTransaction(c -> {
            try (var ps = c.prepareStatement("INSERT INTO edufed_fed_record (topic, global_id, origin, version,"
                    + " deleted, payload, received_at) VALUES (?, ?, ?, ?, FALSE, ?, CURRENT_TIMESTAMP)")) {
                ps.setString(1, topic);
                ps.setString(2, globalId);
                ps.setString(3, globalId.substring(0, globalId.indexOf(':')));
                ps.setLong(4, version);
                ps.setString(5, payload);
                ps.executeUpdate();
            }
            return null;
        });
    }

    private static List<String> strings(Node node, String sql) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (var c = node.storage().dataSource().getConnection();
                var ps = c.prepareStatement(sql);
                var rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static int count(Node node, String sql) throws Exception {
        try (var c = node.storage().dataSource().getConnection();
                var ps = c.prepareStatement(sql);
                var rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void anOutboxRowSendsItsRecordAsHeldWhenItGoesUp(Dialect d) throws Exception {
        try (Pair pair = pair(d)) {
            Node county = pair.county();
            Node school = pair.school();
            report(school, "r1", 1, "第一版");
            // corrected before the first version went up: both rows wait, each names the record, not a copy of it
            report(school, "r1", 2, "第二版");
            assertEquals(2, school.upward().queue().pending());
            assertEquals(0, count(school, "SELECT COUNT(*) FROM edufed_fed_outbox WHERE payload IS NOT NULL"));
            List<UpwardComponent.Item> batch = school.upward().pending(10);
            assertEquals(2, batch.size());
            for (UpwardComponent.Item i : batch) {
                assertEquals(2, i.version(), "the record as held now, its newest version");
                assertTrue(i.payload().contains("第二版"));
            }
            JsonNode answer = push(school, county);
            for (JsonNode r : answer.path("results")) {
                assertEquals("accepted", r.path("status").asText());
            }
            assertEquals(0, school.upward().queue().pending());
            List<Upward.Record> held = county.upward().records("reports", 10);
            assertEquals(1, held.size());
            assertEquals(2, held.get(0).version());
            assertTrue(held.get(0).payload().contains("第二版"));
            // the county passes it on the same way: its outbox row names the record it keeps
            assertEquals(1, county.upward().queue().pending());
            assertEquals(0, count(county, "SELECT COUNT(*) FROM edufed_fed_outbox WHERE payload IS NOT NULL"));
            List<UpwardComponent.Item> up = county.upward().pending(10);
            assertEquals(1, up.size());
            assertEquals("2151010001:r1", up.get(0).globalId());
            assertEquals(2, up.get(0).version());
            assertTrue(up.get(0).payload().contains("第二版"));
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void rowsQueuedWithTheirPayloadGoUpWithItAndRowsWithoutARecordBecomeDeadLetters(Dialect d) throws Exception {
        Node school = node(d, Level.SCHOOL, "2151010001");
        try (var a = school.storage()) {
            report(school, "r1", 3, "现在的");
            long next = count(school, "SELECT MAX(id) FROM edufed_fed_outbox") + 1L;
            school.storage().inTransaction(c -> {
                try (var ps = c.prepareStatement("INSERT INTO edufed_fed_outbox (id, topic, global_id, origin, version,"
                        + " deleted, payload, created_at) VALUES (?, 'reports', ?, '2151010001', ?, FALSE, ?,"
                        + " CURRENT_TIMESTAMP)")) {
                    // queued before outbox rows stopped carrying payloads: goes up as it was queued
                    ps.setLong(1, next);
                    ps.setString(2, "2151010001:r1");
                    ps.setLong(3, 2);
                    ps.setString(4, "{\"text\":\"排队时的\"}");
                    ps.addBatch();
                    // names a record not held (one a hand in the database deleted): cannot go up
                    ps.setLong(1, next + 1);
                    ps.setString(2, "2151010001:gone");
                    ps.setLong(3, 1);
                    ps.setString(4, null);
                    ps.addBatch();
                    ps.executeBatch();
                }
                return null;
            });
            assertEquals(3, school.upward().queue().pending());
            List<UpwardComponent.Item> batch = school.upward().pending(10);
            assertEquals(2, batch.size());
            assertEquals(3, batch.get(0).version());
            assertTrue(batch.get(0).payload().contains("现在的"));
            assertEquals(next, batch.get(1).id());
            assertEquals(2, batch.get(1).version());
            assertTrue(batch.get(1).payload().contains("排队时的"));
            // the orphan left the outbox for the dead letters, where an operator sees it
            assertEquals(2, school.upward().queue().pending());
            List<com.fasterxml.jackson.databind.node.ObjectNode> dead =
                    school.upward().deadLetters();
            assertEquals(1, dead.size());
            assertEquals("2151010001:gone", dead.get(0).path("globalId").asText());
            assertEquals(
                    "record no longer held at this node",
                    dead.get(0).path("reason").asText());
        }
    }
}
