package org.edufed.kernel.web.internal.saml;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.opensaml.core.xml.XMLObject;
import org.opensaml.saml.saml2.core.Issuer;
import org.opensaml.saml.saml2.core.LogoutRequest;
import org.opensaml.saml.saml2.core.LogoutResponse;
import org.opensaml.saml.saml2.core.NameID;
import org.opensaml.saml.saml2.core.NameIDType;
import org.opensaml.saml.saml2.core.SessionIndex;
import org.opensaml.saml.saml2.core.Status;
import org.opensaml.saml.saml2.core.StatusCode;

/**
 * Single Logout (SAML 2.0 profiles, section 4.4) over HTTP-Redirect, every message signed: a LogoutRequest names
 * the user and the session at the IdP; a LogoutResponse answers it. Messages are checked for signature by the
 * issuer's key, destination, and freshness.
 */
public final class Logout {

    private Logout() {}

    /** A LogoutRequest read and checked. */
    public record Request(String issuer, String id, String nameId, String sessionIndex) {}

    /** A LogoutResponse read and checked. */
    public record Response(String issuer, String inResponseTo, boolean success) {}

    /** A LogoutRequest ready to follow: its ID (to match the answer) and the redirect URL. */
    public record Outgoing(String id, String url) {}

    /** The redirect URL carrying a signed LogoutRequest to {@code destination}. */
    public static Outgoing request(
            String issuer, String destination, String nameId, String sessionIndex, SamlKeys keys, String relayState) {
        LogoutRequest r = OpenSaml.build(LogoutRequest.DEFAULT_ELEMENT_NAME);
        r.setID(OpenSaml.newId());
        r.setIssueInstant(IdentityProvider.time(Instant.now()));
        r.setDestination(destination);
        r.setIssuer(issuer(issuer));
        NameID n = OpenSaml.build(NameID.DEFAULT_ELEMENT_NAME);
        n.setFormat(NameIDType.PERSISTENT);
        n.setValue(nameId);
        r.setNameID(n);
        if (sessionIndex != null) {
            SessionIndex si = OpenSaml.build(SessionIndex.DEFAULT_ELEMENT_NAME);
            si.setSessionIndex(sessionIndex);
            r.getSessionIndexes().add(si);
        }
        return new Outgoing(
                r.getID(),
                url(
                        destination,
                        Signing.redirectQuery(
                                "SAMLRequest", OpenSaml.deflateBase64(OpenSaml.toXml(r)), relayState, keys)));
    }

    /** The redirect URL carrying a signed LogoutResponse (Success) to {@code destination}. */
    public static String response(
            String issuer, String destination, String inResponseTo, SamlKeys keys, String relayState) {
        LogoutResponse r = OpenSaml.build(LogoutResponse.DEFAULT_ELEMENT_NAME);
        r.setID(OpenSaml.newId());
        r.setIssueInstant(IdentityProvider.time(Instant.now()));
        r.setDestination(destination);
        r.setInResponseTo(inResponseTo);
        r.setIssuer(issuer(issuer));
        Status s = OpenSaml.build(Status.DEFAULT_ELEMENT_NAME);
        StatusCode sc = OpenSaml.build(StatusCode.DEFAULT_ELEMENT_NAME);
        sc.setValue(StatusCode.SUCCESS);
        s.setStatusCode(sc);
        r.setStatus(s);
        return url(
                destination,
                Signing.redirectQuery("SAMLResponse", OpenSaml.deflateBase64(OpenSaml.toXml(r)), relayState, keys));
    }

    /**
     * Reads a LogoutRequest sent with HTTP-Redirect to {@code destination}.
     *
     * @param certificatesOf the signing certificates of an issuer, or {@code null} when it is not trusted
     */
    public static Request readRequest(
            String rawQuery, String message, String destination, Function<String, List<X509Certificate>> certificatesOf)
            throws SamlException {
        XMLObject o = OpenSaml.unmarshal(OpenSaml.inflateBase64(message));
        if (!(o instanceof LogoutRequest r)) {
            throw new SamlException("sso.malformed", "not a LogoutRequest");
        }
        String issuer = checked(
                rawQuery,
                "SAMLRequest",
                r.getIssuer(),
                r.getDestination(),
                destination,
                r.getIssueInstant() == null
                        ? null
                        : Instant.ofEpochMilli(r.getIssueInstant().getMillis()),
                certificatesOf);
        if (r.getNameID() == null || r.getNameID().getValue() == null) {
            throw new SamlException("sso.malformed", "LogoutRequest without a NameID");
        }
        String index = r.getSessionIndexes().isEmpty()
                ? null
                : r.getSessionIndexes().get(0).getSessionIndex();
        return new Request(issuer, r.getID(), r.getNameID().getValue(), index);
    }

    /** Reads a LogoutResponse sent with HTTP-Redirect to {@code destination}. */
    public static Response readResponse(
            String rawQuery, String message, String destination, Function<String, List<X509Certificate>> certificatesOf)
            throws SamlException {
        XMLObject o = OpenSaml.unmarshal(OpenSaml.inflateBase64(message));
        if (!(o instanceof LogoutResponse r)) {
            throw new SamlException("sso.malformed", "not a LogoutResponse");
        }
        String issuer = checked(
                rawQuery,
                "SAMLResponse",
                r.getIssuer(),
                r.getDestination(),
                destination,
                r.getIssueInstant() == null
                        ? null
                        : Instant.ofEpochMilli(r.getIssueInstant().getMillis()),
                certificatesOf);
        boolean ok = r.getStatus() != null
                && r.getStatus().getStatusCode() != null
                && StatusCode.SUCCESS.equals(r.getStatus().getStatusCode().getValue());
        return new Response(issuer, r.getInResponseTo(), ok);
    }

    private static String checked(
            String rawQuery,
            String parameter,
            Issuer issuer,
            String sentTo,
            String destination,
            Instant issued,
            Function<String, List<X509Certificate>> certificatesOf)
            throws SamlException {
        String name = issuer == null ? null : issuer.getValue();
        List<X509Certificate> certs = name == null ? null : certificatesOf.apply(name);
        if (certs == null) {
            throw new SamlException("sso.untrustedIssuer", "logout message from " + name);
        }
        Signing.verifyRedirect(rawQuery, parameter, certs);
        if (sentTo == null || !sentTo.equals(destination)) {
            throw new SamlException("sso.destination", "logout message for " + sentTo);
        }
        Instant now = Instant.now();
        if (issued == null
                || issued.isBefore(now.minus(IdentityProvider.VALIDITY).minus(IdentityProvider.SKEW))
                || issued.isAfter(now.plus(IdentityProvider.SKEW))) {
            throw new SamlException("sso.expired", "logout message issued at " + issued);
        }
        return name;
    }

    private static Issuer issuer(String value) {
        Issuer i = OpenSaml.build(Issuer.DEFAULT_ELEMENT_NAME);
        i.setValue(value);
        return i;
    }

    private static String url(String destination, String query) {
        return destination + (destination.contains("?") ? "&" : "?") + query;
    }
}
