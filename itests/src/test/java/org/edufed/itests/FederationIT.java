package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A province, a county and a school on loopback: enrollment down the tree, settings inherited with
 * lock / override / local and provenance, the tree seen at the province, and the exchange refusing what it
 * must (unknown nodes, forged signatures, replays, stale messages, revoked children).
 */
class FederationIT {

    static final Duration CONVERGE = Duration.ofSeconds(60);

    @Test
    void settingsFlowDownTheTreeWithProvenanceAndTheProvinceSeesTheTree() throws Exception {
        try (KarafNode province = KarafNode.unpack("province", "fed-province");
                KarafNode county = KarafNode.unpack("county", "fed-county");
                KarafNode school = KarafNode.unpack("school", "fed-school")) {
            fast(province.identity("510000", "四川省教育厅")).start();
            fast(county.identity(cfg("county", "510104", "锦江区教育局", province))).start();
            fast(school.identity(cfg("school", "2151010001", "锦江区示范小学", county)))
                    .start();
            province.awaitReady(DistributionIT.BOOT);
            county.awaitReady(DistributionIT.BOOT);
            school.awaitReady(DistributionIT.BOOT);
            String pp = province.adminPassword();
            String cp = county.adminPassword();
            String sp = school.adminPassword();

            enroll(county, cp, province, pp);
            enroll(school, sp, county, cp);
            assertEquals(
                    "510000",
                    KarafNode.json(county.get("/api/v1/federation/parent", "admin", cp))
                            .path("node")
                            .path("code")
                            .asText());

            // a school cannot enroll under the province: the levels do not fit
            String token = KarafNode.json(province.postJson("/api/v1/federation/tokens", "admin", pp, "{}"))
                    .path("token")
                    .asText();
            HttpResponse<String> wrong = school.postJson(
                    "/api/v1/federation/enroll",
                    "admin",
                    sp,
                    "{\"parentUrl\":\"" + province.baseUrl() + "\",\"token\":\"" + token + "\"}");
            assertEquals(422, wrong.statusCode(), wrong.body());

            // settings at the province: locked, overridable, local
            put(province, pp, "exam.year", "2027", "locked", 200);
            put(province, pp, "portal.theme", "蓝色", "overridable", 200);
            put(province, pp, "province.note", "仅省级", "local", 200);

            // the county sees the locked one, cannot override it, overrides the overridable one
            JsonNode atCounty = await(() -> setting(county, cp, "exam.year"));
            assertEquals("2027", atCounty.path("value").asText());
            HttpResponse<String> refused = county.sendJson(
                    "PUT", "/api/v1/settings/exam.year", "admin", cp, "{\"value\":\"2030\",\"mode\":\"overridable\"}");
            assertEquals(409, refused.statusCode(), refused.body());
            assertEquals(
                    "urn:edufed:problem:locked",
                    KarafNode.json(refused).path("type").asText());
            await(() -> setting(county, cp, "portal.theme"));
            put(county, cp, "portal.theme", "绿色", "overridable", 200);

            // two levels down: the locked value as set at the province; the county's override, with provenance
            JsonNode year = await(() -> setting(school, sp, "exam.year"));
            assertEquals("2027", year.path("value").asText());
            assertEquals("locked", year.path("provenance").path("mode").asText());
            assertEquals(
                    "510000", year.path("provenance").path("setBy").path("code").asText());
            assertTrue(year.path("provenance").path("overriddenBy").isNull()
                    || year.path("provenance").path("overriddenBy").isMissingNode());
            JsonNode theme = await(() -> {
                JsonNode t = setting(school, sp, "portal.theme");
                return t != null && "绿色".equals(t.path("value").asText()) ? t : null;
            });
            assertEquals(
                    "510000",
                    theme.path("provenance").path("setBy").path("code").asText());
            assertEquals(
                    "510104",
                    theme.path("provenance").path("overriddenBy").path("code").asText());
            // the local one stayed at the province
            assertEquals(
                    404,
                    school.get("/api/v1/settings/province.note", "admin", sp).statusCode());
            assertEquals(
                    404,
                    county.get("/api/v1/settings/province.note", "admin", cp).statusCode());
            assertEquals(
                    "仅省级", setting(province, pp, "province.note").path("value").asText());

            // the province sees the whole tree through the county's heartbeats
            JsonNode tree = await(() -> {
                JsonNode t = KarafNode.json(province.get("/api/v1/federation/tree", "admin", pp));
                return t.toString().contains("2151010001") ? t : null;
            });
            JsonNode countyNode = tree.path("children").get(0);
            assertEquals("510104", countyNode.path("node").path("code").asText());
            assertFalse(countyNode.path("lastSeen").isNull());
            assertEquals(
                    "2151010001",
                    countyNode.path("children").get(0).path("node").path("code").asText());

            // the console issues a one-time token too: a form with the CSRF token, refused without it
            ConsoleSession console = ConsoleSession.login(province, "admin", pp);
            String page = console.get("/console/federation").body();
            assertEquals(
                    403,
                    console.post("/console/federation", Map.of("minutes", "30"), null)
                            .statusCode());
            String issued = console.post("/console/federation", Map.of("minutes", "30"), ConsoleSession.csrf(page))
                    .body();
            assertTrue(issued.contains("一次性加入令牌"), issued);
            assertTrue(issued.matches("(?s).*<code>[A-Za-z0-9_-]{32}</code>.*"), issued);

            // upward: a report written at the school reaches the province exactly once
            HttpResponse<String> created = school.postJson(
                    "/api/v1/reports", "admin", sp, "{\"title\":\"学期统计\",\"content\":{\"students\":1234}}");
            assertEquals(201, created.statusCode(), created.body());
            await(() -> reports(province, pp).size() == 1 ? "ok" : null);

            // the county goes down while the school keeps writing; back up, nothing lost, nothing doubled
            county.stop();
            for (int i = 0; i < 10; i++) {
                assertEquals(
                        201,
                        school.postJson(
                                        "/api/v1/reports",
                                        "admin",
                                        sp,
                                        "{\"title\":\"离线报告 " + i + "\",\"content\":{\"n\":" + i + "}}")
                                .statusCode());
            }
            assertTrue(KarafNode.json(school.get("/api/v1/federation/status", "admin", sp))
                            .path("outbox")
                            .path("pending")
                            .asInt()
                    >= 10);
            county.start().awaitReady(DistributionIT.BOOT);
            await(() -> reports(province, pp).size() == 11 ? "ok" : null);
            java.util.Set<String> ids = new java.util.HashSet<>();
            for (JsonNode r : reports(province, pp)) {
                assertEquals("2151010001", r.path("origin").asText());
                assertTrue(ids.add(r.path("id").asText()), "no report twice");
            }
            assertEquals(
                    0,
                    KarafNode.json(school.get("/api/v1/federation/status", "admin", sp))
                            .path("outbox")
                            .path("pending")
                            .asInt());

            // a preview at the province: the county's own value hides portal.theme for the county and its school
            JsonNode preview = await(() -> {
                JsonNode p = KarafNode.json(
                        province.get("/api/v1/settings/portal.theme/preview?mode=overridable", "admin", pp));
                return p.path("descendants").asInt() == 2 && p.path("reached").asInt() == 0 ? p : null;
            });
            assertEquals(
                    "510104",
                    preview.path("nodes").get(1).path("hiddenBy").path("code").asText(),
                    preview.toString());
            // the dictionaries the province seeded reached the school, locked
            JsonNode division = await(() -> {
                HttpResponse<String> d = school.get("/api/v1/inherited/dict.division/510104", "admin", sp);
                return d.statusCode() == 200 ? KarafNode.json(d) : null;
            });
            assertTrue(division.path("value").asText().contains("锦江区"), division.toString());
            assertEquals("locked", division.path("provenance").path("mode").asText());

            // reconciliation with the parent finds nothing, down and up
            JsonNode down = KarafNode.json(school.postJson("/api/v1/federation/reconcile/settings", "admin", sp, ""));
            assertEquals(
                    0,
                    down.path("missingHere").asInt()
                            + down.path("extraHere").asInt()
                            + down.path("different").asInt(),
                    down.toString());
            assertTrue(down.path("local").asInt() >= 2, down.toString());
            JsonNode up = KarafNode.json(county.postJson("/api/v1/federation/reconcile/reports", "admin", cp, ""));
            assertEquals(0, up.path("missingAtParent").asInt(), up.toString());
            assertEquals(11, up.path("local").asInt(), up.toString());

            // the county rotates its key: the province takes it, the school follows; both ways go on
            HttpResponse<String> rotated = county.postJson("/api/v1/federation/key/rotate", "admin", cp, "");
            assertEquals(200, rotated.statusCode(), rotated.body());
            put(province, pp, "after.rotation", "新钥匙", "locked", 200);
            assertEquals(
                    "新钥匙",
                    await(() -> setting(school, sp, "after.rotation"))
                            .path("value")
                            .asText());
            assertEquals(
                    201,
                    school.postJson("/api/v1/reports", "admin", sp, "{\"title\":\"换钥之后\",\"content\":{}}")
                            .statusCode());
            await(() -> reports(province, pp).size() == 12 ? "ok" : null);

            // the audit trail: what was done at each node, chained and intact; the province sees the tree's counts
            JsonNode trail = KarafNode.json(province.get("/api/v1/audit?limit=500", "admin", pp));
            String text = trail.toString();
            for (String action : new String[] {
                "federation.token.issue", "federation.child.enroll", "inherit.change", "federation.child.key.rotate"
            }) {
                assertTrue(text.contains("\"action\":\"" + action + "\""), action + " audited: " + text);
            }
            assertTrue(text.contains("\"actor\":\"admin\""), text);
            assertFalse(text.contains(pp), "no password in the trail");
            JsonNode verified = KarafNode.json(county.get("/api/v1/audit/verify", "admin", cp));
            assertTrue(verified.path("intact").asBoolean(), verified.toString());
            // a wrong password is refused and audited with the name it claimed and the address it came from
            assertEquals(
                    401, county.get("/api/v1/node", "admin", "wrong-password").statusCode());
            JsonNode failed = KarafNode.json(county.get("/api/v1/audit?action=login.api", "admin", cp));
            assertEquals("failure", failed.get(0).path("result").asText(), failed.toString());
            assertEquals("admin", failed.get(0).path("actor").asText());
            assertEquals("127.0.0.1", failed.get(0).path("address").asText());
            JsonNode summaries = await(
                    () -> {
                        JsonNode s = KarafNode.json(province.get("/api/v1/federation/audit", "admin", pp));
                        return s.toString().contains("2151010001")
                                        && s.toString().contains("510104")
                                ? s
                                : null;
                    },
                    () -> treeDiagnostics(
                            province,
                            pp,
                            county,
                            cp,
                            school,
                            sp,
                            province.get("/api/v1/federation/audit", "admin", pp),
                            county.get("/api/v1/federation/audit", "admin", cp)));
            assertTrue(
                    summaries.toString().contains("\"action\":\"login.api\"")
                            || summaries.toString().contains("\"action\":\"inherit.change\""),
                    summaries.toString());

            // org-scoped reading at the province: an officer holding viewer over the county and its subtree sees
            // the school's reports (the school known from the county's heartbeats), not the province's own; over
            // the county alone, none of them (they come from the school)
            assertEquals(
                    201,
                    province.postJson("/api/v1/reports", "admin", pp, "{\"title\":\"省级通知\",\"content\":{}}")
                            .statusCode());
            String officer = AuthorizationIT.createUser(province, pp, "u-officer", "[]");
            JsonNode units = await(() -> {
                JsonNode u = KarafNode.json(province.get("/api/v1/org/units", "admin", pp));
                return u.toString().contains("\"code\":\"2151010001\",\"parentCode\":\"510104\"") ? u : null;
            });
            assertEquals("510000", units.get(0).path("code").asText(), units.toString());
            grant(province, pp, "u-officer", "viewer", "510104", true);
            JsonNode seen = KarafNode.json(province.get("/api/v1/reports", "u-officer", officer));
            assertEquals(12, seen.size(), seen.toString());
            seen.forEach(r -> assertEquals("2151010001", r.path("origin").asText()));
            assertEquals(
                    12,
                    KarafNode.json(province.get("/api/v1/reports?origin=2151010001", "u-officer", officer))
                            .size());
            assertEquals(
                    403,
                    province.get("/api/v1/reports?origin=510000", "u-officer", officer)
                            .statusCode());
            assertEquals(13, reports(province, pp).size(), "the administrator sees every report");
            grant(province, pp, "u-officer", "viewer", "510104", false);
            assertEquals(
                    0,
                    KarafNode.json(province.get("/api/v1/reports", "u-officer", officer))
                            .size());
            assertEquals(
                    403,
                    province.get("/api/v1/federation/tree", "u-officer", officer)
                            .statusCode());

            // a role defined once at the province, locked, reaches the county: it cannot be redefined there, and
            // the county grants it over its school, whose reports are then all its holder sees
            HttpResponse<String> defined = province.sendJson(
                    "PUT",
                    "/api/v1/roles/exam-reviewer",
                    "admin",
                    pp,
                    "{\"description\":\"中考审核员\",\"permissions\":[\"exam:review\",\"node:read\"],\"mode\":\"locked\"}");
            assertEquals(204, defined.statusCode(), defined.body());
            await(() -> county.get("/api/v1/roles", "admin", cp).body().contains("\"exam-reviewer\"") ? "ok" : null);
            HttpResponse<String> redefined = county.sendJson(
                    "PUT",
                    "/api/v1/roles/exam-reviewer",
                    "admin",
                    cp,
                    "{\"description\":\"改过的\",\"permissions\":[\"*\"],\"mode\":\"local\"}");
            assertEquals(400, redefined.statusCode(), redefined.body());
            assertTrue(redefined.body().contains("锁定"), redefined.body());
            String reviewer = AuthorizationIT.createUser(county, cp, "u-reviewer", "[]");
            grant(county, cp, "u-reviewer", "exam-reviewer", "2151010001", false);
            JsonNode reviewed = KarafNode.json(county.get("/api/v1/reports", "u-reviewer", reviewer));
            assertEquals(12, reviewed.size(), reviewed.toString());
            assertEquals(
                    403, county.get("/api/v1/org/units", "u-reviewer", reviewer).statusCode());

            // revoked: the county is refused from now on and stops receiving
            assertEquals(
                    204,
                    province.sendJson("DELETE", "/api/v1/federation/children/510104", "admin", pp, null)
                            .statusCode());
            put(province, pp, "after.revocation", "x", "locked", 200);
            await(() -> {
                JsonNode status = KarafNode.json(county.get("/api/v1/federation/status", "admin", cp));
                return status.toString().contains("403") ? status : null;
            });
            assertEquals(
                    404,
                    county.get("/api/v1/settings/after.revocation", "admin", cp).statusCode());
        }
    }

