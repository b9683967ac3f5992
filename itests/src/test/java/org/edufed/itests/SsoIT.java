package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * SAML single sign-on across a province, a county and a school on loopback: the province is the IdP, every node
 * an SP, trust carried by the federation (IdP metadata inherited down, SP metadata reported up). A user who
 * logs in at the province console opens the county and school consoles without logging in again, with the roles
 * the province gave them as they apply at each node; a replayed or unsolicited response is refused and audited.
 */
class SsoIT {

    static final Pattern ACTION = Pattern.compile("<form id=\"saml-post\"[^>]*action=\"([^\"]+)\"");
    static final Pattern RESPONSE = Pattern.compile("name=\"SAMLResponse\" value=\"([^\"]+)\"");
    static final Pattern RELAY = Pattern.compile("name=\"RelayState\" value=\"([^\"]+)\"");

    /** A browser: one cookie store for every node, following redirects across them. */
    static HttpClient browser() {
        return HttpClient.newBuilder()
                .cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    static HttpResponse<String> get(HttpClient b, String url) throws Exception {
        return b.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> form(HttpClient b, String url, Map<String, String> fields) throws Exception {
        String body = fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return b.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String group(Pattern p, String html) {
        Matcher m = p.matcher(html);
        return m.find() ? m.group(1).replace("&amp;", "&") : null;
    }

    /** What the IdP's auto-submitted form would post: action, SAMLResponse, RelayState. */
    record Posted(String action, String response, String relay) {}

    /** Follows SSO from a node's login link to the IdP's answer page (the province session does the rest). */
    static Posted toIdp(HttpClient b, KarafNode sp, String back) throws Exception {
        HttpResponse<String> page = get(b, sp.baseUrl() + "/saml/sp/login?return=" + back);
        if (page.statusCode() != 200 || group(RESPONSE, page.body()) == null) {
            return null;
        }
        return new Posted(group(ACTION, page.body()), group(RESPONSE, page.body()), group(RELAY, page.body()));
    }

    /** Opens a URL as a browser would, posting the IdP's self-submitting form if one comes back. */
    static HttpResponse<String> landing(HttpClient b, String url) throws Exception {
        HttpResponse<String> r = get(b, url);
        String response = group(RESPONSE, r.body());
        return response == null ? r : post(b, new Posted(group(ACTION, r.body()), response, group(RELAY, r.body())));
    }

    static HttpResponse<String> post(HttpClient b, Posted p) throws Exception {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("SAMLResponse", p.response());
        if (p.relay() != null) {
            f.put("RelayState", p.relay());
        }
        return form(b, p.action(), f);
    }

    @Test
    void logInOnceAtTheProvinceAndOpenTheCountyAndSchoolConsoles() throws Exception {
        try (KarafNode province = KarafNode.unpack("province", "sso-province");
                KarafNode county = KarafNode.unpack("county", "sso-county");
                KarafNode school = KarafNode.unpack("school", "sso-school")) {
            FederationIT.Tree tree = FederationIT.startTree(province, county, school, "锦江区示范小学");
            String pp = tree.province();
            String cp = tree.county();
            String sp = tree.school();

            // metadata where the standard says, and only the province is an IdP
            HttpResponse<String> idpMeta =
                    province.raw(HttpRequest.newBuilder(URI.create(province.baseUrl() + "/saml/idp/metadata"))
                            .GET());
            assertEquals(200, idpMeta.statusCode());
            assertTrue(
                    idpMeta.body().contains("IDPSSODescriptor")
                            && idpMeta.body().contains("X509Certificate"),
                    idpMeta.body());
            assertTrue(
                    idpMeta.headers().firstValue("Content-Type").orElse("").startsWith("application/samlmetadata+xml"));
            HttpResponse<String> spMeta =
                    school.raw(HttpRequest.newBuilder(URI.create(school.baseUrl() + "/saml/sp/metadata"))
                            .GET());
            assertEquals(200, spMeta.statusCode());
            assertTrue(
                    spMeta.body().contains("SPSSODescriptor")
                            && spMeta.body().contains(school.baseUrl() + "/saml/sp/acs"),
                    spMeta.body());
            assertEquals(
                    404,
                    school.raw(HttpRequest.newBuilder(URI.create(school.baseUrl() + "/saml/idp/metadata"))
                                    .GET())
                            .statusCode());

            // zhang: a viewer of the province (and so of its subtree), org-admin of the county bureau's own unit
            String zp = AuthorizationIT.createUser(province, pp, "zhang", "[\"viewer\"]");
            FederationIT.grant(province, pp, "zhang", "org-admin", "510104", false);

            HttpClient b = browser();
            HttpResponse<String> loginForm = get(b, province.baseUrl() + "/console/login");
            assertFalse(loginForm.body().contains("sso-login"), "the IdP does not offer SSO to itself");
            HttpResponse<String> in = form(
                    b,
                    province.baseUrl() + "/console/login",
                    Map.of("username", "zhang", "password", zp, "csrf", ConsoleSession.csrf(loginForm.body())));
            assertEquals(200, in.statusCode(), in.body());
            assertFalse(in.uri().getPath().endsWith("/login"), in.uri().toString());

            // the school trusts the province once its metadata arrived; the province knows the school's SP once
            // the school's metadata went up through the county
            FederationIT.await(() ->
                    get(browser(), school.baseUrl() + "/console/login").body().contains("sso-login") ? true : null);
            Posted toSchool = FederationIT.await(
                    () -> toIdp(b, school, "/console/"),
                    () -> FederationIT.treeDiagnostics(
                            province,
                            pp,
                            county,
                            cp,
                            school,
                            sp,
                            get(b, school.baseUrl() + "/saml/sp/login?return=/console/")));
            // without a province session, opening the school console tries the IdP quietly and lands on the
            // school's login page (the IdP answers NoPassive; nothing audited as a failure)
            HttpClient stranger = browser();
            HttpResponse<String> quiet = get(stranger, school.baseUrl() + "/console/");
            Posted noPassive = new Posted(group(ACTION, quiet.body()), group(RESPONSE, quiet.body()), null);
            assertEquals(
                    school.baseUrl() + "/saml/sp/acs",
                    noPassive.action(),
                    quiet.statusCode() + " " + quiet.uri() + " " + quiet.body());
            assertEquals(
                    school.baseUrl() + "/console/login",
                    post(stranger, noPassive).uri().toString());
            assertEquals(school.baseUrl() + "/saml/sp/acs", toSchool.action());
            HttpResponse<String> landed = post(b, toSchool);
            assertEquals(200, landed.statusCode(), landed.body());
            assertEquals(school.baseUrl() + "/console/", landed.uri().toString());
            assertTrue(landed.body().contains("zhang@510000"), landed.body());

            Posted toCounty = FederationIT.await(() -> toIdp(b, county, "/console/"));
            HttpResponse<String> atCounty = post(b, toCounty);
            assertEquals(county.baseUrl() + "/console/", atCounty.uri().toString());
            assertTrue(atCounty.body().contains("zhang@510000"), atCounty.body());

            // roles as they apply at each node
            JsonNode schoolAccount = account(school, sp, "zhang@510000");
            assertEquals("[\"viewer\"]", schoolAccount.path("roles").toString(), schoolAccount.toString());
            assertEquals("[]", grants(school, sp, "zhang@510000").toString());
            JsonNode countyGrants = grants(county, cp, "zhang@510000");
            assertEquals(1, countyGrants.size(), countyGrants.toString());
            assertEquals("org-admin", countyGrants.get(0).path("role").asText());
            assertEquals("510104", countyGrants.get(0).path("unit").asText());

            // a role the school gives the federated account itself survives the next sign-on, beside the released one
            assertEquals(
                    204,
                    school.sendJson(
                                    "PUT",
                                    "/api/v1/accounts/zhang@510000/roles",
                                    "admin",
                                    sp,
                                    "{\"roles\":[\"auditor\"]}")
                            .statusCode());
            Posted again = FederationIT.await(() -> toIdp(b, school, "/console/"));
            assertEquals(200, post(b, again).statusCode());
            assertEquals(
                    "[\"auditor\",\"viewer\"]",
                    account(school, sp, "zhang@510000").path("roles").toString());
            JsonNode layers = KarafNode.json(school.get("/api/v1/accounts/zhang@510000/roles", "admin", sp));
            assertEquals("[\"auditor\"]", layers.path("roles").toString(), layers.toString());
            assertEquals("[\"viewer\"]", layers.path("releasedRoles").toString(), layers.toString());

            // forged responses at the ACS, each built from a fresh genuine one of this browser: refused, audited
            Map<String, java.util.function.UnaryOperator<org.w3c.dom.Document>> attacks = new LinkedHashMap<>();
            attacks.put("sso.unsigned", d -> {
                remove(signature(d.getDocumentElement()));
                remove(signature(assertion(d)));
                return d;
            });
            attacks.put("sso.badSignature", d -> {
                d.getElementsByTagNameNS(SAML, "NameID").item(0).setTextContent("admin@510000");
                return d;
            });
            attacks.put("sso.assertionCount", d -> {
                remove(signature(d.getDocumentElement()));
                org.w3c.dom.Element evil = (org.w3c.dom.Element) assertion(d).cloneNode(true);
                remove(signature(evil));
                evil.setAttribute("ID", "_evil");
                evil.getElementsByTagNameNS(SAML, "NameID").item(0).setTextContent("admin@510000");
                assertion(d).getParentNode().insertBefore(evil, assertion(d));
                return d;
            });
            attacks.put("sso.xsw", d -> {
                remove(signature(d.getDocumentElement()));
                org.w3c.dom.Element evil = (org.w3c.dom.Element) assertion(d).cloneNode(true);
                evil.getElementsByTagNameNS(SAML, "NameID").item(0).setTextContent("admin@510000");
                assertion(d).getParentNode().insertBefore(evil, assertion(d));
                return d;
            });
            for (Map.Entry<String, java.util.function.UnaryOperator<org.w3c.dom.Document>> a : attacks.entrySet()) {
                Posted genuine = FederationIT.await(() -> toIdp(b, school, "/console/"));
                HttpResponse<String> r = post(
                        b, new Posted(genuine.action(), tamper(genuine.response(), a.getValue()), genuine.relay()));
                assertEquals(401, r.statusCode(), a.getKey() + ": " + r.body());
            }
            Posted relayed = FederationIT.await(() -> toIdp(b, school, "/console/"));
            assertEquals(
                    401,
                    post(b, new Posted(county.baseUrl() + "/saml/sp/acs", relayed.response(), null))
                            .statusCode());
            String attacked = school.get("/api/v1/audit?limit=500", "admin", sp).body();
            for (String key : attacks.keySet()) {
                assertTrue(attacked.contains(key), key + " not audited: " + attacked);
            }
            assertTrue(county.get("/api/v1/audit?limit=500", "admin", cp).body().contains("sso.destination"));
            assertTrue(
                    get(b, school.baseUrl() + "/console/").body().contains("zhang@510000"),
                    "the refused responses left the session as it was");

            // a federated account has no password to guess
            assertEquals(401, school.get("/api/v1/node", "zhang@510000", zp).statusCode());

            // the same response again (same browser), or in another browser that never asked: refused, audited
            HttpResponse<String> replayed = post(b, toSchool);
            assertEquals(401, replayed.statusCode());
            assertTrue(replayed.body().contains("统一身份认证登录未成功"), replayed.body());
            HttpResponse<String> elsewhere = post(browser(), toSchool);
            assertEquals(401, elsewhere.statusCode());
            assertTrue(elsewhere.body().contains("不是本会话发起的请求"), elsewhere.body());
            String audit = school.get("/api/v1/audit?limit=200", "admin", sp).body();
            assertTrue(audit.contains("sso.inResponseTo"), audit);
            assertTrue(audit.contains("zhang@510000"), audit);
            String provinceAudit =
                    province.get("/api/v1/audit?limit=200", "admin", pp).body();
            assertTrue(provinceAudit.contains("sso.issue"), provinceAudit);

            // single logout from the school: the school, the province and the county sessions all end
            String schoolHome = get(b, school.baseUrl() + "/console/").body();
            HttpResponse<String> out =
                    form(b, school.baseUrl() + "/console/logout", Map.of("csrf", ConsoleSession.csrf(schoolHome)));
            assertEquals(200, out.statusCode(), out.body());
            assertEquals(
                    school.baseUrl() + "/console/login?loggedOut", out.uri().toString());
            assertTrue(out.body().contains("您已退出登录"), out.body());
            for (KarafNode n : new KarafNode[] {school, county, province}) {
                HttpResponse<String> after = landing(b, n.baseUrl() + "/console/");
                assertEquals(n.baseUrl() + "/console/login", after.uri().toString(), "still logged in at " + n);
            }
            assertTrue(county.get("/api/v1/audit?limit=200", "admin", cp).body().contains("single logout from"));

            // an AuthnRequest the IdP cannot trust: 400 and audited, no assertion
            HttpResponse<String> forged = get(b, province.baseUrl() + "/saml/idp/sso?SAMLRequest=bm90LXNhbWw%3D");
            assertEquals(400, forged.statusCode());
            assertFalse(forged.body().contains("SAMLResponse"));

            browserJourney(province, school, "zhang", zp);
        }
    }

    /**
     * The same journey in a real browser (itests/browser/sso.mjs: Playwright with Debian's Chromium, headless);
     * screenshots in target/screenshots/sso. Required under {@code ./edufed test} (which installs Chromium and
     * runs {@code npm ci} in itests/browser) and in CI; a bare {@code mvn verify} runs it when they are there.
     */
    static void browserJourney(KarafNode province, KarafNode school, String user, String password) throws Exception {
        Path out = Browser.run(
                "sso",
                Map.of(
                        "PROVINCE",
                        province.baseUrl(),
                        "SCHOOL",
                        school.baseUrl(),
                        "SSO_USER",
                        user,
                        "SSO_PASSWORD",
                        password));
        if (out != null) {
            assertTrue(Files.size(out.resolve("3-school-console.png")) > 0);
        }
    }

    static JsonNode account(KarafNode node, String admin, String user) throws Exception {
        HttpResponse<String> r = node.get("/api/v1/accounts", "admin", admin);
        assertEquals(200, r.statusCode(), r.body());
        for (JsonNode a : KarafNode.json(r).path("accounts").isMissingNode()
                ? KarafNode.json(r)
                : KarafNode.json(r).path("accounts")) {
            if (user.equals(a.path("username").asText())) {
                return a;
            }
        }
        throw new AssertionError(user + " not among " + r.body());
    }

    static JsonNode grants(KarafNode node, String admin, String user) throws Exception {
        HttpResponse<String> r = node.get("/api/v1/accounts/" + user + "/grants", "admin", admin);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = KarafNode.json(r);
        return j.has("grants") ? j.path("grants") : j;
    }

    static final String SAML = "urn:oasis:names:tc:SAML:2.0:assertion";

    static String tamper(String b64, java.util.function.UnaryOperator<org.w3c.dom.Document> change) {
        try {
            javax.xml.parsers.DocumentBuilderFactory f = javax.xml.parsers.DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            org.w3c.dom.Document d = f.newDocumentBuilder()
                    .parse(new java.io.ByteArrayInputStream(
                            java.util.Base64.getMimeDecoder().decode(b64)));
            change.apply(d);
            java.io.StringWriter w = new java.io.StringWriter();
            javax.xml.transform.TransformerFactory.newInstance()
                    .newTransformer()
                    .transform(
                            new javax.xml.transform.dom.DOMSource(d), new javax.xml.transform.stream.StreamResult(w));
            return java.util.Base64.getEncoder().encodeToString(w.toString().getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static org.w3c.dom.Element assertion(org.w3c.dom.Document d) {
        return (org.w3c.dom.Element) d.getElementsByTagNameNS(SAML, "Assertion").item(0);
    }

    /** The signature directly inside an element. */
    static org.w3c.dom.Element signature(org.w3c.dom.Element parent) {
        for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof org.w3c.dom.Element e && "Signature".equals(e.getLocalName())) {
                return e;
            }
        }
        return null;
    }

    static void remove(org.w3c.dom.Element e) {
        if (e != null) {
            e.getParentNode().removeChild(e);
        }
    }
}
