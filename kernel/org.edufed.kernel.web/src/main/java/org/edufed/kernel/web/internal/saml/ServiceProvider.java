package org.edufed.kernel.web.internal.saml;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.opensaml.core.xml.XMLObject;
import org.opensaml.core.xml.schema.XSAny;
import org.opensaml.core.xml.schema.XSString;
import org.opensaml.saml.common.xml.SAMLConstants;
import org.opensaml.saml.saml2.core.Assertion;
import org.opensaml.saml.saml2.core.Attribute;
import org.opensaml.saml.saml2.core.AttributeStatement;
import org.opensaml.saml.saml2.core.Audience;
import org.opensaml.saml.saml2.core.AudienceRestriction;
import org.opensaml.saml.saml2.core.AuthnRequest;
import org.opensaml.saml.saml2.core.AuthnStatement;
import org.opensaml.saml.saml2.core.Conditions;
import org.opensaml.saml.saml2.core.Issuer;
import org.opensaml.saml.saml2.core.NameID;
import org.opensaml.saml.saml2.core.NameIDPolicy;
import org.opensaml.saml.saml2.core.NameIDType;
import org.opensaml.saml.saml2.core.Response;
import org.opensaml.saml.saml2.core.StatusCode;
import org.opensaml.saml.saml2.core.SubjectConfirmation;
import org.opensaml.saml.saml2.core.SubjectConfirmationData;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * The SP's side of Web Browser SSO: an AuthnRequest for the IdP (HTTP-Redirect, signed), and the checks on the
 * Response that comes back (HTTP-POST). A response is accepted only when every check passes:
 * <ul>
 *   <li>well-formed, no DTD, every {@code ID} attribute value unique in the document (signature wrapping moves
 *       or copies signed elements; duplicates are how it fools a verifier);
 *   <li>addressed to this SP's ACS ({@code Destination}), status Success, issued by the trusted IdP;
 *   <li>a signed Response is verified; exactly one assertion, no encrypted ones; the assertion signed by the
 *       IdP's key, its signature referring to the assertion itself (SAML signature profile), so the assertion
 *       read is the assertion verified;
 *   <li>bearer confirmation for this ACS ({@code Recipient}), in response to a request this SP sent, within its
 *       validity window ({@code NotBefore}/{@code NotOnOrAfter}, with {@link IdentityProvider#SKEW}), for this
 *       audience, and never seen before (replay cache until the assertion expires).
 * </ul>
 */
public final class ServiceProvider {

    private final String entityId;
    private final String acsUrl;
    private final SamlKeys keys;
    private final Map<String, Instant> seenAssertions = new ConcurrentHashMap<>();

    public ServiceProvider(String entityId, String acsUrl, SamlKeys keys) {
        this.entityId = entityId;
        this.acsUrl = acsUrl;
        this.keys = keys;
    }

    public String entityId() {
        return entityId;
    }

    public String acsUrl() {
        return acsUrl;
    }

    /** An AuthnRequest for the IdP, ready to follow: its ID (to check the answer) and the redirect URL. */
    public record Outgoing(String requestId, String url) {}

    public Outgoing authnRequest(Metadata.Idp idp, String relayState, Instant now) {
        return authnRequest(idp, relayState, false, now);
    }

    /**
     * An AuthnRequest; a {@code passive} one asks the IdP not to show anything to the user: it answers at once,
     * with an assertion when the user is logged in there, {@code NoPassive} otherwise.
     */
    public Outgoing authnRequest(Metadata.Idp idp, String relayState, boolean passive, Instant now) {
        AuthnRequest req = OpenSaml.build(AuthnRequest.DEFAULT_ELEMENT_NAME);
        if (passive) {
            req.setIsPassive(true);
        }
        req.setID(OpenSaml.newId());
        req.setIssueInstant(IdentityProvider.time(now));
        req.setDestination(idp.ssoRedirect());
        req.setAssertionConsumerServiceURL(acsUrl);
        req.setProtocolBinding(SAMLConstants.SAML2_POST_BINDING_URI);
        Issuer issuer = OpenSaml.build(Issuer.DEFAULT_ELEMENT_NAME);
        issuer.setValue(entityId);
        req.setIssuer(issuer);
        NameIDPolicy policy = OpenSaml.build(NameIDPolicy.DEFAULT_ELEMENT_NAME);
        policy.setAllowCreate(true);
        policy.setFormat(NameIDType.PERSISTENT);
        req.setNameIDPolicy(policy);
        String query =
                Signing.redirectQuery("SAMLRequest", OpenSaml.deflateBase64(OpenSaml.toXml(req)), relayState, keys);
        String sep = idp.ssoRedirect().contains("?") ? "&" : "?";
        return new Outgoing(req.getID(), idp.ssoRedirect() + sep + query);
    }

    /** An AuthnRequest for the HTTP-POST binding: its ID, where to post it, and the signed message (base64). */
    public record PostRequest(String requestId, String action, String samlRequest) {}

    /**
     * An AuthnRequest for the IdP's HTTP-POST endpoint, with an enveloped XML signature (what an SP does when the
     * request is too large for a URL, and what independent IdPs are tested with).
     */
    public PostRequest authnRequestPost(Metadata.Idp idp, Instant now) {
        AuthnRequest req = OpenSaml.build(AuthnRequest.DEFAULT_ELEMENT_NAME);
        req.setID(OpenSaml.newId());
        req.setIssueInstant(IdentityProvider.time(now));
        req.setDestination(idp.ssoPost());
        req.setAssertionConsumerServiceURL(acsUrl);
        req.setProtocolBinding(SAMLConstants.SAML2_POST_BINDING_URI);
        Issuer issuer = OpenSaml.build(Issuer.DEFAULT_ELEMENT_NAME);
        issuer.setValue(entityId);
        req.setIssuer(issuer);
        org.opensaml.xmlsec.signature.Signature sig = Signing.prepare(req, keys);
        OpenSaml.marshal(req);
        Signing.sign(sig);
        return new PostRequest(
                req.getID(),
                idp.ssoPost(),
                java.util.Base64.getEncoder()
                        .encodeToString(OpenSaml.toXml(req).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Who the IdP says logged in. */
    public record Login(
            String nameId,
            String issuer,
            String sessionIndex,
            Map<String, List<String>> attributes,
            Instant notOnOrAfter) {
        public String first(String attribute) {
            List<String> v = attributes.get(attribute);
            return v == null || v.isEmpty() ? null : v.get(0);
        }
    }

    /**
     * Checks a Response received at the ACS (base64 of the XML, as HTTP-POST carries it).
     *
     * @param expectedRequestIds the IDs of AuthnRequests this browser's session sent (unsolicited responses are
     *     refused)
     * @throws SamlException with the reason's key; nothing is remembered of a refused response
     */
    public Login consume(String samlResponse, Metadata.Idp idp, Set<String> expectedRequestIds, Instant now)
            throws SamlException {
        Document doc = OpenSaml.parse(OpenSaml.base64(samlResponse));
        uniqueIds(doc);
        XMLObject o = OpenSaml.unmarshal(doc.getDocumentElement());
        if (!(o instanceof Response r)) {
            throw new SamlException("sso.malformed", "not a Response");
        }
        if (r.getDestination() == null || !r.getDestination().equals(acsUrl)) {
            throw new SamlException("sso.destination", "Response for " + r.getDestination());
        }
        if (r.getIssuer() != null && !idp.entityId().equals(r.getIssuer().getValue())) {
            throw new SamlException(
                    "sso.untrustedIssuer", "Response issued by " + r.getIssuer().getValue());
        }
        if (r.isSigned()) {
            Signing.verify(r, idp.signingCertificates());
        }
        String status = r.getStatus() == null || r.getStatus().getStatusCode() == null
                ? null
                : r.getStatus().getStatusCode().getValue();
        if (!StatusCode.SUCCESS.equals(status)) {
            StatusCode sub = r.getStatus() == null || r.getStatus().getStatusCode() == null
                    ? null
                    : r.getStatus().getStatusCode().getStatusCode();
            throw new SamlException(
                    sub != null && StatusCode.NO_PASSIVE.equals(sub.getValue()) ? "sso.noPassive" : "sso.status",
                    "status " + status);
        }
        if (r.getInResponseTo() == null || !expectedRequestIds.contains(r.getInResponseTo())) {
            throw new SamlException(
                    "sso.inResponseTo", "Response to a request this session did not send: " + r.getInResponseTo());
        }
        if (!r.getEncryptedAssertions().isEmpty()
                || r.getAssertions().size() != 1
                || doc.getElementsByTagNameNS(SAMLConstants.SAML20_NS, "Assertion")
                                .getLength()
                        != 1) {
            throw new SamlException("sso.assertionCount", "the Response must hold exactly one assertion");
        }
        Assertion a = r.getAssertions().get(0);
        if (a.getIssuer() == null || !idp.entityId().equals(a.getIssuer().getValue())) {
            throw new SamlException(
                    "sso.untrustedIssuer",
                    "assertion issued by "
                            + (a.getIssuer() == null ? null : a.getIssuer().getValue()));
        }
        Signing.verify(a, idp.signingCertificates());

        NameID nameId = a.getSubject() == null ? null : a.getSubject().getNameID();
        if (nameId == null || nameId.getValue() == null || nameId.getValue().isBlank()) {
            throw new SamlException("sso.malformed", "assertion without a NameID");
        }
        Instant notOnOrAfter = bearer(a, r.getInResponseTo(), now);
        conditions(a.getConditions(), now);
        AuthnStatement authn =
                a.getAuthnStatements().isEmpty() ? null : a.getAuthnStatements().get(0);
        if (authn == null) {
            throw new SamlException("sso.malformed", "assertion without an AuthnStatement");
        }
        Map<String, List<String>> attributes = new LinkedHashMap<>();
        for (AttributeStatement st : a.getAttributeStatements()) {
            for (Attribute attr : st.getAttributes()) {
                List<String> values = attributes.computeIfAbsent(attr.getName(), k -> new ArrayList<>());
                for (XMLObject v : attr.getAttributeValues()) {
                    if (v instanceof XSString s && s.getValue() != null) {
                        values.add(s.getValue());
                    } else if (v instanceof XSAny any && any.getTextContent() != null) {
                        values.add(any.getTextContent());
                    }
                }
            }
        }
        // last: a refused response must not use up its assertion's ID
        purgeSeen(now);
        if (seenAssertions.putIfAbsent(a.getID(), notOnOrAfter.plus(IdentityProvider.SKEW)) != null) {
            throw new SamlException("sso.replay", "assertion " + a.getID() + " was used before");
        }
        return new Login(nameId.getValue(), idp.entityId(), authn.getSessionIndex(), attributes, notOnOrAfter);
    }

    private Instant bearer(Assertion a, String inResponseTo, Instant now) throws SamlException {
        for (SubjectConfirmation sc : a.getSubject().getSubjectConfirmations()) {
            if (!SubjectConfirmation.METHOD_BEARER.equals(sc.getMethod())) {
                continue;
            }
            SubjectConfirmationData d = sc.getSubjectConfirmationData();
            if (d == null || d.getNotOnOrAfter() == null) {
                throw new SamlException("sso.malformed", "bearer confirmation without NotOnOrAfter");
            }
            if (d.getRecipient() == null || !d.getRecipient().equals(acsUrl)) {
                throw new SamlException("sso.recipient", "assertion for recipient " + d.getRecipient());
            }
            if (d.getInResponseTo() != null && !d.getInResponseTo().equals(inResponseTo)) {
                throw new SamlException("sso.inResponseTo", "confirmation answers " + d.getInResponseTo());
            }
            Instant until = Instant.ofEpochMilli(d.getNotOnOrAfter().getMillis());
            if (!now.minus(IdentityProvider.SKEW).isBefore(until)) {
                throw new SamlException("sso.expired", "bearer confirmation expired at " + until);
            }
            if (d.getNotBefore() != null
                    && Instant.ofEpochMilli(d.getNotBefore().getMillis()).isAfter(now.plus(IdentityProvider.SKEW))) {
                throw new SamlException("sso.notYetValid", "bearer confirmation not valid before " + d.getNotBefore());
            }
            return until;
        }
        throw new SamlException("sso.malformed", "assertion without bearer confirmation");
    }

    private void conditions(Conditions c, Instant now) throws SamlException {
        if (c == null) {
            throw new SamlException("sso.audience", "assertion without conditions (no audience)");
        }
        if (c.getNotBefore() != null
                && Instant.ofEpochMilli(c.getNotBefore().getMillis()).isAfter(now.plus(IdentityProvider.SKEW))) {
            throw new SamlException("sso.notYetValid", "assertion not valid before " + c.getNotBefore());
        }
        if (c.getNotOnOrAfter() != null
                && !now.minus(IdentityProvider.SKEW)
                        .isBefore(Instant.ofEpochMilli(c.getNotOnOrAfter().getMillis()))) {
            throw new SamlException("sso.expired", "assertion expired at " + c.getNotOnOrAfter());
        }
        if (c.getAudienceRestrictions().isEmpty()) {
            throw new SamlException("sso.audience", "assertion without an audience restriction");
        }
        for (AudienceRestriction ar : c.getAudienceRestrictions()) {
            if (ar.getAudiences().stream().map(Audience::getAudienceURI).noneMatch(entityId::equals)) {
                throw new SamlException("sso.audience", "assertion not meant for " + entityId);
            }
        }
    }

    /** Refuses a document in which an {@code ID} value appears twice (any element, any namespace). */
    static void uniqueIds(Document doc) throws SamlException {
        Set<String> ids = new HashSet<>();
        Node n = doc.getDocumentElement();
        while (n != null) {
            if (n instanceof Element e) {
                NamedNodeMap attrs = e.getAttributes();
                for (int i = 0; i < attrs.getLength(); i++) {
                    Node attr = attrs.item(i);
                    String local = attr.getLocalName() == null ? attr.getNodeName() : attr.getLocalName();
                    if (local.equalsIgnoreCase("ID") && !ids.add(attr.getNodeValue())) {
                        throw new SamlException("sso.xsw", "ID " + attr.getNodeValue() + " appears twice");
                    }
                }
            }
            n = next(n, doc.getDocumentElement());
        }
    }

    private static Node next(Node n, Node root) {
        if (n.getFirstChild() != null) {
            return n.getFirstChild();
        }
        while (n != null && n != root) {
            if (n.getNextSibling() != null) {
                return n.getNextSibling();
            }
            n = n.getParentNode();
        }
        return null;
    }

    private void purgeSeen(Instant now) {
        if (seenAssertions.size() > 1000) {
            seenAssertions.values().removeIf(until -> until.isBefore(now));
        }
    }
}