    @Test
    void forgedReplayedStaleTruncatedReorderedAndUnknownMessagesAreHandled() throws Exception {
        try (KarafNode province = KarafNode.unpack("province", "fed-guard")) {
            province.identity("510000", "四川省教育厅").start().awaitReady(DistributionIT.BOOT);
            String pp = province.adminPassword();

            // this test plays a county node with an ECDSA P-256 key of its own
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = gen.generateKeyPair();
            String pem = "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'})
                            .encodeToString(keys.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
            String token = KarafNode.json(province.postJson("/api/v1/federation/tokens", "admin", pp, "{}"))
                    .path("token")
                    .asText();
            Map<String, Object> enroll = new LinkedHashMap<>();
            enroll.put("token", token);
            enroll.put("level", "county");
            enroll.put("code", "510199");
            enroll.put("name", "测试县");
            enroll.put("publicKey", pem);
            enroll.put("algorithm", "SHA256withECDSA");
            byte[] body = KarafNode.JSON.writeValueAsBytes(enroll);
            HttpResponse<String> enrolled = province.raw(signed(
                    province,
                    keys,
                    "POST",
                    "/api/v1/federation/exchange/enrollment",
                    body,
                    System.currentTimeMillis(),
                    "n-enroll"));
            assertEquals(200, enrolled.statusCode(), enrolled.body());
            // the token is one-time
            assertEquals(
                    403,
                    province.raw(signed(
                                    province,
                                    keys,
                                    "POST",
                                    "/api/v1/federation/exchange/enrollment",
                                    body,
                                    System.currentTimeMillis(),
                                    "n-enroll-2"))
                            .statusCode());

            String feed = "/api/v1/federation/exchange/feed?since=0&limit=10";
            long now = System.currentTimeMillis();
            assertEquals(
                    200,
                    province.raw(signed(province, keys, "GET", feed, null, now, "n1"))
                            .statusCode());
            // the same message again: a replay
            assertEquals(
                    409,
                    province.raw(signed(province, keys, "GET", feed, null, now, "n1"))
                            .statusCode());
            // a message from ten minutes ago
            assertEquals(
                    401,
                    province.raw(signed(province, keys, "GET", feed, null, now - 600_000, "n2"))
                            .statusCode());
            // a forged signature: signed for another query than the one sent
            HttpRequest.Builder forged = signed(
                            province, keys, "GET", "/api/v1/federation/exchange/feed?since=0&limit=11", null, now, "n3")
                    .uri(URI.create(province.baseUrl() + feed));
            assertEquals(401, province.raw(forged).statusCode());
            // unsigned, and from a node that is not enrolled
            assertEquals(
                    401,
                    province.raw(HttpRequest.newBuilder(URI.create(province.baseUrl() + feed)))
                            .statusCode());
            HttpRequest.Builder stranger =
                    signed(province, keys, "GET", feed, null, now, "n4").setHeader("X-EduFed-Node", "510188");
            assertEquals(403, province.raw(stranger).statusCode());

            // records up from the played county: a truncated batch (signed as sent) is refused as malformed
            String up = "/api/v1/federation/exchange/up";
            byte[] v2 = upBatch(2, 2).getBytes(StandardCharsets.UTF_8);
            byte[] truncated = java.util.Arrays.copyOf(v2, v2.length - 7);
            assertEquals(
                    400,
                    province.raw(signed(province, keys, "POST", up, truncated, now, "n5"))
                            .statusCode());
            // the batch whole: accepted; sent again (its answer lost): a duplicate, kept once
            assertEquals("accepted", status(province.raw(signed(province, keys, "POST", up, v2, now, "n6"))));
            assertEquals("duplicate", status(province.raw(signed(province, keys, "POST", up, v2, now, "n7"))));
            // out of order: version 1 arriving after version 2 does not replace it
            byte[] v1 = upBatch(3, 1).getBytes(StandardCharsets.UTF_8);
            assertEquals("accepted", status(province.raw(signed(province, keys, "POST", up, v1, now, "n8"))));
            JsonNode kept = reports(province, pp);
            assertEquals(1, kept.size(), kept.toString());
            assertEquals(2, kept.get(0).path("version").asInt());

            JsonNode status = KarafNode.json(province.get("/api/v1/federation/status", "admin", pp));
            assertEquals(7, status.path("rejectedMessages").asInt(), status.toString());
            // each refusal is in the audit trail too, with the node it claimed to come from
            JsonNode refused = KarafNode.json(province.get("/api/v1/audit?action=exchange.refused", "admin", pp));
            assertEquals(7, refused.size(), refused.toString());
            assertTrue(refused.toString().contains("node:510199"), refused.toString());
        }
    }

    // --- helpers ---------------------------------------------------------------------------------

    /** The admin passwords of a started and enrolled tree: province 510000, county 510104, school 2151010001. */
    record Tree(String province, String county, String school) {}

    /**
     * Starts a province (510000), a county (510104) under it and a school (2151010001, named {@code schoolName})
     * under the county, with fast exchange intervals, waits until all three are ready, replaces their one-time
     * admin passwords and enrolls them: county under province, school under county.
     */
    static Tree startTree(KarafNode province, KarafNode county, KarafNode school, String schoolName) throws Exception {
        fast(province.identity("510000", "四川省教育厅")).start();
        fast(county.identity(cfg("county", "510104", "锦江区教育局", province))).start();
        fast(school.identity(cfg("school", "2151010001", schoolName, county))).start();
        province.awaitReady(DistributionIT.BOOT);
        county.awaitReady(DistributionIT.BOOT);
        school.awaitReady(DistributionIT.BOOT);
        Tree tree = new Tree(province.adminPassword(), county.adminPassword(), school.adminPassword());
        enroll(county, tree.county(), province, tree.province());
        enroll(school, tree.school(), county, tree.county());
        return tree;
    }

    static KarafNode fast(KarafNode node) throws java.io.IOException {
        java.nio.file.Files.writeString(
                node.home().resolve("etc/org.edufed.exchange.cfg"),
                "pull.interval.ms = 500\npush.interval.ms = 500\nheartbeat.interval.ms = 1000\naudit.interval.ms = 1000\n",
                StandardCharsets.UTF_8);
        return node;
    }

    static Map<String, String> cfg(String level, String code, String name, KarafNode parent) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("level", level);
        m.put("code", code);
        m.put("name", name);
        m.put("parent.url", parent.baseUrl());
        return m;
    }

