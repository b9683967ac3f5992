package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * A county killed with {@code kill -9} while it applies the province's feed: after a restart it is
 * consistent — every setting once, its watermark at the province's head, and its own feed (what it passes on
 * to its schools) holding each item exactly once, which it would not if a batch had been half applied or
 * applied twice.
 */
class FaultIT {

    static final int SETTINGS = 1500;

    @Test
    void killedWhileApplyingABatchIsConsistentAfterRestart() throws Exception {
        try (KarafNode province = KarafNode.unpack("province", "fault-province");
                KarafNode county = KarafNode.unpack("county", "fault-county")) {
            FederationIT.fast(province.identity("510000", "四川省教育厅")).start();
            county.identity(FederationIT.cfg("county", "510104", "锦江区教育局", province));
            Files.writeString(
                    county.home().resolve("etc/org.edufed.exchange.cfg"),
                    "pull.interval.ms = 200\npush.interval.ms = 1000\nheartbeat.interval.ms = 1000\n",
                    StandardCharsets.UTF_8);
            county.start();
            province.awaitReady(DistributionIT.BOOT);
            county.awaitReady(DistributionIT.BOOT);
            String pp = province.adminPassword();
            String cp = county.adminPassword();
            for (int i = 0; i < SETTINGS; i++) {
                FederationIT.put(
                        province,
                        pp,
                        String.format("bulk.k%04d", i),
                        "值" + i,
                        i % 2 == 0 ? "locked" : "overridable",
                        200);
            }
            // the province's feed: the settings, after the dictionaries it seeded at its first start
            long head = KarafNode.json(province.get("/api/v1/federation/status", "admin", pp))
                    .path("feed")
                    .path("head")
                    .asLong();
            assertTrue(head >= SETTINGS, "feed head " + head);

            // enrolling starts the pulls (pages of 500); kill the county while it is at it
            FederationIT.enroll(county, cp, province, pp);
            FederationIT.await(() -> {
                JsonNode s = KarafNode.json(county.get("/api/v1/federation/status", "admin", cp));
                return s.path("feed").path("head").asLong() > 0 ? s : null;
            });
            county.kill9();

            county.start().awaitReady(DistributionIT.BOOT);
            JsonNode status = FederationIT.await(() -> {
                JsonNode s = KarafNode.json(county.get("/api/v1/federation/status", "admin", cp));
                return s.path("feed").path("watermark").asLong() == head ? s : null;
            });
            assertEquals(
                    head, status.path("feed").path("head").asLong(), "each item passed on exactly once: " + status);
            assertEquals(0, status.path("feed").path("lag").asLong(), status.toString());
            JsonNode settings = KarafNode.json(county.get("/api/v1/settings", "admin", cp));
            assertEquals(SETTINGS, settings.size());
            assertEquals(
                    "值1499",
                    FederationIT.setting(county, cp, "bulk.k1499").path("value").asText());
        }
    }
}
