package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The authorisation matrix of a real node, generated from the operations it declares ({@code GET
 * /api/v1/operations}): every operation × anonymous and each role's user — refused (401/403) exactly when the
 * role lacks the permission, never a 5xx — and a corpus of hostile input (SQL injection, script, path
 * traversal, oversize, malformed and wrongly typed bodies) against every operation: a JSON answer, never a
 * 5xx or a stack trace.
 */
class AuthorizationIT {

    /** Operations any logged-in user may call on their own account. */
    static final Set<String> OWN_ACCOUNT =
            Set.of("GET /account", "POST /account/password", "POST /account/sessions/end");

    /** Values for path parameters: one that exists where it matters, others made up. */
    static String fill(String path) {
        return path.replace("{topic}", "settings").replace("{id}", "1").replaceAll("\\{[^}]+}", "x");
    }

    /** Shiro wildcard implication, as the node applies it: {@code a:b} implies {@code a:b:c}; {@code *} anything. */
    static boolean implies(String granted, String wanted) {
        String[] g = granted.split(":");
        String[] w = wanted.split(":");
        for (int i = 0; i < g.length; i++) {
            if (g[i].equals("*")) {
                continue;
            }
            if (i >= w.length || !Set.of(g[i].split(",")).contains(w[i])) {
                return false;
            }
        }
        return true;
    }