    static void enroll(KarafNode child, String childPassword, KarafNode parent, String parentPassword)
            throws Exception {
        HttpResponse<String> t =
                parent.postJson("/api/v1/federation/tokens", "admin", parentPassword, "{\"validityMinutes\":10}");
        assertEquals(201, t.statusCode(), t.body());
        String token = KarafNode.json(t).path("token").asText();
        HttpResponse<String> e = child.postJson(
                "/api/v1/federation/enroll",
                "admin",
                childPassword,
                "{\"parentUrl\":\"" + parent.baseUrl() + "\",\"token\":\"" + token + "\"}");
        assertEquals(200, e.statusCode(), e.body());
    }

    static void put(KarafNode node, String password, String key, String value, String mode, int expected)
            throws Exception {
        HttpResponse<String> r = node.sendJson(
                "PUT",
                "/api/v1/settings/" + key,
                "admin",
                password,
                "{\"value\":\"" + value + "\",\"mode\":\"" + mode + "\"}");
        assertEquals(expected, r.statusCode(), r.body());
    }

    /** One upward record of the played county 510199, as its outbox would send it. */
    static String upBatch(long outboxId, long version) {
        return "{\"items\":[{\"id\":" + outboxId + ",\"topic\":\"reports\",\"globalId\":\"510199:r1\","
                + "\"origin\":\"510199\",\"version\":" + version + ",\"deleted\":false,"
                + "\"payload\":\"{\\\"title\\\":\\\"v" + version + "\\\"}\"}]}";
    }

