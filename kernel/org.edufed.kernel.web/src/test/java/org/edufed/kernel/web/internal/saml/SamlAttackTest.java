package org.edufed.kernel.web.internal.saml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import net.shibboleth.utilities.java.support.xml.SerializeSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opensaml.saml.common.xml.SAMLConstants;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The SP's checks against the attacks a SAML SP meets: each forged or misused response is refused with its
 * reason, and a refused response leaves nothing behind (its assertion can still be used once, legitimately).
 */
class SamlAttackTest {

    static final String IDP = "http://127.0.0.1:1/saml/idp/metadata";
    static final String SP_BASE = "http://127.0.0.1:2";
    static SamlKeys idpKeys;
    static SamlKeys spKeys;
    static SamlKeys otherKeys;
    static Metadata.Idp idp;
    static Metadata.Sp sp;

    @BeforeAll
    static void keys() throws Exception {
        idpKeys = SamlKeys.generate("idp");
        spKeys = SamlKeys.generate("sp");
        otherKeys = SamlKeys.generate("evil");
        idp = Metadata.parseIdp(Metadata.idp("http://127.0.0.1:1", idpKeys));
        sp = Metadata.parseSp(Metadata.sp(SP_BASE, spKeys));
    }

    ServiceProvider serviceProvider() {
        return new ServiceProvider(sp.entityId(), sp.acsPost(), spKeys);
    }

    /** A request from the SP, read by the IdP as it would be over HTTP-Redirect. */
    IdentityProvider.Request request(ServiceProvider s) throws Exception {
        ServiceProvider.Outgoing out = s.authnRequest(idp, "/console/", Instant.now());
        String query = URI.create(out.url()).getRawQuery();
        String samlRequest = null;
        for (String p : query.split("&")) {
            if (p.startsWith("SAMLRequest=")) {
                samlRequest = URLDecoder.decode(p.substring(12), StandardCharsets.UTF_8);
            }
        }
        IdentityProvider ip = new IdentityProvider(idp.entityId(), idp.ssoRedirect(), idpKeys);
        IdentityProvider.Request r = ip.readRedirect(
                query, samlRequest, "/console/", id -> id.equals(sp.entityId()) ? sp : null, Instant.now());
        assertEquals(out.requestId(), r.id());
        return r;
    }

    String response(IdentityProvider.Request r, SamlKeys signer, Instant at) {
        return new IdentityProvider(idp.entityId(), idp.ssoRedirect(), signer)
                .respond(
                        r,
                        "zhang@510000",
                        Map.of(
                                IdentityProvider.ATTR_ROLES,
                                List.of("admin"),
                                IdentityProvider.ATTR_DISPLAY_NAME,
                                List.of("张老师")),
                        "s1",
                        at);
    }

    static Document doc(String b64) throws Exception {
        return OpenSaml.parse(Base64.getDecoder().decode(b64));
    }

    static String b64(Document d) {
        return Base64.getEncoder()
                .encodeToString(
                        SerializeSupport.nodeToString(d.getDocumentElement()).getBytes(StandardCharsets.UTF_8));
    }

    static Element first(Node root, String ns, String local) {
        return (Element) ((Element) root).getElementsByTagNameNS(ns, local).item(0);
    }

    static Element assertion(Document d) {
        return first(d.getDocumentElement(), SAMLConstants.SAML20_NS, "Assertion");
    }

