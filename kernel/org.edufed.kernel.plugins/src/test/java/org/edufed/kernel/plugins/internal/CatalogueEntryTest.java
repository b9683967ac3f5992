package org.edufed.kernel.plugins.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.edufed.kernel.api.Level;
import org.junit.jupiter.api.Test;

/** Catalogue entries: who runs them, and what is not an entry. */
class CatalogueEntryTest {

    static final String DIGEST = "ab".repeat(32);

    static CatalogueEntry entry(Set<String> wave) {
        return new CatalogueEntry(
                "cn.example.hello",
                "1.0.0",
                DIGEST,
                100,
                1,
                "c2ln",
                CatalogueEntry.MAPPER.createObjectNode().put("id", "cn.example.hello"),
                true,
                Set.of(Level.COUNTY, Level.SCHOOL),
                true,
                wave);
    }

    @Test
    void withoutAWaveEveryNodeOfTheLevelsRunsIt() {
        CatalogueEntry e = entry(Set.of());
        assertTrue(e.wantedAt(Level.SCHOOL, "2151010001", "510104"));
        assertTrue(e.wantedAt(Level.COUNTY, "510104", "510000"));
        assertFalse(e.wantedAt(Level.PROVINCE, "510000", null), "not at a level it is not listed for");
        assertFalse(e.withEnabled(false).wantedAt(Level.SCHOOL, "2151010001", "510104"), "not when disabled");
    }

    @Test
    void aWaveReachesTheCountiesNamedAndTheirSchools() {
        CatalogueEntry e = entry(Set.of("510104"));
        assertTrue(e.wantedAt(Level.COUNTY, "510104", "510000"));
        assertTrue(e.wantedAt(Level.SCHOOL, "2151010001", "510104"));
        assertFalse(e.wantedAt(Level.COUNTY, "510105", "510000"));
        assertFalse(e.wantedAt(Level.SCHOOL, "2151050001", "510105"));
        assertTrue(e.withNodes(Set.of()).wantedAt(Level.COUNTY, "510105", "510000"), "the last wave is everyone");
    }

    @Test
    void anEntryRoundTripsThroughItsJson() {
        CatalogueEntry e = entry(Set.of("510104"));
        CatalogueEntry back = CatalogueEntry.parse("cn.example.hello", e.toJson());
        assertEquals(e, back);
    }

    @Test
    void whatIsNotAnEntryIsRefused() {
        String good = entry(Set.of()).toJson();
        assertThrows(IllegalArgumentException.class, () -> CatalogueEntry.parse("cn.example.other", good), "key ≠ id");
        assertThrows(IllegalArgumentException.class, () -> CatalogueEntry.parse("cn.example.hello", "not json"));
        assertThrows(
                IllegalArgumentException.class,
                () -> CatalogueEntry.parse("cn.example.hello", good.replace(DIGEST, "xyz")),
                "digest not hex");
        assertThrows(
                IllegalArgumentException.class,
                () -> CatalogueEntry.parse(
                        "cn.example.hello", entry(Set.of("51-01")).toJson()),
                "wave of a code that is no code");
    }
}