    static String status(HttpResponse<String> answer) throws Exception {
        assertEquals(200, answer.statusCode(), answer.body());
        return KarafNode.json(answer).path("results").get(0).path("status").asText();
    }

    /** Gives the user one role over one unit (replacing the user's grants). */
    static void grant(KarafNode node, String password, String user, String role, String unit, boolean subtree)
            throws Exception {
        HttpResponse<String> r = node.sendJson(
                "PUT",
                "/api/v1/accounts/" + user + "/grants",
                "admin",
                password,
                "{\"grants\":[{\"role\":\"" + role + "\",\"unit\":\"" + unit + "\",\"subtree\":" + subtree + "}]}");
        assertEquals(204, r.statusCode(), r.body());
    }

    static JsonNode reports(KarafNode node, String password) throws Exception {
        return KarafNode.json(node.get("/api/v1/reports", "admin", password));
    }

    static JsonNode setting(KarafNode node, String password, String key) throws Exception {
        HttpResponse<String> r = node.get("/api/v1/settings/" + key, "admin", password);
        return r.statusCode() == 200 ? KarafNode.json(r) : null;
    }

    static <T> T await(Callable<T> probe) throws Exception {
        return await(probe, () -> "");
    }

    /** {@link #await(Callable)}, saying in the failure what {@code diagnostics} find then. */
    static <T> T await(Callable<T> probe, Callable<String> diagnostics) throws Exception {
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        while (System.nanoTime() < deadline) {
            T value = probe.call();
            if (value != null) {
                return value;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("did not converge within " + CONVERGE + diagnostics.call());
    }

    /** A node's WARN and ERROR lines and what it logged of SSO and of its pushes, for a failure's message. */
    static String exchangeLines(String log) {
        return log.lines()
                .filter(l ->
                        l.contains("| WARN ") || l.contains("| ERROR ") || l.contains("SSO:") || l.contains("Pushed "))
                .collect(Collectors.joining("\n"));
    }

    /**
     * For a failure's message in a tree of three nodes: the {@code first} answers, then where the exchange stood —
     * the province's tree, the county's and the school's sync status and dead letters — and each node's
     * {@linkplain #exchangeLines lines} of it.
     */
    static String treeDiagnostics(
            KarafNode province, String pp, KarafNode county, String cp, KarafNode school, String sp, Object... first)
            throws Exception {
        List<Object> answers = new ArrayList<>(List.of(first));
        answers.addAll(List.of(
                province.get("/api/v1/federation/tree", "admin", pp),
                county.get("/api/v1/federation/status", "admin", cp),
                county.get("/api/v1/federation/dead", "admin", cp),
                school.get("/api/v1/federation/status", "admin", sp),
                school.get("/api/v1/federation/dead", "admin", sp),
                exchangeLines(province.log()),
                exchangeLines(county.log()),
                exchangeLines(school.log())));
        return diagnose(answers.toArray());
    }

    /** What the nodes answered and logged (the end of each), for a failure's message. */
    static String diagnose(Object... answers) {
        StringBuilder out = new StringBuilder();
        for (Object a : answers) {
            String text = a instanceof HttpResponse<?> r
                    ? r.uri().getPath() + " " + r.statusCode() + ": " + r.body()
                    : String.valueOf(a);
            out.append("\n--- ").append(text.length() > 6000 ? "…" + text.substring(text.length() - 6000) : text);
        }
        return out.toString();
    }

    /** A request signed the way EduFed nodes sign them, with the test's own key. */
    static HttpRequest.Builder signed(
            KarafNode to, KeyPair keys, String method, String pathAndQuery, byte[] body, long time, String nonce)
            throws Exception {
        byte[] payload = body == null ? new byte[0] : body;
        String digest = Base64.getEncoder()
                .encodeToString(MessageDigest.getInstance("SHA-256").digest(payload));
        String toSign = method + "\n" + pathAndQuery + "\n" + time + "\n" + nonce + "\n" + digest;
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(keys.getPrivate());
        s.update(toSign.getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(to.baseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .header("X-EduFed-Node", "510199")
                .header("X-EduFed-Time", Long.toString(time))
                .header("X-EduFed-Nonce", nonce)
                .header("X-EduFed-Signature", Base64.getEncoder().encodeToString(s.sign()))
                .header("Content-Type", "application/json");
        return "GET".equals(method) ? b.GET() : b.method(method, HttpRequest.BodyPublishers.ofByteArray(payload));
    }
}
