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
 * SAML with an independent implementation: pysaml2 (Debian's python3-pysaml2, signing with xmlsec1) as the external
 * IdP of a node, configured the way an operator would (its metadata as the inherited item). pysaml2 reads the
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
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(f -> f.toFile().delete());
            }
        }
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