    static Element signature(Element parent) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getLocalName().equals("Signature")) {
                return e;
            }
        }
        return null;
    }

    void refused(String key, UnaryOperator<String> tamper) throws Exception {
        ServiceProvider s = serviceProvider();
        IdentityProvider.Request r = request(s);
        String good = response(r, idpKeys, Instant.now());
        SamlException e = assertThrows(
                SamlException.class, () -> s.consume(tamper.apply(good), idp, Set.of(r.id()), Instant.now()));
        assertEquals(key, e.key(), e.detail());
        // the refused one used nothing up: the genuine response is still accepted once
        assertEquals(
                "zhang@510000",
                s.consume(good, idp, Set.of(r.id()), Instant.now()).nameId());
    }

    static UnaryOperator<String> dom(java.util.function.Consumer<Document> change) {
        return b -> {
            try {
                Document d = doc(b);
                change.accept(d);
                return b64(d);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @Test
    void genuineResponseIsAcceptedOnceWithItsAttributes() throws Exception {
        ServiceProvider s = serviceProvider();
        IdentityProvider.Request r = request(s);
        String good = response(r, idpKeys, Instant.now());
        ServiceProvider.Login login = s.consume(good, idp, Set.of(r.id()), Instant.now());
        assertEquals("zhang@510000", login.nameId());
        assertEquals("张老师", login.first(IdentityProvider.ATTR_DISPLAY_NAME));
        assertEquals("s1", login.sessionIndex());
        SamlException replay =
                assertThrows(SamlException.class, () -> s.consume(good, idp, Set.of(r.id()), Instant.now()));
        assertEquals("sso.replay", replay.key());
    }

    @Test
    void unsignedAssertionAndResponse() throws Exception {
        refused("sso.unsigned", dom(d -> {
            Element resp = d.getDocumentElement();
            resp.removeChild(signature(resp));
            Element a = assertion(d);
            a.removeChild(signature(a));
        }));
    }

    @Test
    void unsignedAssertionInsideSignedResponseIsNotEnough() throws Exception {
        // the response signature would break too; remove it and the assertion's: unsigned
        refused("sso.unsigned", dom(d -> {
            Element a = assertion(d);
            a.removeChild(signature(a));
            d.getDocumentElement().removeChild(signature(d.getDocumentElement()));
        }));
    }

    @Test
    void tamperedAttribute() throws Exception {
        refused("sso.badSignature", dom(d -> {
            d.getDocumentElement().removeChild(signature(d.getDocumentElement()));
            Element v = first(assertion(d), SAMLConstants.SAML20_NS, "AttributeValue");
            v.setTextContent("admin,org-admin");
        }));
    }

    @Test
    void tamperedNameIdUnderSignedResponse() throws Exception {
        refused("sso.badSignature", dom(d -> first(assertion(d), SAMLConstants.SAML20_NS, "NameID")
                .setTextContent("admin@510000")));
    }

    @Test
    void signedByAnUntrustedKey() throws Exception {
        ServiceProvider s = serviceProvider();
        IdentityProvider.Request r = request(s);
        SamlException e = assertThrows(
                SamlException.class,
                () -> s.consume(response(r, otherKeys, Instant.now()), idp, Set.of(r.id()), Instant.now()));
        assertEquals("sso.badSignature", e.key());
    }

    @Test
    void fromAnotherIssuer() throws Exception {
        ServiceProvider s = serviceProvider();
        IdentityProvider.Request r = request(s);
        String forged = new IdentityProvider("http://evil/saml/idp/metadata", idp.ssoRedirect(), idpKeys)
                .respond(r, "zhang@510000", Map.of(), "s1", Instant.now());
        SamlException e =
                assertThrows(SamlException.class, () -> s.consume(forged, idp, Set.of(r.id()), Instant.now()));
        assertEquals("sso.untrustedIssuer", e.key());
    }

    @Test
    void expiredAndNotYetValid() throws Exception {
        ServiceProvider s = serviceProvider();
        IdentityProvider.Request r = request(s);
        String old = response(r, idpKeys, Instant.now().minus(Duration.ofMinutes(20)));
        assertEquals(
                "sso.expired",
                assertThrows(SamlException.class, () -> s.consume(old, idp, Set.of(r.id()), Instant.now()))
                        .key());
        String future = response(r, idpKeys, Instant.now().plus(Duration.ofMinutes(20)));
        assertEquals(
                "sso.notYetValid",
                assertThrows(SamlException.class, () -> s.consume(future, idp, Set.of(r.id()), Instant.now()))
                        .key());
    }

    @Test
    void wrongAudienceRecipientAndDestination() throws Exception {
        // another SP of the tree receives a response meant for this one (same IdP, genuine signatures)
        ServiceProvider s = serviceProvider();
        IdentityProvider.Request r = request(s);
        String good = response(r, idpKeys, Instant.now());
        ServiceProvider other = new ServiceProvider(SP_BASE + "/other", sp.acsPost(), spKeys);
        assertEquals(
                "sso.audience",
                assertThrows(SamlException.class, () -> other.consume(good, idp, Set.of(r.id()), Instant.now()))
                        .key());
        ServiceProvider elsewhere = new ServiceProvider(sp.entityId(), "http://127.0.0.1:3/saml/sp/acs", spKeys);
        assertEquals(
                "sso.destination",
                assertThrows(SamlException.class, () -> elsewhere.consume(good, idp, Set.of(r.id()), Instant.now()))
                        .key());
        // recipient: an attacker relays it to another ACS, strips the response signature and rewrites the
        // Destination; the signed assertion still names its recipient
        String relayed = dom(d -> {
                    d.getDocumentElement().removeChild(signature(d.getDocumentElement()));
                    d.getDocumentElement().setAttribute("Destination", elsewhere.acsUrl());
                })
                .apply(good);
        assertEquals(
                "sso.recipient",
                assertThrows(SamlException.class, () -> elsewhere.consume(relayed, idp, Set.of(r.id()), Instant.now()))
                        .key());
    }

    @Test
    void unsolicitedOrForAnotherSession() throws Exception {
        ServiceProvider s = serviceProvider();
        IdentityProvider.Request r = request(s);
        String good = response(r, idpKeys, Instant.now());
        assertEquals(
                "sso.inResponseTo",
                assertThrows(SamlException.class, () -> s.consume(good, idp, Set.of("_other"), Instant.now()))
                        .key());
    }

    /** XSW: an evil assertion first, the signed one after it. */
    @Test
    void wrappingWithASecondAssertion() throws Exception {
        refused("sso.assertionCount", dom(d -> {
            d.getDocumentElement().removeChild(signature(d.getDocumentElement()));
            Element a = assertion(d);
            Element evil = (Element) a.cloneNode(true);
            evil.removeChild(signature(evil));
            evil.setAttribute("ID", "_evil");
            first(evil, SAMLConstants.SAML20_NS, "NameID").setTextContent("admin@510000");
            a.getParentNode().insertBefore(evil, a);
        }));
    }

    /** XSW: the evil assertion takes the signed one's ID; the original hides in the evil one's Advice. */
    @Test
    void wrappingWithTheSameId() throws Exception {
        refused("sso.xsw", dom(d -> {
            d.getDocumentElement().removeChild(signature(d.getDocumentElement()));
            Element a = assertion(d);
            Element evil = (Element) a.cloneNode(true);
            first(evil, SAMLConstants.SAML20_NS, "NameID").setTextContent("admin@510000");
            Element advice = d.createElementNS(SAMLConstants.SAML20_NS, "saml2:Advice");
            a.getParentNode().replaceChild(evil, a);
            advice.appendChild(a);
            evil.insertBefore(
                    advice, first(evil, SAMLConstants.SAML20_NS, "Conditions").getNextSibling());
        }));
    }

    /** XSW: the original moved inside the evil assertion's signature; the evil one has a new ID. */
    @Test
    void wrappingInsideTheSignature() throws Exception {
        refused("sso.assertionCount", dom(d -> {
            d.getDocumentElement().removeChild(signature(d.getDocumentElement()));
            Element a = assertion(d);
            Element evil = (Element) a.cloneNode(true);
            evil.setAttribute("ID", "_evil");
            first(evil, SAMLConstants.SAML20_NS, "NameID").setTextContent("admin@510000");
            a.getParentNode().replaceChild(evil, a);
            Element object = d.createElementNS("http://www.w3.org/2000/09/xmldsig#", "ds:Object");
            object.appendChild(a);
            signature(evil).appendChild(object);
        }));
    }

    /** XSW: the evil assertion carries the signature of the original, which is gone. */
    @Test
    void signatureOfAnotherElement() throws Exception {
        refused("sso.badSignature", dom(d -> {
            d.getDocumentElement().removeChild(signature(d.getDocumentElement()));
            Element a = assertion(d);
            String id = a.getAttribute("ID");
            a.setAttribute("ID", "_evil");
            first(a, SAMLConstants.SAML20_NS, "NameID").setTextContent("admin@510000");
            assertTrue(!id.equals("_evil"));
        }));
    }

    @Test
    void doctypeAndOversizeAreRefused() throws Exception {
        refused("sso.malformed", b -> Base64.getEncoder()
                .encodeToString(("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                                + new String(Base64.getDecoder().decode(b), StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8)));
        refused("sso.malformed", b -> "x".repeat(OpenSaml.MAX_MESSAGE_BYTES * 2));
        refused("sso.malformed", b -> "not base64 !!");
    }

    @Test
    void idpRefusesUnknownOrUnsignedRequests() throws Exception {
        ServiceProvider s = serviceProvider();
        ServiceProvider.Outgoing out = s.authnRequest(idp, null, Instant.now());
        String query = URI.create(out.url()).getRawQuery();
        String samlRequest = URLDecoder.decode(query.split("&")[0].substring(12), StandardCharsets.UTF_8);
        IdentityProvider ip = new IdentityProvider(idp.entityId(), idp.ssoRedirect(), idpKeys);
        assertEquals(
                "sso.unknownSp",
                assertThrows(
                                SamlException.class,
                                () -> ip.readRedirect(query, samlRequest, null, id -> null, Instant.now()))
                        .key());
        String unsigned = query.substring(0, query.indexOf("&SigAlg"));
        assertEquals(
                "sso.unsigned",
                assertThrows(
                                SamlException.class,
                                () -> ip.readRedirect(unsigned, samlRequest, null, id -> sp, Instant.now()))
                        .key());
        Metadata.Sp impostor = new Metadata.Sp(sp.entityId(), sp.acsPost(), null, List.of(otherKeys.certificate()));
        assertEquals(
                "sso.badSignature",
                assertThrows(
                                SamlException.class,
                                () -> ip.readRedirect(query, samlRequest, null, id -> impostor, Instant.now()))
                        .key());
        Metadata.Sp moved = new Metadata.Sp(sp.entityId(), "http://evil/acs", null, sp.signingCertificates());
        assertEquals(
                "sso.recipient",
                assertThrows(
                                SamlException.class,
                                () -> ip.readRedirect(query, samlRequest, null, id -> moved, Instant.now()))
                        .key());
    }

    @Test
    void idpReadsSignedPostRequestsAndRefusesForgedOnes() throws Exception {
        ServiceProvider s = serviceProvider();
        IdentityProvider ip = new IdentityProvider(idp.entityId(), idp.ssoRedirect(), idpKeys);
        ServiceProvider.PostRequest out = s.authnRequestPost(idp, Instant.now());
        assertEquals(idp.ssoPost(), out.action());
        assertEquals(
                out.requestId(),
                ip.readPost(out.samlRequest(), "/console/", id -> sp, Instant.now())
                        .id());
        String unsigned = b64(doc(out.samlRequest()), d -> {
            Element root = d.getDocumentElement();
            root.removeChild(signature(root));
        });
        assertEquals(
                "sso.unsigned",
                assertThrows(SamlException.class, () -> ip.readPost(unsigned, null, id -> sp, Instant.now()))
                        .key());
        String moved = b64(doc(out.samlRequest()), d -> d.getDocumentElement()
                .setAttribute("AssertionConsumerServiceURL", "http://evil/acs"));
        assertEquals(
                "sso.badSignature",
                assertThrows(SamlException.class, () -> ip.readPost(moved, null, id -> sp, Instant.now()))
                        .key());
        Metadata.Sp impostor = new Metadata.Sp(sp.entityId(), sp.acsPost(), null, List.of(otherKeys.certificate()));
        assertEquals(
                "sso.badSignature",
                assertThrows(
                                SamlException.class,
                                () -> ip.readPost(out.samlRequest(), null, id -> impostor, Instant.now()))
                        .key());
    }

    static String b64(Document d, java.util.function.Consumer<Document> change) {
        change.accept(d);
        return b64(d);
    }
}
