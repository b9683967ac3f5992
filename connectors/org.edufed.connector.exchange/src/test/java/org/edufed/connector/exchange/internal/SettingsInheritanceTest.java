package org.edufed.connector.exchange.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.Settings;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.core.internal.storage.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The inheritance engine over three databases standing for a province, a county and a school: what each
 * publishes on its feed is applied by the one below, as the pull route does, page by page with the
 * watermark. Runs on Derby, and on PostgreSQL when one is configured.
 */
class SettingsInheritanceTest {

    @TempDir
    Path tmp;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    /** A node of the test: its storage, its settings, and a way to pull from its parent. */
    record Node(TestDatabases.TestStorage storage, FederationStore store, SettingsComponent settings) {}

    private Node node(Dialect dialect, Level level, String code) throws Exception {
        TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp);
        FederationStore store = new FederationStore(storage);
        return new Node(storage, store, new SettingsComponent(store, new Identity(level, code)));
    }

    /** Applies everything new on the parent's feed to the child, in one transaction with the watermark. */
    private static int pull(Node parent, Node child) throws Exception {
        long since = child.storage().inTransaction(c -> child.store().watermark(c, Sync.FEED));
        List<FederationStore.FeedItem> items = parent.store().feed(since, 1000);
        return child.storage().inTransaction(c -> {
            long last = since;
            for (FederationStore.FeedItem item : items) {
                child.settings().applyFromParent(c, Json.parse(item.payload()), item.seq());
                last = item.seq();
            }
            child.store().setWatermark(c, Sync.FEED, last);
            return items.size();
        });
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
            Settings.LockedException locked = assertThrows(
                    Settings.LockedException.class, () -> county.settings().set("exam.year", "2030", Mode.OVERRIDABLE));
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
        Node province = node(dialect, Level.PROVINCE, "510000");
        Node county = node(dialect, Level.COUNTY, "510104");
        try (var a = province.storage();
                var b = county.storage()) {
            province.settings().set("k.one", "1", Mode.OVERRIDABLE);
            List<FederationStore.FeedItem> items = province.store().feed(0, 100);
            for (int round = 0; round < 2; round++) {
                county.storage().inTransaction(c -> {
                    for (FederationStore.FeedItem item : items) {
                        county.settings().applyFromParent(c, Json.parse(item.payload()), item.seq());
                    }
                    return null;
                });
            }
            assertEquals(1, county.settings().effective().size());
            assertEquals("1", county.settings().effective("k.one").orElseThrow().value());
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
            ObjectNode down =
                    province.storage().inTransaction(c -> province.settings().downward(c, "ok.key"));
            assertTrue(down.path("deleted").asBoolean());
        }
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
        public String version() {
            return "test";
        }
    }
}
