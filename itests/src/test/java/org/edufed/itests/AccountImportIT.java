package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Accounts from a CSV file at a school: every bad row reported with its line and reason in Chinese before
 * anything is created, the good rows created with their roles and grants, the one-time passwords handed over
 * once, a re-run creating nothing twice, and bad files refused whole with a problem body.
 */
class AccountImportIT {

    static final String CSV = String.join(
            "\r\n",
            "账户名,姓名,角色,授权",
            "li.hua,李华,viewer,",
            "wang.fang,王芳,viewer;auditor,org-admin@2151010001/*",
            "Bad Name,坏名字,viewer,",
            "zhao,赵六,no-such-role,",
            "qian,钱七,viewer,org-admin@2151010001-nowhere",
            "li.hua,李华（重复）,viewer,",
            "sun,孙八",
            "admin,管理员,viewer,",
            "");

    static HttpResponse<String> post(KarafNode node, String password, byte[] body, String type) throws Exception {
        return node.raw(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/v1/accounts/import"))
                .header("Content-Type", type)
                .header("Accept-Language", "zh-CN")
                .header("Authorization", KarafNode.basic("admin", password))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    @Test
    void importsTheGoodRowsReportsTheBadOnesAndHandsThePasswordsOverOnce() throws Exception {
        try (KarafNode school = KarafNode.unpack("school", "import-school")) {
            school.identity("2151010001", "锦江区示范小学").start();
            school.awaitReady(DistributionIT.BOOT);
            String pw = school.adminPassword();

            HttpResponse<String> started = post(school, pw, CSV.getBytes(StandardCharsets.UTF_8), "text/csv");
            assertEquals(202, started.statusCode(), started.body());
            String location = started.headers().firstValue("Location").orElseThrow();
            JsonNode first = KarafNode.json(started);
            assertEquals(8, first.path("total").asInt(), first.toString());
            // the bad rows are known at once, with their lines
            Map<Integer, String> expected = Map.of(
                    4,
                    "account.badName",
                    5,
                    "account.badRole",
                    6,
                    "org.notFound",
                    7,
                    "import.duplicate",
                    8,
                    "import.columns",
                    9,
                    "account.exists");
            Map<Integer, String> got = new HashMap<>();
            for (JsonNode r : first.path("rows")) {
                if (!r.path("error").isNull()) {
                    got.put(r.path("line").asInt(), r.path("error").asText());
                    assertTrue(
                            !r.path("message").asText().isBlank()
                                    && r.path("message").asText().matches(".*\\p{IsHan}.*"),
                            r.toString());
                }
            }
            assertEquals(expected, got, first.toString());

            JsonNode done = FederationIT.await(() -> {
                JsonNode j = KarafNode.json(school.get(URI.create(location).getPath(), "admin", pw));
                return "done".equals(j.path("state").asText()) ? j : null;
            });
            assertEquals(2, done.path("created").asInt(), done.toString());
            assertEquals(5, done.path("invalid").asInt(), done.toString());
            assertEquals(1, done.path("exists").asInt(), done.toString());
            assertNotNull(done.path("passwords").textValue());

            // the grants came with the account, in one go
            JsonNode grants = KarafNode.json(school.get("/api/v1/accounts/wang.fang/grants", "admin", pw));
            assertEquals("org-admin", grants.get(0).path("role").asText(), grants.toString());
            assertTrue(grants.get(0).path("subtree").asBoolean());

            // the passwords, once, as CSV; each one logs in (and must be changed first)
            HttpResponse<String> passwords = school.get(done.path("passwords").asText(), "admin", pw);
            assertEquals(200, passwords.statusCode(), passwords.body());
            assertTrue(passwords.headers().firstValue("Content-Type").orElse("").startsWith("text/csv"));
            String[] lines = passwords.body().replace("\uFEFF", "").split("\r\n");
            assertEquals(3, lines.length, passwords.body());
            for (int i = 1; i < lines.length; i++) {
                String[] cols = lines[i].split(",");
                HttpResponse<String> me = school.get("/api/v1/account", cols[0], cols[1]);
                assertEquals(200, me.statusCode(), me.body());
                assertTrue(KarafNode.json(me).path("mustChangePassword").asBoolean(), me.body());
            }
            HttpResponse<String> again = school.get(done.path("passwords").asText(), "admin", pw);
            assertEquals(410, again.statusCode(), again.body());
            assertTrue(again.body().contains("已经领取过"), again.body());

            // the same file again creates nothing twice
            HttpResponse<String> rerun = post(school, pw, CSV.getBytes(StandardCharsets.UTF_8), "text/csv");
            assertEquals(202, rerun.statusCode(), rerun.body());
            JsonNode second = KarafNode.json(rerun);
            assertEquals("done", second.path("state").asText(), second.toString());
            assertEquals(0, second.path("created").asInt());
            assertEquals(3, second.path("exists").asInt(), second.toString());

            // whole files refused with a problem body: empty, not UTF-8, no name column, too many rows, not CSV
            String big = "username,displayName\r\n" + "u,x\r\n".repeat(10_001);
            Object[][] bad = {
                {new byte[0], "text/csv", "文件为空"},
                {"账户名,姓名\r\n张三,张三\r\n".getBytes(Charset.forName("GBK")), "text/csv", "UTF-8"},
                {"姓名,角色\r\n张三,viewer\r\n".getBytes(StandardCharsets.UTF_8), "text/csv", "表头"},
                {big.getBytes(StandardCharsets.UTF_8), "text/csv", "10000"},
                {"{\"username\":\"x\"}".getBytes(StandardCharsets.UTF_8), "application/json", null},
            };
            for (Object[] b : bad) {
                HttpResponse<String> r = post(school, pw, (byte[]) b[0], (String) b[1]);
                assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, r.statusCode() + " " + r.body());
                assertTrue(r.headers().firstValue("Content-Type").orElse("").contains("json"), r.body());
                if (b[2] != null) {
                    assertTrue(r.body().contains((String) b[2]), r.body());
                }
            }
            String audit = school.get("/api/v1/audit?action=account.import&limit=10", "admin", pw)
                    .body();
            assertTrue(audit.contains("2 created"), audit);
            assertEquals(200, school.get("/api/v1/health", null, null).statusCode(), "the node is fine");

            // the console page: the accounts, a new one with its one-time password, CSV pasted in
            ConsoleSession console = ConsoleSession.login(school, "admin", pw);
            HttpResponse<String> page = console.get("/console/accounts");
            assertEquals(200, page.statusCode(), page.body());
            assertTrue(page.body().contains("wang.fang") && page.body().contains("批量导入"), page.body());
            HttpResponse<String> created = console.post(
                    "/console/accounts",
                    Map.of("action", "create", "username", "zhou", "displayName", "周九", "role.viewer", "on"),
                    ConsoleSession.csrf(page.body()));
            assertTrue(created.body().contains("已创建账户 zhou"), created.body());
            HttpResponse<String> pasted = console.post(
                    "/console/accounts",
                    Map.of("action", "import", "csv", "username,displayName,roles\nwu,吴十,viewer\nBad,坏,viewer\n"),
                    ConsoleSession.csrf(created.body()));
            assertTrue(pasted.body().contains("导入报告") && pasted.body().contains("账户名须为"), pasted.body());
            FederationIT.await(
                    () -> school.get("/api/v1/accounts", "admin", pw).body().contains("\"wu\"") ? true : null);

            // the organisation page: a grade added, a grant over it given and shown
            HttpResponse<String> org = console.get("/console/org");
            assertEquals(200, org.statusCode(), org.body());
            HttpResponse<String> added = console.post(
                    "/console/org",
                    Map.of("action", "add", "parent", "2151010001", "code", "g1", "name", "一年级", "kind", "grade"),
                    ConsoleSession.csrf(org.body()));
            assertTrue(added.body().contains("已添加机构单元 2151010001-g1"), added.body());
            HttpResponse<String> granted = console.post(
                    "/console/org",
                    Map.of("action", "grant", "username", "li.hua", "role", "viewer", "unit", "2151010001-g1"),
                    ConsoleSession.csrf(added.body()));
            assertTrue(granted.body().contains("已完成"), granted.body());
            assertTrue(school.get("/api/v1/accounts/li.hua/grants", "admin", pw)
                    .body()
                    .contains("2151010001-g1"));
            HttpResponse<String> denied = ConsoleSession.login(school, "zhou", zhouPassword(created.body()))
                    .get("/console/accounts");
            assertTrue(
                    denied.uri().getPath().endsWith("/console/password"), "a new account changes its password first");

            // a configuration change in the shell is in the audit trail (the PID, not the values)
            school.shell("config:edit org.edufed.audittest\nconfig:property-set secret s3cr3t\nconfig:update");
            String configAudit = FederationIT.await(() -> {
                String a = school.get("/api/v1/audit?action=config.change&limit=50", "admin", pw)
                        .body();
                return a.contains("org.edufed.audittest") ? a : null;
            });
            assertTrue(!configAudit.contains("s3cr3t"), configAudit);

            // log out everywhere: the three console sessions of the administrator end at once
            ConsoleSession a = ConsoleSession.login(school, "admin", pw);
            ConsoleSession b = ConsoleSession.login(school, "admin", pw);
            HttpResponse<String> ended = school.postJson("/api/v1/account/sessions/end", "admin", pw, "");
            assertEquals(200, ended.statusCode(), ended.body());
            assertEquals(3, KarafNode.json(ended).path("ended").asInt(), ended.body());
            for (ConsoleSession c : new ConsoleSession[] {a, b, console}) {
                assertTrue(c.get("/console/").uri().getPath().endsWith("/console/login"), "session still open");
            }
        }
    }

    /** The one-time password the console showed for the new account. */
    static String zhouPassword(String html) {
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("一次性密码：([^（]+)（").matcher(html);
        assertTrue(m.find(), html);
        return m.group(1).trim();
    }
}
