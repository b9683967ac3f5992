package org.edufed.kernel.web.internal.saml;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.opensaml.core.xml.XMLObject;
import org.opensaml.core.xml.config.XMLObjectProviderRegistrySupport;
import org.opensaml.core.xml.schema.XSString;
import org.opensaml.saml.saml2.core.Assertion;
import org.opensaml.saml.saml2.core.Attribute;
import org.opensaml.saml.saml2.core.AttributeStatement;
import org.opensaml.saml.saml2.core.AttributeValue;
import org.opensaml.saml.saml2.core.Audience;
import org.opensaml.saml.saml2.core.AudienceRestriction;
import org.opensaml.saml.saml2.core.AuthnContext;
import org.opensaml.saml.saml2.core.AuthnContextClassRef;
import org.opensaml.saml.saml2.core.AuthnRequest;
import org.opensaml.saml.saml2.core.AuthnStatement;
import org.opensaml.saml.saml2.core.Conditions;
import org.opensaml.saml.saml2.core.Issuer;
import org.opensaml.saml.saml2.core.NameID;
import org.opensaml.saml.saml2.core.NameIDType;
import org.opensaml.saml.saml2.core.Response;
import org.opensaml.saml.saml2.core.Status;
import org.opensaml.saml.saml2.core.StatusCode;
import org.opensaml.saml.saml2.core.Subject;
import org.opensaml.saml.saml2.core.SubjectConfirmation;
import org.opensaml.saml.saml2.core.SubjectConfirmationData;
import org.opensaml.xmlsec.signature.Signature;

/**
 * The IdP's side of Web Browser SSO: reading an AuthnRequest (HTTP-Redirect, signed by a known SP) and issuing
 * a Response with one signed Assertion, the Response signed too (HTTP-POST binding).
 */
public final class IdentityProvider {

    /** How long an assertion may be used after it is issued. */
    public static final Duration VALIDITY = Duration.ofMinutes(5);
    /** Clock difference tolerated between nodes. */
    public static final Duration SKEW = Duration.ofSeconds(90);

    /** Attribute names released (URNs of eduPerson / X.500, and EduFed's roles). */
    public static final String ATTR_UID = "urn:oid:0.9.2342.19200300.100.1.1";

    public static final String ATTR_DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241";
    public static final String ATTR_ORG_UNIT = "urn:oid:2.5.4.11";
    public static final String ATTR_ROLES = "urn:edufed:attribute:roles";

    private final String entityId;
    private final String ssoUrl;
    private final SamlKeys keys;

    public IdentityProvider(String entityId, String ssoUrl, SamlKeys keys) {
        this.entityId = entityId;
        this.ssoUrl = ssoUrl;
        this.keys = keys;
    }

    public String entityId() {
        return entityId;
    }

    /** An AuthnRequest accepted: who asked, where the answer goes, and what it answers. */
    public record Request(Metadata.Sp sp, String id, String acs, String relayState, boolean passive) {}

    /**
     * Reads and checks an AuthnRequest sent with HTTP-Redirect: the query's signature by the SP's key, a known
     * issuer, this IdP as destination, an ACS that the SP's metadata names (never an address from the request
     * alone), and freshness.
     *
     * @param rawQuery the query string exactly as received
     * @param findSp the SP metadata of an entity ID, or {@code null} when the SP is unknown
     */
    public Request readRedirect(
            String rawQuery, String samlRequest, String relayState, Function<String, Metadata.Sp> findSp, Instant now)
            throws SamlException {
        AuthnRequest req = authnRequest(OpenSaml.unmarshal(OpenSaml.inflateBase64(samlRequest)));
        Metadata.Sp sp = sp(req, findSp);
        Signing.verifyRedirect(rawQuery, "SAMLRequest", sp.signingCertificates());
        return checked(req, sp, relayState, now);
    }

    /**
     * Reads and checks an AuthnRequest sent with HTTP-POST: base64 of the XML, which carries an enveloped
     * signature by the SP's key (every {@code ID} unique in the document), then the same checks as
     * {@link #readRedirect}.
     */
    public Request readPost(String samlRequest, String relayState, Function<String, Metadata.Sp> findSp, Instant now)
            throws SamlException {
        org.w3c.dom.Document doc = OpenSaml.parse(OpenSaml.base64(samlRequest));
        ServiceProvider.uniqueIds(doc);
        AuthnRequest req = authnRequest(OpenSaml.unmarshal(doc.getDocumentElement()));
        Metadata.Sp sp = sp(req, findSp);
        Signing.verify(req, sp.signingCertificates());
        return checked(req, sp, relayState, now);
    }