    @Test
    void everyOperationIsCheckedForEveryRoleAndHostileInputNeverBreaksIt() throws Exception {
        try (KarafNode province = KarafNode.unpack("province", "authz")) {
            province.identity("510000", "四川省教育厅").start().awaitReady(DistributionIT.BOOT);
            String admin = province.adminPassword();
            JsonNode ops = KarafNode.json(province.get("/api/v1/operations", "admin", admin));
            assertTrue(ops.size() > 30, "operations listed: " + ops.size());

            // a user per role, each logged in once to replace its one-time password
            Map<String, Set<String>> permissions = new LinkedHashMap<>();
            for (JsonNode role : KarafNode.json(province.get("/api/v1/accounts/roles", "admin", admin))) {
                Set<String> perms = new java.util.HashSet<>();
                role.path("permissions").forEach(p -> perms.add(p.asText()));
                permissions.put(role.path("name").asText(), perms);
            }
            assertTrue(permissions.keySet().containsAll(Set.of("admin", "viewer", "auditor")), permissions.toString());
            Map<String, String> passwords = new LinkedHashMap<>();
            for (String role : permissions.keySet()) {
                passwords.put(role, createUser(province, admin, "u-" + role, "[\"" + role + "\"]"));
            }

            // in scope and out of scope: two departments; a user holding admin over the first one only
            for (String d : List.of("d1", "d2")) {
                assertEquals(
                        201,
                        province.postJson(
                                        "/api/v1/org/units",
                                        "admin",
                                        admin,
                                        "{\"code\":\"" + d + "\",\"name\":\"处室 " + d + "\",\"kind\":\"department\"}")
                                .statusCode());
            }
            String scoped = createUser(province, admin, "u-scoped", "[]");
            HttpResponse<String> granted = province.sendJson(
                    "PUT",
                    "/api/v1/accounts/u-scoped/grants",
                    "admin",
                    admin,
                    "{\"grants\":[{\"role\":\"admin\",\"unit\":\"510000-d1\",\"subtree\":true}]}");
            assertEquals(204, granted.statusCode(), granted.body());
            assertEquals(
                    201,
                    province.postJson("/api/v1/reports", "admin", admin, "{\"title\":\"省报告\",\"content\":{}}")
                            .statusCode());

            List<String> failures = new ArrayList<>();
            int bodiesRefused = 0;
            for (JsonNode op : ops) {
                String method = op.path("method").asText();
                String template = op.path("path").asText();
                String permission = op.path("permission").isNull()
                        ? null
                        : op.path("permission").asText(null);
                boolean open = op.path("publicEndpoint").asBoolean();
                String name = method + " " + template;
                if (!open && permission == null && !OWN_ACCOUNT.contains(name)) {
                    failures.add(name + ": neither public nor checked");
                }
                if (name.equals("POST /federation/key/rotate") || name.equals("DELETE /federation/children/{code}")) {
                    continue; // changes the node's identity or tree; covered by FederationIT
                }
                String path = "/api/v1" + fill(template);
                String body = method.equals("GET") || method.equals("DELETE") ? null : "{}";
                // the media type the operation takes (JSON unless it says otherwise)
                List<String> consumes = new ArrayList<>();
                op.path("consumes").forEach(c -> consumes.add(c.asText()));
                String type = consumes.isEmpty() || consumes.contains("application/json") || consumes.contains("*/*")
                        ? "application/json"
                        : consumes.get(0);

                int anonymous =
                        province.sendJson(method, path, null, null, body).statusCode();
                if (!open && anonymous != 401) {
                    failures.add(name + ": anonymous got " + anonymous);
                }
                if (anonymous >= 500) {
                    failures.add(name + ": anonymous got " + anonymous);
                }
                // authentication comes before matching: a wrong Content-Type or Accept tells an anonymous caller
                // nothing (401, not 415 or 406)
                HttpResponse<String> wrongType = province.raw(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(province.baseUrl() + path))
                                .header("Content-Type", "text/plain")
                                .header("Accept", "image/png")
                                .method(
                                        method,
                                        body == null
                                                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                                                : java.net.http.HttpRequest.BodyPublishers.ofString("x")));
                if ((!open && wrongType.statusCode() != 401) || wrongType.statusCode() >= 500) {
                    failures.add(
                            name + ": anonymous with a wrong Content-Type and Accept got " + wrongType.statusCode());
                }
                for (Map.Entry<String, String> user :
                        open ? Map.<String, String>of().entrySet() : passwords.entrySet()) {
                    String wanted = permission == null ? null : permission.replace("{topic}", "settings");
                    boolean allowed = wanted == null
                            || permissions.get(user.getKey()).stream().anyMatch(g -> implies(g, wanted));
                    HttpResponse<String> r =
                            province.send(method, path, "u-" + user.getKey(), user.getValue(), body, type);
                    int status = r.statusCode();
                    if (status >= 500 || (allowed && (status == 401 || status == 403)) || (!allowed && status != 403)) {
                        failures.add(name + " as " + user.getKey() + " (" + (allowed ? "allowed" : "denied") + "): "
                                + status + " " + r.body());
                    }
                }
                // the scoped administrator: refused where the whole node is needed, let in where the answer is
                // filtered by scope, and over a named unit exactly when it lies in the granted subtree
                String unit = op.path("unit").asText("");
                if (!open && permission != null) {
                    Map<String, Boolean> cases = new LinkedHashMap<>();
                    if (unit.isEmpty()) {
                        cases.put(path, false);
                    } else if (unit.equals("*")) {
                        cases.put(path, true);
                    } else {
                        String param = unit.substring(1, unit.length() - 1);
                        boolean inPath = template.contains(unit);
                        for (String[] u : new String[][] {{"510000-d1", "true"}, {"510000-d2", "false"}}) {
                            String p = inPath
                                    ? "/api/v1" + fill(template.replace(unit, u[0]))
                                    : path + (path.contains("?") ? "&" : "?") + param + "=" + u[0];
                            cases.put(p, Boolean.parseBoolean(u[1]));
                        }
                    }
                    for (Map.Entry<String, Boolean> c : cases.entrySet()) {
                        int status = province.send(method, c.getKey(), "u-scoped", scoped, body, type)
                                .statusCode();
                        if (status >= 500
                                || (c.getValue() && (status == 401 || status == 403))
                                || (!c.getValue() && status != 403)) {
                            failures.add(name + " as the scoped administrator at " + c.getKey() + " ("
                                    + (c.getValue() ? "in scope" : "out of scope") + "): " + status);
                        }
                    }
                }
                // the administrator with a wrong Content-Type: a 4xx problem body, never a 5xx
                if (!open && body != null) {
                    HttpResponse<String> r = province.raw(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(province.baseUrl() + path))
                                    .header("Content-Type", "application/xml")
                                    .header("Authorization", KarafNode.basic("admin", admin))
                                    .method(method, java.net.http.HttpRequest.BodyPublishers.ofString("<x/>")));
                    if (r.statusCode() >= 500
                            || (r.statusCode() >= 400
                                    && !r.headers()
                                            .firstValue("Content-Type")
                                            .orElse("")
                                            .contains("json"))) {
                        failures.add(name + " as admin with a wrong Content-Type: " + r.statusCode() + " " + r.body());
                    }
                }
                // a body longer than the operation takes: 413 with a problem naming the limit, whoever sends it
                // (operations that take more than the default, files and node-to-node batches, are not sent theirs)
                long limit = op.path("bodyLimit").asLong();
                if (body != null && limit == 4L << 20) {
                    byte[] large = new byte[(int) limit + 1];
                    java.util.Arrays.fill(large, (byte) ' ');
                    HttpResponse<String> r = province.raw(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(province.baseUrl() + path))
                                    .header("Content-Type", type)
                                    .header("Authorization", KarafNode.basic("admin", admin))
                                    .method(method, java.net.http.HttpRequest.BodyPublishers.ofByteArray(large)));
                    boolean refused = r.statusCode() == 413
                            && r.body().contains("too-large")
                            && r.body().contains("4 MB");
                    // an operation that refuses the caller first (403: needs a unit the administrator named wrong)
                    // or takes no body at all is fine; none may read it or fail
                    if (!refused && (r.statusCode() < 400 || r.statusCode() >= 500)) {
                        failures.add(name + " with a body of 4 MB + 1 byte: " + r.statusCode() + " "
                                + r.body().substring(0, Math.min(200, r.body().length())));
                    }
                    if (!open) {
                        bodiesRefused += refused ? 1 : 0;
                    }
                }
                // hostile input, as the administrator (who passes every check and reaches the code)
                for (String[] attack : attacks()) {
                    String p = "/api/v1" + template.replaceAll("\\{[^}]+}", attack[0]);
                    String b = method.equals("GET") || method.equals("DELETE") ? null : attack[1];
                    HttpResponse<String> r = province.send(method, p, "admin", admin, b, type);
                    String answered = r.headers().firstValue("Content-Type").orElse("");
                    if (r.statusCode() == 400 && r.body().startsWith("<h1>Bad Message 400</h1>")) {
                        continue; // Jetty refuses an ambiguous URI (an encoded ../ or /) before any EduFed code runs
                    }
                    if (r.statusCode() >= 500
                            || r.body().contains("Exception")
                            || r.body().contains("\tat ")
                            || (!r.body().isEmpty() && !answered.contains("json"))) {
                        failures.add(name + " with " + attack[2] + ": " + r.statusCode() + " " + r.body());
                    }
                }
            }
            assertEquals(List.of(), failures, String.join("\n", failures));
            assertTrue(bodiesRefused > 20, "operations that refused a body of 4 MB + 1 byte: " + bodiesRefused);
            // a body of no stated length (chunked) is refused as it is read, at the first byte beyond the limit
            HttpResponse<String> chunked = province.raw(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(province.baseUrl() + "/api/v1/reports"))
                    .header("Content-Type", "application/json")
                    .header("Accept-Language", "en")
                    .header("Authorization", KarafNode.basic("admin", admin))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.InputStream() {
                        private long left = 6L << 20;

                        @Override
                        public int read() {
                            return left-- > 0 ? ' ' : -1;
                        }
                    })));
            assertEquals(413, chunked.statusCode(), chunked.body());
            assertTrue(chunked.body().contains("larger than this operation takes (4 MB)"), chunked.body());

            // data is filtered by scope: the province's own report is outside the department
            assertTrue(KarafNode.json(province.get("/api/v1/reports", "admin", admin))
                            .size()
                    >= 1);
            assertEquals(
                    0,
                    KarafNode.json(province.get("/api/v1/reports", "u-scoped", scoped))
                            .size());
            assertEquals(
                    403,
                    province.get("/api/v1/reports?origin=510000", "u-scoped", scoped)
                            .statusCode());
            // the denials are in the audit trail
            assertTrue(KarafNode.json(province.get("/api/v1/audit?action=access", "admin", admin))
                            .size()
                    > 0);

            // API answers carry the security headers
            HttpResponse<String> node = province.get("/api/v1/node", "admin", admin);
            assertEquals(
                    "nosniff",
                    node.headers().firstValue("X-Content-Type-Options").orElse(""));
            assertEquals("DENY", node.headers().firstValue("X-Frame-Options").orElse(""));
            assertEquals("no-store", node.headers().firstValue("Cache-Control").orElse(""));

            // the console: every registered page × anonymous and each role's user, logged in through the console's
            // form — the page when the role holds its permission, 403 otherwise, the login page for nobody
            JsonNode pages = KarafNode.json(province.get("/api/v1/operations/console", "admin", admin));
            assertTrue(pages.size() >= 5, "console pages listed: " + pages);
            java.net.http.HttpClient anonymous = java.net.http.HttpClient.newBuilder()
                    .followRedirects(java.net.http.HttpClient.Redirect.NEVER)
                    .build();
            Map<String, ConsoleSession> consoles = new LinkedHashMap<>();
            for (Map.Entry<String, String> user : passwords.entrySet()) {
                consoles.put(
                        user.getKey(), ConsoleSession.loginLanding(province, "u-" + user.getKey(), user.getValue()));
            }
            List<String> consoleFailures = new ArrayList<>();
            int consoleCases = 0;
            for (JsonNode page : pages) {
                String path = "/console/" + page.path("path").asText();
                String permission = page.path("permission").asText("");
                if (permission.isBlank()
                        || page.path("submitPermission").asText("").isBlank()) {
                    consoleFailures.add(path + ": declares no permission");
                    continue;
                }
                java.net.http.HttpResponse<String> nobody = anonymous.send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(province.baseUrl() + path))
                                .GET()
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                consoleCases++;
                String to = nobody.headers().firstValue("Location").orElse("");
                if (nobody.statusCode() / 100 != 3 || !(to.contains("/console/login") || to.contains("/saml/"))) {
                    consoleFailures.add(path + " as anonymous: " + nobody.statusCode());
                }
                for (Map.Entry<String, ConsoleSession> c : consoles.entrySet()) {
                    boolean allowed = permissions.get(c.getKey()).stream().anyMatch(g -> implies(g, permission));
                    HttpResponse<String> r = c.getValue().get(path);
                    consoleCases++;
                    boolean atLogin = r.uri().getPath().endsWith("/login");
                    // the overview refuses no one who may see another page: they land on the first page of their menu
                    boolean landedElsewhere = !allowed
                            && path.equals("/console/")
                            && r.statusCode() == 200
                            && !r.uri().getPath().equals("/console/");
                    if (atLogin || (r.statusCode() != (allowed ? 200 : 403) && !landedElsewhere)) {
                        consoleFailures.add(path + " as " + c.getKey() + " (" + (allowed ? "allowed" : "denied") + "): "
                                + r.statusCode() + (atLogin ? " at the login page" : ""));
                    }
                }
            }
            assertEquals(List.of(), consoleFailures, String.join("\n", consoleFailures));
            System.out.println("AuthorizationIT: " + ops.size() + " operations, " + pages.size() + " console pages, "
                    + consoleCases + " console cases");

            // guessing from one address, across accounts: refused after 30 failures in a minute, even with the
            // right password, with a problem in the user's language and Retry-After (last: it shuts this address)
            int refused = 0;
            for (int i = 0; i < 35; i++) {
                int status = province.get("/api/v1/node", "guess" + i, "wrong-password-" + i)
                        .statusCode();
                if (status == 429) {
                    refused++;
                } else {
                    assertEquals(401, status);
                }
            }
            assertEquals(5, refused, "the 31st to 35th attempts are refused");
            HttpResponse<String> throttled = province.get("/api/v1/node", "admin", admin);
            assertEquals(429, throttled.statusCode(), throttled.body());
            assertTrue(throttled.body().contains("登录失败次数过多"), throttled.body());
            assertTrue(throttled.headers().firstValue("Retry-After").isPresent());
        }
    }

    /** Creates an account with the roles (a JSON array), replaces its one-time password; returns the password. */
    static String createUser(KarafNode node, String admin, String user, String roles) throws Exception {
        HttpResponse<String> created = node.postJson(
                "/api/v1/accounts",
                "admin",
                admin,
                "{\"username\":\"" + user + "\",\"displayName\":\"测试 " + user + "\",\"roles\":" + roles + "}");
        assertEquals(201, created.statusCode(), created.body());
        String oneTime = KarafNode.json(created).path("oneTimePassword").asText();
        String password = "Matrix-" + user.substring(2) + "-2027x"; // never containing the user name
        assertEquals(
                204,
                node.postJson(
                                "/api/v1/account/password",
                                user,
                                oneTime,
                                "{\"current\":\"" + oneTime + "\",\"replacement\":\"" + password + "\"}")
                        .statusCode());
        return password;
    }

    /** {path parameter, body, name}: hostile values in both places. */
    static List<String[]> attacks() {
        String big = "a".repeat(1_000_000);
        return List.of(
                new String[] {
                    "x'%20OR%20'1'='1",
                    "{\"key\":\"x' OR '1'='1\",\"value\":\"1; DROP TABLE edufed_account;--\"}",
                    "SQL injection"
                },
                new String[] {
                    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                    "{\"value\":\"<script>alert(1)</script>\",\"title\":\"<script>alert(1)</script>\"}",
                    "script"
                },
                new String[] {
                    "..%2F..%2F..%2Fetc%2Fpasswd",
                    "{\"parentUrl\":\"file:///etc/passwd\",\"token\":\"../../etc/passwd\"}",
                    "path traversal"
                },
                new String[] {
                    "a".repeat(300), "{\"value\":\"" + big + "\",\"items\":[{\"key\":\"" + big + "\"}]}", "oversize"
                },
                new String[] {"x", "{\"items\":", "malformed JSON"},
                new String[] {"x", "[1,2,3]", "wrong type"},
                new String[] {
                    "x",
                    "{\"items\":[null,{\"key\":null}],\"value\":{\"a\":[]},\"roles\":\"admin\"}",
                    "nulls and wrong shapes"
                });
    }
}
