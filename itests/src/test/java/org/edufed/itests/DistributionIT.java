package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each distribution boots, serves its API and console, keeps its data across a restart, and stops cleanly. */
class DistributionIT {

    /** How long a node may take to boot: 120 s, more on a loaded machine with {@code -Dedufed.it.boot=<seconds>}. */
    static final Duration BOOT = Duration.ofSeconds(Long.getLong("edufed.it.boot", 120));

    @ParameterizedTest(name = "{0}")
    @CsvSource({"school,2151010001,示范小学", "county,510104,锦江区教育局", "province,510000,四川省教育厅"})
    void bootsServesLogsInAndKeepsItsDataAcrossARestart(String level, String code, String name) throws Exception {
        try (KarafNode node = KarafNode.unpack(level, "dist-" + level)) {
            node.identity(code, name).start().awaitReady(BOOT);

            // health is public and says why it is ready
            HttpResponse<String> health = node.get("/api/v1/health", null, null);
            assertEquals(200, health.statusCode());
            assertTrue(KarafNode.json(health).get("ready").asBoolean());

            // everything else needs a login: 401 with a problem body and a challenge
            HttpResponse<String> anonymous = node.get("/api/v1/node", null, null);
            assertEquals(401, anonymous.statusCode());
            assertEquals(
                    "application/problem+json",
                    anonymous.headers().firstValue("Content-Type").orElse(""));
            assertTrue(anonymous
                    .headers()
                    .firstValue("WWW-Authenticate")
                    .orElse("")
                    .startsWith("Basic"));
            assertEquals(
                    "urn:edufed:problem:unauthorized",
                    KarafNode.json(anonymous).get("type").asText());
            assertEquals(
                    401, node.get("/api/v1/node", "admin", "wrong-password-1").statusCode());

            // the generated one-time password logs in, but must be changed first
            String oneTime = node.oneTimePassword();
            assertEquals(403, node.get("/api/v1/node", "admin", oneTime).statusCode());
            assertTrue(KarafNode.json(node.get("/api/v1/account", "admin", oneTime))
                    .get("mustChangePassword")
                    .asBoolean());
            String newPassword = "Changed-" + level + "-2026";
            assertEquals(
                    204,
                    node.postJson(
                                    "/api/v1/account/password",
                                    "admin",
                                    oneTime,
                                    "{\"current\":\"" + oneTime + "\",\"replacement\":\"" + newPassword + "\"}")
                            .statusCode());

            JsonNode info = KarafNode.json(node.get("/api/v1/node", "admin", newPassword));
            assertEquals(level, info.get("level").asText());
            assertEquals(code, info.get("code").asText());
            assertEquals(name, info.get("name").asText());
            assertEquals("SM3withSM2", info.get("signatureAlgorithm").asText());
            assertTrue(info.get("features").has("edufed-profile-" + level), "the level's profile feature is installed");
            assertTrue(info.get("features").has("edufed-kernel"));
            String publicKey = info.get("publicKey").asText();

            // the console and the API documentation answer
            assertEquals(200, node.get("/console/login", null, null).statusCode());
            assertEquals(200, node.get("/api/v1/openapi.json", null, null).statusCode());

            // restart: the changed password and the node key survive; no new banner
            node.stop();
            node.start().awaitReady(BOOT);
            assertEquals(401, node.get("/api/v1/node", "admin", oneTime).statusCode());
            JsonNode again = KarafNode.json(node.get("/api/v1/node", "admin", newPassword));
            assertEquals(publicKey, again.get("publicKey").asText());
            assertEquals(
                    1, node.log().split("one-time admin password", -1).length - 1, "the banner is printed once only");
        }
    }

    @org.junit.jupiter.api.Test
    void operatorsShellShowsTheNodeAndResetsTheAdminPassword() throws Exception {
        try (KarafNode node = KarafNode.unpack("school", "shell-school")) {
            node.identity("2151010001", "示范小学").start().awaitReady(BOOT);
            String out = node.shell("edufed:node\nedufed:admin-reset");
            assertTrue(out.contains("2151010001"), out);
            assertTrue(out.contains("Ready / 就绪:     yes"), out);
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("一次性密码: admin / (\\S+)").matcher(out);
            assertTrue(m.find(), out);
            String reset = m.group(1);
            assertNotEquals(node.oneTimePassword(), reset);
            // the new one-time password works, must be changed, and is not in the log
            assertTrue(KarafNode.json(node.get("/api/v1/account", "admin", reset))
                    .get("mustChangePassword")
                    .asBoolean());
            assertFalse(node.log().contains(reset), "the reset password is never logged");
        }
    }

    // two keys, booted: the way a wrong value stops a node is the same for every key and level; each rule's
    // message (a county outside its parent division, a province code not ending in 0000, …) is NodeSettingsTest's
    @ParameterizedTest(name = "{0} {1}={2}")
    @CsvSource({
        "school,code,21510100,ten-digit",
        "county,level,town,must be province, county or school",
    })
    void aWrongNodeConfigurationStopsTheNodeWithOneClearLine(String level, String key, String value, String reason)
            throws Exception {
        try (KarafNode node = KarafNode.unpack(level, "bad-" + level + "-" + key)) {
            Map<String, String> cfg = new java.util.LinkedHashMap<>();
            cfg.put("level", level);
            cfg.put("code", level.equals("school") ? "2151010001" : level.equals("county") ? "510104" : "510000");
            cfg.put("name", "配置错误测试");
            if (level.equals("county")) {
                cfg.put("parent.code", "510000");
            }
            cfg.put(key, value);
            node.identity(cfg).start();
            int exit = node.awaitExit(Duration.ofSeconds(90));
            String expected = "etc/org.edufed.node.cfg: " + key + " = \"" + value + "\": ";
            assertTrue(node.console().contains(expected), "console names the key:\n" + node.console());
            assertTrue(node.console().contains(reason), "console says why:\n" + node.console());
            assertTrue(node.log().contains("EDUFED FATAL: "), "the log says it too");
            assertNotEquals(-1, exit);
            assertFalse(node.log().contains("one-time admin password"), "no account is created on a node that stops");
        }
    }
}