    private static AuthnRequest authnRequest(XMLObject o) throws SamlException {
        if (!(o instanceof AuthnRequest req)) {
            throw new SamlException("sso.malformed", "not an AuthnRequest");
        }
        return req;
    }

    private static Metadata.Sp sp(AuthnRequest req, Function<String, Metadata.Sp> findSp) throws SamlException {
        String issuer = req.getIssuer() == null ? null : req.getIssuer().getValue();
        Metadata.Sp sp = issuer == null ? null : findSp.apply(issuer);
        if (sp == null) {
            throw new SamlException("sso.unknownSp", "AuthnRequest from an unknown SP: " + issuer);
        }
        return sp;
    }

    private Request checked(AuthnRequest req, Metadata.Sp sp, String relayState, Instant now) throws SamlException {
        if (req.getDestination() != null && !req.getDestination().equals(ssoUrl)) {
            throw new SamlException("sso.destination", "AuthnRequest for " + req.getDestination());
        }
        if (req.getAssertionConsumerServiceURL() != null
                && !req.getAssertionConsumerServiceURL().equals(sp.acsPost())) {
            throw new SamlException(
                    "sso.recipient", "ACS not in the SP's metadata: " + req.getAssertionConsumerServiceURL());
        }
        Instant issued = req.getIssueInstant() == null
                ? null
                : Instant.ofEpochMilli(req.getIssueInstant().getMillis());
        if (issued == null || issued.isBefore(now.minus(VALIDITY).minus(SKEW)) || issued.isAfter(now.plus(SKEW))) {
            throw new SamlException("sso.expired", "AuthnRequest issued at " + issued);
        }
        if (req.getID() == null || req.getID().isBlank() || req.getID().length() > 256) {
            throw new SamlException("sso.malformed", "AuthnRequest without an ID");
        }
        return new Request(sp, req.getID(), sp.acsPost(), relayState, Boolean.TRUE.equals(req.isPassive()));
    }

    /**
     * A signed Response with one signed Assertion for {@code nameId}, base64-encoded for the HTTP-POST
     * binding.
     */
    public String respond(
            Request request, String nameId, Map<String, List<String>> attributes, String sessionIndex, Instant now) {
        DateTime issued = time(now);
        DateTime until = time(now.plus(VALIDITY));
        String spEntity = request.sp().entityId();

        Assertion a = OpenSaml.build(Assertion.DEFAULT_ELEMENT_NAME);
        a.setID(OpenSaml.newId());
        a.setIssueInstant(issued);
        a.setIssuer(issuer());
        Subject subject = OpenSaml.build(Subject.DEFAULT_ELEMENT_NAME);
        NameID id = OpenSaml.build(NameID.DEFAULT_ELEMENT_NAME);
        id.setFormat(NameIDType.PERSISTENT);
        id.setNameQualifier(entityId);
        id.setSPNameQualifier(spEntity);
        id.setValue(nameId);
        subject.setNameID(id);
        SubjectConfirmation sc = OpenSaml.build(SubjectConfirmation.DEFAULT_ELEMENT_NAME);
        sc.setMethod(SubjectConfirmation.METHOD_BEARER);
        SubjectConfirmationData scd = OpenSaml.build(SubjectConfirmationData.DEFAULT_ELEMENT_NAME);
        scd.setRecipient(request.acs());
        scd.setNotOnOrAfter(until);
        scd.setInResponseTo(request.id());
        sc.setSubjectConfirmationData(scd);
        subject.getSubjectConfirmations().add(sc);
        a.setSubject(subject);
        Conditions c = OpenSaml.build(Conditions.DEFAULT_ELEMENT_NAME);
        c.setNotBefore(issued);
        c.setNotOnOrAfter(until);
        AudienceRestriction ar = OpenSaml.build(AudienceRestriction.DEFAULT_ELEMENT_NAME);
        Audience au = OpenSaml.build(Audience.DEFAULT_ELEMENT_NAME);
        au.setAudienceURI(spEntity);
        ar.getAudiences().add(au);
        c.getAudienceRestrictions().add(ar);
        a.setConditions(c);
        AuthnStatement as = OpenSaml.build(AuthnStatement.DEFAULT_ELEMENT_NAME);
        as.setAuthnInstant(issued);
        as.setSessionIndex(sessionIndex);
        AuthnContext ac = OpenSaml.build(AuthnContext.DEFAULT_ELEMENT_NAME);
        AuthnContextClassRef ref = OpenSaml.build(AuthnContextClassRef.DEFAULT_ELEMENT_NAME);
        ref.setAuthnContextClassRef(AuthnContext.PPT_AUTHN_CTX);
        ac.setAuthnContextClassRef(ref);
        as.setAuthnContext(ac);
        a.getAuthnStatements().add(as);
        AttributeStatement st = OpenSaml.build(AttributeStatement.DEFAULT_ELEMENT_NAME);
        attributes.forEach((name, values) -> st.getAttributes().add(attribute(name, values)));
        a.getAttributeStatements().add(st);

        Response r = OpenSaml.build(Response.DEFAULT_ELEMENT_NAME);
        r.setID(OpenSaml.newId());
        r.setIssueInstant(issued);
        r.setDestination(request.acs());
        r.setInResponseTo(request.id());
        r.setIssuer(issuer());
        r.setStatus(status(StatusCode.SUCCESS));
        r.getAssertions().add(a);

        Signature assertionSig = Signing.prepare(a, keys);
        Signature responseSig = Signing.prepare(r, keys);
        OpenSaml.marshal(r);
        Signing.sign(assertionSig, responseSig);
        return Base64.getEncoder().encodeToString(OpenSaml.toXml(r).getBytes(StandardCharsets.UTF_8));
    }

