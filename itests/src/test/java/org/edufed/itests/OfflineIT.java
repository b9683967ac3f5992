package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * The exchange without a link: a county that never syncs online gets the province's settings from a sealed, signed
 * file and sends its records up in one; tampered files are refused; importing twice changes nothing; when
 * the link comes back, online sync finds nothing left to do (the offline result equals the online one).
 */
class OfflineIT {

    @Test
    void signedBundlesCarryTheExchangeBothWays() throws Exception {
        try (KarafNode province = KarafNode.unpack("province", "off-province");
                KarafNode county = KarafNode.unpack("county", "off-county")) {
            FederationIT.fast(province.identity("510000", "四川省教育厅")).start();
            // the county's routes would only run in an hour: everything below goes by file
            Files.writeString(
                    county.identity(FederationIT.cfg("county", "510104", "锦江区教育局", province))
                            .home()
                            .resolve("etc/org.edufed.exchange.cfg"),
                    "pull.interval.ms = 3600000\npush.interval.ms = 3600000\nheartbeat.interval.ms = 3600000\n",
                    StandardCharsets.UTF_8);
            county.start();
            province.awaitReady(DistributionIT.BOOT);
            county.awaitReady(DistributionIT.BOOT);
            String pp = province.adminPassword();
            String cp = county.adminPassword();
            FederationIT.enroll(county, cp, province, pp);

            FederationIT.put(province, pp, "exam.year", "2027", "locked", 200);
            FederationIT.put(province, pp, "portal.theme", "蓝色", "overridable", 200);

            // down by file: for one child, sealed for its key
            assertEquals(
                    400,
                    province.get("/api/v1/federation/offline/feed?since=0", "admin", pp)
                            .statusCode());
            assertEquals(
                    400,
                    province.get("/api/v1/federation/offline/feed?since=0&child=510199", "admin", pp)
                            .statusCode());
            HttpResponse<String> feed =
                    province.get("/api/v1/federation/offline/feed?since=0&child=510104", "admin", pp);
            assertEquals(200, feed.statusCode(), feed.body());
            assertTrue(
                    feed.headers().firstValue("Content-Disposition").orElse("").contains("edufed-feed-510000-510104"));
            ObjectNode bundle = (ObjectNode) KarafNode.json(feed);
            byte[] sealed = Base64.getDecoder().decode(bundle.path("content").asText());
            String raw = new String(sealed, StandardCharsets.ISO_8859_1);
            assertTrue(raw.startsWith("EFS1"), "sealed for the county");
            assertFalse(raw.contains("exam.year") || raw.contains("portal.theme"), "nothing readable without its key");
            assertEquals("510104", bundle.path("recipient").asText());

            // a tampered file is refused and nothing is applied
            ObjectNode tampered = bundle.deepCopy();
            byte[] changed = sealed.clone();
            changed[changed.length - 20] ^= 1;
            tampered.put("content", Base64.getEncoder().encodeToString(changed));
            HttpResponse<String> refused =
                    county.postJson("/api/v1/federation/offline/import", "admin", cp, tampered.toString());
            assertEquals(403, refused.statusCode(), refused.body());
            assertEquals(
                    404, county.get("/api/v1/settings/exam.year", "admin", cp).statusCode());
            assertEquals(
                    400,
                    county.postJson("/api/v1/federation/offline/import", "admin", cp, "{\"format\":\"x\"}")
                            .statusCode());
            // a file of the first, unsealed format: refused with the reason
            ObjectNode old = bundle.deepCopy();
            old.put("format", "edufed-bundle/1");
            HttpResponse<String> unsealed =
                    county.postJson("/api/v1/federation/offline/import", "admin", cp, old.toString());
            assertEquals(400, unsealed.statusCode(), unsealed.body());
            assertTrue(unsealed.body().contains("未加密"), unsealed.body());

            JsonNode imported =
                    KarafNode.json(county.postJson("/api/v1/federation/offline/import", "admin", cp, feed.body()));
            // the two settings, after the dictionaries the province seeded at its first start
            long head = KarafNode.json(province.get("/api/v1/federation/status", "admin", pp))
                    .path("feed")
                    .path("head")
                    .asLong();
            assertEquals(head, imported.path("applied").asLong(), imported.toString());
            assertTrue(head > 2, "dictionaries and settings: " + head);
            JsonNode year = FederationIT.setting(county, cp, "exam.year");
            assertEquals("2027", year.path("value").asText());
            assertEquals("locked", year.path("provenance").path("mode").asText());
            assertEquals(
                    "510000", year.path("provenance").path("setBy").path("code").asText());
            // the same file again: nothing changes
            assertEquals(
                    0,
                    KarafNode.json(county.postJson("/api/v1/federation/offline/import", "admin", cp, feed.body()))
                            .path("applied")
                            .asInt());

            // up by file
            assertEquals(
                    201,
                    county.postJson("/api/v1/reports", "admin", cp, "{\"title\":\"离线上报\",\"content\":{\"schools\":12}}")
                            .statusCode());
            HttpResponse<String> outbox = county.get("/api/v1/federation/offline/outbox", "admin", cp);
            assertEquals(200, outbox.statusCode(), outbox.body());
            assertFalse(
                    new String(
                                    Base64.getDecoder()
                                            .decode(KarafNode.json(outbox)
                                                    .path("content")
                                                    .asText()),
                                    StandardCharsets.UTF_8)
                            .contains("离线上报"),
                    "the report travels sealed for the province");
            JsonNode accepted =
                    KarafNode.json(province.postJson("/api/v1/federation/offline/import", "admin", pp, outbox.body()));
            assertEquals(
                    "accepted", accepted.path("results").get(0).path("status").asText(), accepted.toString());
            JsonNode again =
                    KarafNode.json(province.postJson("/api/v1/federation/offline/import", "admin", pp, outbox.body()));
            assertEquals(
                    "duplicate", again.path("results").get(0).path("status").asText());
            assertEquals(1, FederationIT.reports(province, pp).size());

            // the link comes back: online sync finds the same state, applies nothing twice, clears the outbox
            Files.writeString(
                    county.home().resolve("etc/org.edufed.exchange.cfg"),
                    "pull.interval.ms = 500\npush.interval.ms = 500\nheartbeat.interval.ms = 1000\n",
                    StandardCharsets.UTF_8);
            FederationIT.await(() -> {
                JsonNode status = KarafNode.json(county.get("/api/v1/federation/status", "admin", cp));
                return status.path("outbox").path("pending").asInt() == 0
                                && status.toString().contains("lastSuccess\":\"")
                        ? status
                        : null;
            });
            assertEquals(1, FederationIT.reports(province, pp).size());
            assertEquals(
                    "2027",
                    FederationIT.setting(county, cp, "exam.year").path("value").asText());
        }
    }
}
