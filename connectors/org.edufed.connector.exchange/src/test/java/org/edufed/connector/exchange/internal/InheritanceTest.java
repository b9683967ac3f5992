package org.edufed.connector.exchange.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.core.internal.audit.AuditLogImpl;
import org.edufed.kernel.core.internal.storage.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The inheritance engine over three databases standing for a province, a county and a school: what each
 * publishes on its feed is applied by the one below, as the pull route does, page by page with the watermark;
 * what each holds of its own goes up, as the push route does. Runs on Derby, and on PostgreSQL when one is
 * configured.
 */
class InheritanceTest {

    @TempDir
    Path tmp;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    /** A node of the test: its storage and the exchange's components over it (no HTTP). */
    record Node(
            TestDatabases.TestStorage storage,
            FederationStore store,
            FederationComponent federation,
            UpwardComponent upward,
            InheritanceComponent inheritance,
            SettingsComponent settings,
            Sync sync,
            String code) {}

    private Node node(Dialect dialect, Level level, String code, org.edufed.kernel.api.federation.Topic... extra)
            throws Exception {
        TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp);
        FederationStore store = new FederationStore(storage);
        Identity identity = new Identity(level, code);
        Topics topics = new Topics();
        for (org.edufed.kernel.api.federation.Topic t : extra) {
            topics.add(t);
        }
        topics.add(new Topics.SettingsTopic());
        topics.add(new Topics.OwnValuesTopic());
        topics.add(new Dictionaries.DivisionTopic());
        topics.add(new Dictionaries.SchoolTypeTopic());
        AuditLogImpl audit = new AuditLogImpl(level.id() + " " + code, storage, 180);
        FederationComponent federation = new FederationComponent(store, identity, null, audit);
        UpwardComponent upward = new UpwardComponent(
                store,
                identity,
                topics,
                audit,
                new org.edufed.kernel.core.internal.node.FieldKeys(tmp.resolve("keys-" + code)));
        InheritanceComponent inheritance = new InheritanceComponent(store, federation, upward, topics, identity, audit);
        Sync sync = new Sync(federation, inheritance, identity, null, upward, topics);
        return new Node(
                storage, store, federation, upward, inheritance, new SettingsComponent(inheritance), sync, code);
    }

    /** A province and a county (not enrolled: a test does that where it needs it); closing it closes both. */
    record Pair(Node province, Node county) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            try (var a = province.storage();
                    var b = county.storage()) {
                // both closed, the second even when the first fails
            }
        }
    }

    private Pair pair(Dialect dialect) throws Exception {
        return new Pair(node(dialect, Level.PROVINCE, "510000"), node(dialect, Level.COUNTY, "510104"));
    }

    /** Applies everything new on the parent's feed to the child, page by page, as the pull route does. */
    private static int pull(Node parent, Node child) throws Exception {
        int applied = 0;
        while (true) {
            long since = child.storage().inTransaction(c -> child.store().watermark(c, Sync.FEED));
            ObjectNode page = FeedPages.page(
                    parent.store(),
                    new Topics(),
                    Json.object(),
                    since,
                    3,
                    Level.parse(child.federation().tree().node().level()),
                    FeedPages.EVERYONE);
            applied += child.sync().apply(since, page);
            if (!page.path("more").asBoolean()) {
                return applied;
            }
        }
    }

    /** Enrolls the child at the parent (as the store records it) and tells the parent of its subtree. */
    private static void enrol(Node parent, Node child, String level) throws Exception {
        parent.storage().inTransaction(c -> {
            parent.store().putChild(c, new NodeRef(level, child.code(), "测试 " + child.code()), null, "k", "SM3withSM2");
            return null;
        });
        parent.store()
                .recordHeartbeat(
                        child.code(),
                        "test",
                        FederationComponent.childrenJson(
                                        child.federation().tree().children())
                                .toString());
    }

    /** Pushes the child's outbox to the parent, as the push route does. */
    private static void push(Node child, Node parent) throws Exception {
        List<UpwardComponent.Item> batch = child.upward().pending(UpwardComponent.BATCH);
        child.upward()
                .settle(
                        parent.upward()
                                .accept(
                                        parent.store().child(child.code()).orElseThrow(),
                                        child.upward().toJson(batch, Level.PROVINCE)),
                        batch);
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void lockedOverridableAndLocalAcrossThreeLevels(Dialect dialect) throws Exception {
        Node province = node(dialect, Level.PROVINCE, "510000");
        Node county = node(dialect, Level.COUNTY, "510104");
        Node school = node(dialect, Level.SCHOOL, "2151010001");
        try (var a = province.storage();
                var b = county.storage();
                var c = school.storage()) {
            province.settings().set("exam.year", "2027", Mode.LOCKED);
            province.settings().set("portal.theme", "蓝色", Mode.OVERRIDABLE);
            province.settings().set("province.note", "仅省级", Mode.LOCAL);
            pull(province, county);

            // a locked key cannot be overridden below
            LockedException locked = assertThrows(
                    LockedException.class, () -> county.settings().set("exam.year", "2030", Mode.OVERRIDABLE));
            assertEquals("510000", locked.lockedBy().setBy().code());
            county.settings().set("portal.theme", "绿色", Mode.OVERRIDABLE);
            county.settings().set("county.local", "本县", Mode.LOCAL);
            pull(county, school);

            EffectiveSetting year = school.settings().effective("exam.year").orElseThrow();
            assertEquals("2027", year.value());
            assertEquals(Mode.LOCKED, year.provenance().mode());
            assertEquals("510000", year.provenance().setBy().code());
            assertNull(year.provenance().overriddenBy());

            EffectiveSetting theme = school.settings().effective("portal.theme").orElseThrow();
            assertEquals("绿色", theme.value());
            assertEquals("510000", theme.provenance().setBy().code());
            assertEquals("510104", theme.provenance().overriddenBy().code());

            assertTrue(school.settings().effective("province.note").isEmpty());
            assertTrue(school.settings().effective("county.local").isEmpty());
            assertTrue(county.settings().effective("province.note").isEmpty());

            // the county drops its override: the school falls back to the province's value
            county.settings().remove("portal.theme");
            pull(county, school);
            EffectiveSetting back = school.settings().effective("portal.theme").orElseThrow();
            assertEquals("蓝色", back.value());
            assertNull(back.provenance().overriddenBy());

            // the province removes a setting: gone everywhere below (tombstones travel)
            province.settings().remove("exam.year");
            pull(province, county);
            pull(county, school);
            assertTrue(school.settings().effective("exam.year").isEmpty());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void applyingTheSameItemsTwiceChangesNothing(Dialect dialect) throws Exception {
        try (Pair pair = pair(dialect)) {
            Node province = pair.province();
            Node county = pair.county();
            province.settings().set("k.one", "1", Mode.OVERRIDABLE);
            ObjectNode page = FeedPages.page(
                    province.store(), new Topics(), Json.object(), 0, 100, Level.COUNTY, FeedPages.EVERYONE);
            assertEquals(1, county.sync().apply(0, page));
            assertEquals(0, county.sync().apply(0, page), "a page seen twice applies nothing the second time");
            county.storage().inTransaction(c -> {
                // and applying the same items again inside one transaction leaves the same state
                county.inheritance()
                        .applyFromParent(
                                c,
                                List.of(
                                        new InheritanceComponent.FeedItem(
                                                1,
                                                "settings",
                                                page.path("items").get(0).path("payload")),
                                        new InheritanceComponent.FeedItem(
                                                1,
                                                "settings",
                                                page.path("items").get(0).path("payload"))));
                return null;
            });
            assertEquals(1, county.settings().effective().size());
            assertEquals("1", county.settings().effective("k.one").orElseThrow().value());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aPageEndsOnceItsPayloadsReachItsCharacterBudgetAndTheNextGoesOn(Dialect dialect) throws Exception {
        try (Pair pair = pair(dialect)) {
            Node province = pair.province();
            Node county = pair.county();
            for (String k : List.of("big.a", "big.b", "big.c")) {
                province.settings().set(k, k.substring(4).repeat(3000), Mode.OVERRIDABLE);
            }
            // 5,000 characters: the first item is within, the second reaches it and is the last of the page
            ObjectNode first = FeedPages.page(
                    province.store(), new Topics(), Json.object(), 0, 100, 5000, Level.COUNTY, FeedPages.EVERYONE);
            assertEquals(2, first.path("items").size(), first.toString());
            assertTrue(first.path("more").asBoolean(), "a page cut by its characters says there is more");
            long next = first.path("next").asLong();
            assertEquals(first.path("items").get(1).path("seq").asLong(), next);
            assertEquals(2, county.sync().apply(0, first));
            ObjectNode second = FeedPages.page(
                    province.store(), new Topics(), Json.object(), next, 100, 5000, Level.COUNTY, FeedPages.EVERYONE);
            assertEquals(1, second.path("items").size(), second.toString());
            assertFalse(second.path("more").asBoolean());
            assertEquals(1, county.sync().apply(next, second));
            assertEquals(
                    "c".repeat(3000),
                    county.settings().effective("big.c").orElseThrow().value());
            // a single item larger than the budget still goes, alone
            ObjectNode alone = FeedPages.page(
                    province.store(), new Topics(), Json.object(), 0, 100, 10, Level.COUNTY, FeedPages.EVERYONE);
            assertEquals(1, alone.path("items").size());
            assertTrue(alone.path("more").asBoolean());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void refusesBadKeysValuesAndModes(Dialect dialect) throws Exception {
        Node province = node(dialect, Level.PROVINCE, "510000");
        try (var a = province.storage()) {
            assertEquals(
                    "setting.badKey",
                    assertThrows(IllegalArgumentException.class, () -> province.settings()
                                    .set("Bad Key", "x", Mode.LOCKED))
                            .getMessage());
            assertEquals(
                    "setting.badValue",
                    assertThrows(IllegalArgumentException.class, () -> province.settings()
                                    .set("ok.key", "x".repeat(4001), Mode.LOCKED))
                            .getMessage());
            assertEquals(
                    "setting.badMode",
                    assertThrows(IllegalArgumentException.class, () -> province.settings()
                                    .set("ok.key", "x", null))
                            .getMessage());
            assertTrue(province.settings().effective().isEmpty(), "nothing half-written");
            assertTrue(province.store().feed(0, 10).isEmpty(), "nothing published");
            assertEquals(
                    "item.badTopic",
                    assertThrows(IllegalArgumentException.class, () -> province.inheritance()
                                    .change("exam.years", List.of(new Inheritance.Change("k", "v", Mode.LOCKED))))
                            .getMessage());
            assertEquals(
                    "item.duplicateKey",
                    assertThrows(IllegalArgumentException.class, () -> province.settings()
                                    .setAll(List.of(
                                            new Inheritance.Change("a", "1", Mode.LOCKED),
                                            new Inheritance.Change("a", "2", Mode.LOCKED))))
                            .getMessage());
            assertEquals(
                    "dict.badValue",
                    assertThrows(IllegalArgumentException.class, () -> province.inheritance()
                                    .change(
                                            Dictionaries.DIVISION,
                                            List.of(new Inheritance.Change("510199", "{}", Mode.LOCKED))))
                            .getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aBatchOfUpdatesRemovalsAndNewKeysReachesTheLevelBelow(Dialect dialect) throws Exception {
        try (Pair pair = pair(dialect)) {
            Node province = pair.province();
            Node county = pair.county();
            List<Inheritance.Change> first = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                first.add(new Inheritance.Change(String.format("mix.k%02d", i), "v" + i, Mode.OVERRIDABLE));
            }
            assertEquals(50, province.settings().setAll(first));
            assertEquals(50, pull(province, county));
            List<Inheritance.Change> mixed = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                mixed.add(new Inheritance.Change(String.format("mix.k%02d", i), "new" + i, Mode.LOCKED));
            }
            for (int i = 10; i < 15; i++) {
                mixed.add(Inheritance.Change.remove(String.format("mix.k%02d", i)));
            }
            mixed.add(Inheritance.Change.remove("mix.zz")); // not there: no effect
            for (int i = 50; i < 55; i++) {
                mixed.add(new Inheritance.Change(String.format("mix.k%02d", i), "v" + i, Mode.OVERRIDABLE));
            }
            assertEquals(20, province.settings().setAll(mixed));
            assertEquals(20, pull(province, county));
            // two keys far apart: their range holds many more rows than the batch (looked up one by one)
            assertEquals(
                    2,
                    province.settings()
                            .setAll(List.of(
                                    new Inheritance.Change("mix.k00", "again", Mode.OVERRIDABLE),
                                    new Inheritance.Change("mix.k49", "again", Mode.OVERRIDABLE))));
            assertEquals(2, pull(province, county));
            for (Node n : List.of(province, county)) {
                assertEquals(50 - 5 + 5, n.settings().effective().size());
                assertEquals(
                        "again", n.settings().effective("mix.k00").orElseThrow().value());
                assertEquals(
                        "again", n.settings().effective("mix.k49").orElseThrow().value());
                assertEquals(
                        "new5", n.settings().effective("mix.k05").orElseThrow().value());
                assertEquals(
                        Mode.LOCKED,
                        n.settings()
                                .effective("mix.k05")
                                .orElseThrow()
                                .provenance()
                                .mode());
                assertTrue(n.settings().effective("mix.k12").isEmpty());
                assertEquals(
                        "v52", n.settings().effective("mix.k52").orElseThrow().value());
            }
            // the county overrides one it inherited, then the province locks it: the county's own value yields
            assertEquals(1, county.settings().setAll(List.of(new Inheritance.Change("mix.k20", "县", Mode.LOCAL))));
            assertEquals(
                    "县", county.settings().effective("mix.k20").orElseThrow().value());
            assertEquals(1, province.settings().setAll(List.of(new Inheritance.Change("mix.k20", "省", Mode.LOCKED))));
            pull(province, county);
            assertEquals(
                    "省", county.settings().effective("mix.k20").orElseThrow().value());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aFeedPageServedAsStoredTextIsTheSameJsonAndStillHidesFields(Dialect dialect) throws Exception {
        Node province = node(dialect, Level.PROVINCE, "510000");
        try (var a = province.storage()) {
            province.settings()
                    .setAll(List.of(
                            new Inheritance.Change("page.a", "值 \"a\"", Mode.OVERRIDABLE),
                            new Inheritance.Change("page.b", "b", Mode.LOCKED),
                            new Inheritance.Change("page.c", "{\"secret\":\"s\",\"open\":\"o\"}", Mode.LOCKED)));
            province.settings().remove("page.b");
            Topics topics = new Topics();
            topics.add(new Topics.SettingsTopic());
            for (int i = 0; i < 2; i++) {
                if (i == 1) { // the same topic, now hiding a field of its values from counties
                    topics = new Topics();
                    topics.add(new org.edufed.kernel.api.federation.Topic() {
                        @Override
                        public String name() {
                            return Inheritance.SETTINGS;
                        }

                        @Override
                        public Direction direction() {
                            return Direction.DOWN;
                        }

                        @Override
                        public java.util.Map<String, java.util.Set<Level>> fieldLevels() {
                            return java.util.Map.of("secret", java.util.Set.of(Level.PROVINCE));
                        }
                    });
                }
                ObjectNode plain = FeedPages.page(
                        province.store(), topics, Json.object(), 0, 10, Level.COUNTY, FeedPages.EVERYONE);
                ObjectNode served = FeedPages.serialisedPage(
                        province.store(), topics, Json.object(), 0, 10, Level.COUNTY, FeedPages.EVERYONE);
                assertEquals(Json.parse(Json.bytes(plain)), Json.parse(Json.bytes(served)));
                assertEquals(4, plain.path("items").size());
                assertEquals(i == 0, Json.text(served).contains("secret"));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void manyChangesAtOnceAreAllOrNothing(Dialect dialect) throws Exception {
        try (Pair pair = pair(dialect)) {
            Node province = pair.province();
            Node county = pair.county();
            List<Inheritance.Change> many = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                many.add(new Inheritance.Change("bulk.k" + i, "值" + i, i % 2 == 0 ? Mode.LOCKED : Mode.OVERRIDABLE));
            }
            assertEquals(1000, province.settings().setAll(many));
            assertEquals(1000, province.store().feedHead());
            assertEquals(1000, pull(province, county));
            assertEquals(1000, county.settings().effective().size());
            assertEquals(1000, county.store().feedHead(), "the county passes each item on once");
            // one locked key in a batch refuses the whole batch at the county
            LockedException e = assertThrows(LockedException.class, () -> county.settings()
                    .setAll(List.of(
                            new Inheritance.Change("bulk.k1", "县值", Mode.OVERRIDABLE),
                            new Inheritance.Change("bulk.k2", "县值", Mode.OVERRIDABLE))));
            assertEquals("bulk.k2", e.key());
            assertEquals(
                    "值1", county.settings().effective("bulk.k1").orElseThrow().value());
            assertEquals(1000, county.store().feedHead(), "nothing published");
            // removing values that are not there changes nothing
            assertEquals(0, county.settings().setAll(List.of(Inheritance.Change.remove("bulk.k1"))));
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void dictionariesAreSeededLockedAtTheProvinceAndReachTheSchool(Dialect dialect) throws Exception {
        Node province = node(dialect, Level.PROVINCE, "510000");
        Node county = node(dialect, Level.COUNTY, "510104");
        Node school = node(dialect, Level.SCHOOL, "2151010001");
        try (var a = province.storage();
                var b = county.storage();
                var c = school.storage()) {
            new Dictionaries(province.inheritance(), new Identity(Level.PROVINCE, "510000"));
            new Dictionaries(county.inheritance(), new Identity(Level.COUNTY, "510104"));
            int divisions =
                    province.inheritance().effective(Dictionaries.DIVISION).size();
            assertTrue(divisions >= 34, "every province-level division: " + divisions);
            assertTrue(county.inheritance().effective(Dictionaries.DIVISION).isEmpty(), "only the province seeds");
            // seeding again (the next start) adds nothing
            new Dictionaries(province.inheritance(), new Identity(Level.PROVINCE, "510000"));
            long head = province.store().feedHead();
            pull(province, county);
            pull(county, school);
            Inheritance.Item jinjiang = school.inheritance()
                    .effective(Dictionaries.DIVISION, "510104")
                    .orElseThrow();
            assertEquals("{\"name\":\"锦江区\"}", jinjiang.value());
            assertEquals(Mode.LOCKED, jinjiang.provenance().mode());
            assertEquals("510000", jinjiang.provenance().setBy().code());
            assertEquals(
                    "初级中学",
                    Json.parse(school.inheritance()
                                    .effective(Dictionaries.SCHOOL_TYPE, "311")
                                    .orElseThrow()
                                    .value())
                            .path("name")
                            .asText());
            assertEquals(head, province.store().feedHead());
            // a county adds an entry of its own for its subtree; it cannot rename the province's
            county.inheritance()
                    .change(
                            Dictionaries.DIVISION,
                            List.of(new Inheritance.Change("510199", "{\"name\":\"示范片区\"}", Mode.OVERRIDABLE)));
            assertThrows(LockedException.class, () -> county.inheritance()
                    .change(
                            Dictionaries.DIVISION,
                            List.of(new Inheritance.Change("510104", "{\"name\":\"改名\"}", Mode.OVERRIDABLE))));
            pull(county, school);
            assertEquals(
                    "510104",
                    school.inheritance()
                            .effective(Dictionaries.DIVISION, "510199")
                            .orElseThrow()
                            .provenance()
                            .setBy()
                            .code());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aPreviewShowsWhoAChangeWouldReachAndWhoseOwnValuesHideIt(Dialect dialect) throws Exception {
        Node province = node(dialect, Level.PROVINCE, "510000");
        Node county = node(dialect, Level.COUNTY, "510104");
        Node school = node(dialect, Level.SCHOOL, "2151010001");
        Node other = node(dialect, Level.SCHOOL, "2151010002");
        try (var a = province.storage();
                var b = county.storage();
                var c = school.storage();
                var d = other.storage()) {
            enrol(county, school, "school");
            enrol(county, other, "school");
            enrol(province, county, "county");
            province.settings().set("portal.theme", "蓝色", Mode.OVERRIDABLE);
            province.settings().set("school.motto", "", Mode.OVERRIDABLE);
            pull(province, county);
            pull(county, school);
            county.settings().set("portal.theme", "绿色", Mode.OVERRIDABLE); // hides it for the whole county
            school.settings().set("school.motto", "求是", Mode.LOCAL); // hides it for the school only
            push(school, county);
            push(county, province);

            Inheritance.Preview theme = province.inheritance().preview("settings", "portal.theme", Mode.OVERRIDABLE);
            assertEquals(3, theme.descendants());
            assertEquals(0, theme.reached(), theme.toString());
            assertTrue(
                    theme.nodes().stream()
                            .allMatch(r -> "510104".equals(r.hiddenBy().code())),
                    theme.toString());

            Inheritance.Preview motto = province.inheritance().preview("settings", "school.motto", Mode.OVERRIDABLE);
            assertEquals(2, motto.reached(), motto.toString());
            Inheritance.Reach atSchool = motto.nodes().stream()
                    .filter(r -> r.node().code().equals("2151010001"))
                    .findFirst()
                    .orElseThrow();
            assertEquals("2151010001", atSchool.hiddenBy().code());
            assertEquals(Mode.LOCAL, atSchool.ownMode());

            // locked, it reaches everybody and supersedes their own values
            Inheritance.Preview locked = province.inheritance().preview("settings", "portal.theme", Mode.LOCKED);
            assertEquals(3, locked.reached());
            assertEquals(
                    Mode.LOCAL,
                    province.inheritance().preview("settings", "x", Mode.LOCAL).mode());
            assertEquals(
                    0,
                    province.inheritance().preview("settings", "x", Mode.LOCAL).reached());

            // the county removes its override: the preview sees it once the record has gone up
            county.settings().remove("portal.theme");
            push(county, province);
            assertEquals(
                    3,
                    province.inheritance()
                            .preview("settings", "portal.theme", Mode.OVERRIDABLE)
                            .reached());
            // a key locked above cannot be previewed below: the change would be refused
            province.settings().set("exam.year", "2027", Mode.LOCKED);
            pull(province, county);
            assertThrows(LockedException.class, () -> county.inheritance()
                    .preview("settings", "exam.year", Mode.OVERRIDABLE));
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aReorderedOrGappedPageIsRefusedWholeAndACompactedFeedStillConverges(Dialect dialect) throws Exception {
        try (Pair pair = pair(dialect)) {
            Node province = pair.province();
            Node county = pair.county();
            for (int v = 1; v <= 3; v++) {
                province.settings().set("k.a", "a" + v, Mode.OVERRIDABLE);
                province.settings().set("k.b", "b" + v, Mode.OVERRIDABLE);
            }
            ObjectNode page = FeedPages.page(
                    province.store(), new Topics(), Json.object(), 0, 100, Level.COUNTY, FeedPages.EVERYONE);
            assertEquals(6, page.path("head").asLong());
            // reordered: seq 2 before seq 1
            ObjectNode reordered = page.deepCopy();
            com.fasterxml.jackson.databind.node.ArrayNode items = reordered.withArray("items");
            items.insert(0, items.remove(1));
            assertThrows(java.sql.SQLException.class, () -> county.sync().apply(0, reordered));
            // gapped: a page that starts after what the county has
            assertThrows(java.sql.SQLException.class, () -> county.sync().apply(2, page));
            assertTrue(county.settings().effective().isEmpty(), "nothing of a refused page is applied");

            assertEquals(4, province.store().compactFeed(), "superseded versions go");
            assertEquals(2, province.store().feed(0, 100).size());
            pull(province, county);
            assertEquals("a3", county.settings().effective("k.a").orElseThrow().value());
            assertEquals("b3", county.settings().effective("k.b").orElseThrow().value());
            SyncStatus status = county.sync().status();
            assertEquals(6, status.feed().watermark());
            assertEquals(0L, status.feed().lag());
            SyncStatus.TopicStatus settings = status.topics().stream()
                    .filter(t -> t.name().equals("settings"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(2, settings.applied());
            assertEquals(2, settings.records());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void reconciliationFindsWhatDiffersFromTheParentAndTheRepairConverges(Dialect dialect) throws Exception {
        try (Pair pair = pair(dialect)) {
            Node province = pair.province();
            Node county = pair.county();
            province.settings().set("k.a", "1", Mode.LOCKED);
            province.settings().set("k.b", "2", Mode.OVERRIDABLE);
            province.settings().set("k.c", "3", Mode.OVERRIDABLE);
            province.settings().set("k.local", "4", Mode.LOCAL);
            pull(province, county);
            county.settings().set("k.b", "县", Mode.OVERRIDABLE); // an override is not a difference
            Reconciler.Diff same = Reconciler.compare(
                    province.inheritance().downwardDigests("settings", Level.COUNTY),
                    county.inheritance().inheritedDigests("settings"));
            assertEquals(List.of(), same.keys());
            assertEquals(3, same.local());

            // the county lost one item and holds one the province never sent; the province changed one
            county.inheritance().forgetInherited("settings", List.of("k.a"));
            county.storage().inTransaction(c -> {
                try (var ps = c.prepareStatement(
                        "INSERT INTO edufed_item_inherited (topic, item_key, item_value,"
                                + " mode, set_level, set_code, set_name, version, updated_at)"
                                + " VALUES ('settings', 'k.stray', 'x', 'locked', 'province', '510000', 'p', 1, CURRENT_TIMESTAMP)")) {
                    ps.executeUpdate();
                }
                return null;
            });
            province.storage().inTransaction(c -> {
                try (var ps = c.prepareStatement(
                        "UPDATE edufed_item SET item_value = '30' WHERE topic = 'settings' AND item_key = 'k.c'")) {
                    ps.executeUpdate(); // changed behind the feed's back
                }
                return null;
            });
            Reconciler.Diff diff = Reconciler.compare(
                    province.inheritance().downwardDigests("settings", Level.COUNTY),
                    county.inheritance().inheritedDigests("settings"));
            assertEquals(1, diff.missing(), diff.toString());
            assertEquals(List.of("k.stray"), diff.extra());
            assertEquals(1, diff.different(), diff.toString());

            // the repair: extra items go, the feed is pulled again from the start
            county.inheritance().forgetInherited("settings", diff.extra());
            county.storage().inTransaction(c -> {
                county.store().setWatermark(c, Sync.FEED, 0);
                return null;
            });
            pull(province, county);
            Reconciler.Diff after = Reconciler.compare(
                    province.inheritance().downwardDigests("settings", Level.COUNTY),
                    county.inheritance().inheritedDigests("settings"));
            assertEquals(List.of("different:k.c"), after.keys(), "a change made outside the feed needs republishing");
            province.settings().set("k.c", "30", Mode.OVERRIDABLE);
            pull(province, county);
            assertEquals(
                    List.of(),
                    Reconciler.compare(
                                    province.inheritance().downwardDigests("settings", Level.COUNTY),
                                    county.inheritance().inheritedDigests("settings"))
                            .keys());
        }
    }

    @org.junit.jupiter.api.Test
    void fieldsATopicHidesFromALevelNeverReachIt() {
        Topics topics = new Topics();
        topics.add(new org.edufed.kernel.api.federation.Topic() {
            @Override
            public String name() {
                return "exam.registrations";
            }

            @Override
            public Direction direction() {
                return Direction.UP;
            }

            @Override
            public java.util.Map<String, java.util.Set<Level>> fieldLevels() {
                return java.util.Map.of("guardianPhone", java.util.Set.of(Level.SCHOOL, Level.COUNTY));
            }
        });
        String record = "{\"name\":\"张三\",\"guardianPhone\":\"13800000000\"}";
        assertEquals(record, topics.visibleTo("exam.registrations", Level.COUNTY, record));
        assertEquals("{\"name\":\"张三\"}", topics.visibleTo("exam.registrations", Level.PROVINCE, record));
        assertEquals(record, topics.visibleTo("reports", Level.PROVINCE, record), "undeclared: unchanged");
        assertEquals("not json", topics.visibleTo("exam.registrations", Level.PROVINCE, "not json"));
    }

    /** The identity of a test node (no key is needed by the settings engine). */
    record Identity(Level level, String code) implements NodeIdentity {
        @Override
        public String name() {
            return "测试 " + code;
        }

        @Override
        public String parentUrl() {
            return null;
        }

        @Override
        public String signatureAlgorithm() {
            return "SM3withSM2";
        }

        @Override
        public String publicKeyPem() {
            throw new UnsupportedOperationException("not used by the settings engine");
        }

        @Override
        public byte[] sign(byte[] data) {
            throw new UnsupportedOperationException("not used by the settings engine");
        }

        @Override
        public byte[] unseal(byte[] sealed) {
            throw new UnsupportedOperationException("not used by the settings engine");
        }

        @Override
        public String version() {
            return "test";
        }

        @Override
        public KeyRotation rotateKey() {
            throw new UnsupportedOperationException("not used by the settings engine");
        }
    }

    /** A downward topic whose items are addressed to one node each (as the exam's decisions are). */
    static final class AddressedTopic implements org.edufed.kernel.api.federation.Topic {
        @Override
        public String name() {
            return "exam.decisions";
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public boolean addressed() {
            return true;
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void addressedItemsTravelOnlyDownTheBranchOfTheNodeTheyName(Dialect d) throws Exception {
        AddressedTopic topic = new AddressedTopic();
        Node province = node(d, Level.PROVINCE, "510000", topic);
        Node county = node(d, Level.COUNTY, "510104", topic);
        Node other = node(d, Level.COUNTY, "510105", topic);
        Node school = node(d, Level.SCHOOL, "2151010001", topic);
        try (var a = province.storage();
                var b = county.storage();
                var c = other.storage();
                var e = school.storage()) {
            enrol(county, school, "school");
            enrol(province, county, "county");
            enrol(province, other, "county");
            province.inheritance()
                    .change(
                            "exam.decisions",
                            List.of(
                                    new Inheritance.Change("2151010001.r1.province", "{\"v\":1}", Mode.LOCKED),
                                    new Inheritance.Change("2151050007.r2.province", "{\"v\":2}", Mode.LOCKED)));
            Topics topics = new Topics();
            topics.add(topic);
            ObjectNode toCounty = FeedPages.page(
                    province.store(),
                    topics,
                    Json.object(),
                    0,
                    100,
                    Level.COUNTY,
                    FeedPages.branchOf(province.store().child("510104").orElseThrow()));
            ObjectNode toOther = FeedPages.page(
                    province.store(),
                    topics,
                    Json.object(),
                    0,
                    100,
                    Level.COUNTY,
                    FeedPages.branchOf(province.store().child("510105").orElseThrow()));
            // the county whose school the key names gets it; the other county does not, and neither gets the
            // item for a school below neither of them; both move past what they do not get
            assertEquals(1, toCounty.path("items").size(), toCounty.toString());
            assertEquals(
                    "2151010001.r1.province",
                    toCounty.path("items").get(0).path("key").asText());
            assertEquals(0, toOther.path("items").size());
            assertEquals(toCounty.path("next").asLong(), toOther.path("next").asLong());
            assertTrue(toOther.path("next").asLong() > 0);
            // the county passes it on to its school
            county.sync().apply(0, toCounty);
            assertEquals(1, county.inheritance().effective("exam.decisions").size());
            ObjectNode toSchool = FeedPages.page(
                    county.store(),
                    topics,
                    Json.object(),
                    0,
                    100,
                    Level.SCHOOL,
                    FeedPages.branchOf(county.store().child("2151010001").orElseThrow()));
            assertEquals(1, toSchool.path("items").size());
            // an offline bundle is for whichever child imports it: everything
            assertEquals(
                    2,
                    FeedPages.page(province.store(), topics, Json.object(), 0, 100, Level.COUNTY, FeedPages.EVERYONE)
                            .path("items")
                            .size());
        }
    }
}