    /** A signed Response without an assertion (the user is not logged in and the SP asked for passive). */
    public String refuse(Request request, String statusCode, Instant now) {
        Response r = OpenSaml.build(Response.DEFAULT_ELEMENT_NAME);
        r.setID(OpenSaml.newId());
        r.setIssueInstant(time(now));
        r.setDestination(request.acs());
        r.setInResponseTo(request.id());
        r.setIssuer(issuer());
        Status s = status(StatusCode.RESPONDER);
        StatusCode sub = OpenSaml.build(StatusCode.DEFAULT_ELEMENT_NAME);
        sub.setValue(statusCode);
        s.getStatusCode().setStatusCode(sub);
        r.setStatus(s);
        Signature sig = Signing.prepare(r, keys);
        OpenSaml.marshal(r);
        Signing.sign(sig);
        return Base64.getEncoder().encodeToString(OpenSaml.toXml(r).getBytes(StandardCharsets.UTF_8));
    }

    private Issuer issuer() {
        Issuer i = OpenSaml.build(Issuer.DEFAULT_ELEMENT_NAME);
        i.setValue(entityId);
        return i;
    }

    private static Status status(String code) {
        Status s = OpenSaml.build(Status.DEFAULT_ELEMENT_NAME);
        StatusCode sc = OpenSaml.build(StatusCode.DEFAULT_ELEMENT_NAME);
        sc.setValue(code);
        s.setStatusCode(sc);
        return s;
    }

    private static Attribute attribute(String name, List<String> values) {
        Attribute attr = OpenSaml.build(Attribute.DEFAULT_ELEMENT_NAME);
        attr.setName(name);
        attr.setNameFormat(Attribute.URI_REFERENCE);
        attr.setFriendlyName(
                switch (name) {
                    case ATTR_UID -> "uid";
                    case ATTR_DISPLAY_NAME -> "displayName";
                    case ATTR_ORG_UNIT -> "ou";
                    case ATTR_ROLES -> "roles";
                    default -> null;
                });
        for (String v : values) {
            XSString value = (XSString) XMLObjectProviderRegistrySupport.getBuilderFactory()
                    .getBuilderOrThrow(XSString.TYPE_NAME)
                    .buildObject(AttributeValue.DEFAULT_ELEMENT_NAME, XSString.TYPE_NAME);
            value.setValue(v);
            attr.getAttributeValues().add(value);
        }
        return attr;
    }

    static DateTime time(Instant t) {
        return new DateTime(t.toEpochMilli(), DateTimeZone.UTC);
    }
}
