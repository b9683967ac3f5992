package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * SAML with an independent implementation, pysaml2 (Debian's python3-pysaml2, signing with xmlsec1), on both sides:
 * as the external IdP of a node, and as a service provider outside the tree registered at the province's IdP.
 *
 * <p>As the external IdP of a node, configured the way an operator would (its metadata as the inherited item). pysaml2 reads the
 * node's metadata and checks the node's AuthnRequest signature; the node admits the user pysaml2 vouches for, and
 * refuses the same response signed with RSA-SHA1.
 */
class InteropIT {

    static final Path SCRIPT = Path.of(System.getProperty("edufed.dist.dir", "../distributions"))
            .getParent()
            .resolve("itests/interop/pysaml2_idp.py");

    static String python(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/python3", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("pysaml2_idp.py " + args[0] + " failed: " + err);
        }
        return out;
    }

    @Test
    void anIndependentIdpSignsOnToANode() throws Exception {
        boolean ready = Files.isExecutable(Path.of("/usr/bin/xmlsec1"))
                && Files.isDirectory(Path.of("/usr/lib/python3/dist-packages/saml2"));
        if (!ready && (System.getenv("EDUFED_REQUIRE_BROWSER") != null || "true".equals(System.getenv("CI")))) {
            throw new AssertionError("the interop test needs Debian's python3-pysaml2 and xmlsec1");
        }
        Assumptions.assumeTrue(ready, "python3-pysaml2 and xmlsec1 are not installed");
        Path dir = Files.createTempDirectory("edufed-pysaml2");
        try (KarafNode province = KarafNode.unpack("province", "interop-province")) {
            province.identity("510000", "四川省教育厅").start().awaitReady(DistributionIT.BOOT);
            String pw = province.adminPassword();
            Path spMetadata = dir.resolve("sp.xml");
            Files.writeString(
                    spMetadata, province.get("/saml/sp/metadata", null, null).body());

            // the operator configures the external IdP: its metadata as the inherited item, locked
            String idpMetadata = python(Map.of(), "metadata", dir.toString(), spMetadata.toString());
            String body = KarafNode.JSON.writeValueAsString(Map.of("value", idpMetadata, "mode", "locked"));
            HttpResponse<String> put =
                    province.sendJson("PUT", "/api/v1/inherited/security.saml/idp.metadata", "admin", pw, body);
            assertEquals(200, put.statusCode(), put.body());

            HttpClient browser = HttpClient.newBuilder()
                    .cookieHandler(new CookieManager())
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            // the node sends the browser to the external IdP (which the test plays with pysaml2)
            String toIdp = FederationIT.await(() -> {
                HttpResponse<String> r = browser.send(
                        HttpRequest.newBuilder(URI.create(province.baseUrl() + "/saml/sp/login?return=/console/"))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                String loc = r.headers().firstValue("Location").orElse("");
                return loc.startsWith("https://idp.example.test/sso?") ? loc : null;
            });
            JsonNode sha1 = KarafNode.JSON.readTree(
                    python(Map.of("SHA1", "1"), "respond", dir.toString(), spMetadata.toString(), toIdp));
            HttpResponse<String> refused = post(browser, sha1);
            assertEquals(401, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("签名无效"), refused.body());

            String again = browser.send(
                            HttpRequest.newBuilder(URI.create(province.baseUrl() + "/saml/sp/login?return=/console/"))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .headers()
                    .firstValue("Location")
                    .orElseThrow();
            JsonNode answer =
                    KarafNode.JSON.readTree(python(Map.of(), "respond", dir.toString(), spMetadata.toString(), again));
            HttpResponse<String> accepted = post(browser, answer);
            assertEquals(303, accepted.statusCode(), accepted.body());
            assertEquals("/console/", accepted.headers().firstValue("Location").orElse(""));
            HttpResponse<String> console = browser.send(
                    HttpRequest.newBuilder(URI.create(province.baseUrl() + "/console/"))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            // logged in, as li@idp.example.test; an external IdP releases no EduFed roles, so the node's own
            // administrator decides what the account may see (403 on the overview until then)
            assertEquals(403, console.statusCode(), console.body());
            assertTrue(console.body().contains("li@idp.example.test"), console.body());
            String audit = province.get("/api/v1/audit?limit=100", "admin", pw).body();
            assertTrue(audit.contains("sso.badSignature") && audit.contains("via https://idp.example.test/idp"), audit);
        } finally {
            KarafNode.deleteTreeQuietly(dir);
        }
    }

    static final Path SP_SCRIPT = SCRIPT.resolveSibling("pysaml2_sp.py");

    /** Runs pysaml2_sp.py; its output, or null when it exits non-zero (a response it does not verify). */
    static String sp(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/python3", SP_SCRIPT.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("pysaml2_sp.py " + args[0] + " did not end");
        }
        if (p.exitValue() != 0) {
            if (args[0].equals("verify")) {
                return null;
            }
            throw new AssertionError("pysaml2_sp.py " + args[0] + " failed: " + err);
        }
        return out;
    }

    /**
     * A service provider outside the tree (a portal, played by pysaml2) registered at the province's IdP through
     * {@code PUT /api/v1/sso/sps/{name}}: refused before registration and after removal; once registered, its
     * signed AuthnRequest is answered with a Response that pysaml2's own code verifies (signatures, audience,
     * InResponseTo, destination); its unsigned request and a tampered response are refused. Bad registrations
     * (no signing certificate, a node's entity ID, not metadata, not an administrator) are refused and audited.
     */
    @Test
    void theProvinceIdpAnswersARegisteredIndependentSp() throws Exception {
        boolean ready = Files.isExecutable(Path.of("/usr/bin/xmlsec1"))
                && Files.isDirectory(Path.of("/usr/lib/python3/dist-packages/saml2"));
        if (!ready && (System.getenv("EDUFED_REQUIRE_BROWSER") != null || "true".equals(System.getenv("CI")))) {
            throw new AssertionError("the interop test needs Debian's python3-pysaml2 and xmlsec1");
        }
        Assumptions.assumeTrue(ready, "python3-pysaml2 and xmlsec1 are not installed");
        Path dir = Files.createTempDirectory("edufed-pysaml2-sp");
        try (KarafNode province = KarafNode.unpack("province", "interop-sp-province")) {
            province.identity("510000", "四川省教育厅").start().awaitReady(DistributionIT.BOOT);
            String pw = province.adminPassword();
            String zp = AuthorizationIT.createUser(province, pw, "zhang", "[\"viewer\"]");
            Path idpMetadata = dir.resolve("idp.xml");
            Files.writeString(
                    idpMetadata, province.get("/saml/idp/metadata", null, null).body());
            String spMetadata = sp(Map.of(), "metadata", dir.toString(), idpMetadata.toString());
            ConsoleSession browser = ConsoleSession.login(province, "zhang", zp);

            // not registered yet: the IdP does not answer it
            assertEquals(
                    400,
                    idpAnswer(browser, province, dir, idpMetadata, Map.of())
                            .page()
                            .statusCode());

            // registrations refused, each with a problem body, and audited
            String noCertificate = spMetadata.replaceAll("(?s)<ns0:KeyDescriptor.*</ns0:KeyDescriptor>", "");
            String nodeEntity = province.get("/saml/sp/metadata", null, null).body();
            Object[][] refused = {
                {"portal", noCertificate, "admin", pw, 400, "签名证书"},
                {"own", nodeEntity, "admin", pw, 409, "已被本联邦的节点使用"},
                {"portal", "<not-metadata/>", "admin", pw, 400, "元数据无效"},
                {"Bad Name", spMetadata, "admin", pw, 400, "名称"},
                {"portal", spMetadata, "zhang", zp, 403, null},
            };
            for (Object[] r : refused) {
                HttpResponse<String> put = province.send(
                        "PUT",
                        "/api/v1/sso/sps/"
                                + URLEncoder.encode((String) r[0], StandardCharsets.UTF_8)
                                        .replace("+", "%20"),
                        (String) r[2],
                        (String) r[3],
                        (String) r[1],
                        "application/samlmetadata+xml");
                assertEquals(r[4], put.statusCode(), r[0] + ": " + put.body());
                assertTrue(put.headers().firstValue("Content-Type").orElse("").contains("json"), put.body());
                if (r[5] != null) {
                    assertTrue(put.body().contains((String) r[5]), put.body());
                }
            }

            // registered: listed, audited, and its signed AuthnRequest answered
            HttpResponse<String> put = province.send(
                    "PUT", "/api/v1/sso/sps/portal", "admin", pw, spMetadata, "application/samlmetadata+xml");
            assertEquals(201, put.statusCode(), put.body());
            JsonNode listed = KarafNode.json(province.get("/api/v1/sso/sps", "admin", pw));
            assertEquals(1, listed.size(), listed.toString());
            assertEquals(
                    "https://portal.example.test/sp",
                    listed.get(0).path("entityId").asText());
            assertEquals(
                    "https://portal.example.test/acs", listed.get(0).path("acs").asText());
            assertTrue(listed.get(0).path("served").asBoolean(), listed.toString());

            Answer answer = idpAnswer(browser, province, dir, idpMetadata, Map.of());
            assertEquals(200, answer.page().statusCode(), answer.page().body());
            assertEquals(
                    "https://portal.example.test/acs",
                    SsoIT.group(SsoIT.ACTION, answer.page().body()));
            String response = SsoIT.group(SsoIT.RESPONSE, answer.page().body());
            String verified = sp(Map.of(), "verify", dir.toString(), idpMetadata.toString(), answer.id(), response);
            assertTrue(verified != null, "pysaml2 refused the IdP's response");
            JsonNode login = KarafNode.JSON.readTree(verified);
            assertEquals("zhang@510000", login.path("name_id").asText(), login.toString());
            assertEquals(
                    province.baseUrl() + "/saml/idp/metadata",
                    login.path("issuer").asText());
            assertEquals(answer.id(), login.path("in_response_to").asText());
            JsonNode attributes = login.path("attributes");
            assertEquals(
                    "zhang",
                    attributes.path("urn:oid:0.9.2342.19200300.100.1.1").get(0).asText(),
                    login.toString());
            assertEquals("510000", attributes.path("urn:oid:2.5.4.11").get(0).asText(), login.toString());
            assertTrue(attributes.path("urn:edufed:attribute:roles").toString().contains("viewer"), login.toString());

            // the same response with another user in it: pysaml2 refuses it (the signature covers the NameID)
            String tampered = SsoIT.tamper(response, d -> {
                d.getElementsByTagNameNS(SsoIT.SAML, "NameID").item(0).setTextContent("admin@510000");
                return d;
            });
            assertEquals(null, sp(Map.of(), "verify", dir.toString(), idpMetadata.toString(), answer.id(), tampered));
            // …and one for a request it never sent
            Answer other = idpAnswer(browser, province, dir, idpMetadata, Map.of());
            String otherResponse = SsoIT.group(SsoIT.RESPONSE, other.page().body());
            assertEquals(
                    null, sp(Map.of(), "verify", dir.toString(), idpMetadata.toString(), answer.id(), otherResponse));

            // an unsigned AuthnRequest of the registered SP: refused
            assertEquals(
                    400,
                    idpAnswer(browser, province, dir, idpMetadata, Map.of("UNSIGNED", "1"))
                            .page()
                            .statusCode());

            // removed: refused again
            assertEquals(
                    204,
                    province.sendJson("DELETE", "/api/v1/sso/sps/portal", "admin", pw, null)
                            .statusCode());
            assertEquals(
                    404,
                    province.sendJson("DELETE", "/api/v1/sso/sps/portal", "admin", pw, null)
                            .statusCode());
            assertEquals(
                    400,
                    idpAnswer(browser, province, dir, idpMetadata, Map.of())
                            .page()
                            .statusCode());
            String audit = province.get("/api/v1/audit?limit=200", "admin", pw).body();
            assertTrue(audit.contains("sso.sp.register") && audit.contains("sso.sp.remove"), audit);
            assertTrue(audit.contains("sso.sp.noCertificate") && audit.contains("sso.sp.nodeEntity"), audit);
            assertTrue(audit.contains("sso.unknownSp") && audit.contains("sso.unsigned"), audit);
        } finally {
            KarafNode.deleteTreeQuietly(dir);
        }
    }

    /** A request pysaml2 made and the IdP's page for it (the browser being logged in at the province). */
    record Answer(String id, HttpResponse<String> page) {}

    static Answer idpAnswer(ConsoleSession browser, KarafNode idp, Path dir, Path idpMetadata, Map<String, String> env)
            throws Exception {
        JsonNode request = KarafNode.JSON.readTree(sp(env, "request", dir.toString(), idpMetadata.toString()));
        String url = request.path("url").asText();
        assertTrue(url.startsWith(idp.baseUrl() + "/saml/idp/sso?"), url);
        return new Answer(
                request.path("id").asText(),
                browser.get(url.substring(idp.baseUrl().length())));
    }

    static HttpResponse<String> post(HttpClient browser, JsonNode answer) throws Exception {
        String form = "SAMLResponse="
                + URLEncoder.encode(answer.path("SAMLResponse").asText(), StandardCharsets.UTF_8)
                + (answer.path("RelayState").isTextual()
                        ? "&RelayState="
                                + URLEncoder.encode(answer.path("RelayState").asText(), StandardCharsets.UTF_8)
                        : "");
        return browser.send(
                HttpRequest.newBuilder(URI.create(answer.path("action").asText()))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
