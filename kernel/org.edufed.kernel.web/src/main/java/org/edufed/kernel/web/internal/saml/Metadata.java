package org.edufed.kernel.web.internal.saml;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.opensaml.core.xml.XMLObject;
import org.opensaml.saml.common.xml.SAMLConstants;
import org.opensaml.saml.saml2.core.NameIDType;
import org.opensaml.saml.saml2.metadata.AssertionConsumerService;
import org.opensaml.saml.saml2.metadata.Endpoint;
import org.opensaml.saml.saml2.metadata.EntitiesDescriptor;
import org.opensaml.saml.saml2.metadata.EntityDescriptor;
import org.opensaml.saml.saml2.metadata.IDPSSODescriptor;
import org.opensaml.saml.saml2.metadata.KeyDescriptor;
import org.opensaml.saml.saml2.metadata.NameIDFormat;
import org.opensaml.saml.saml2.metadata.RoleDescriptor;
import org.opensaml.saml.saml2.metadata.SPSSODescriptor;
import org.opensaml.saml.saml2.metadata.SingleLogoutService;
import org.opensaml.saml.saml2.metadata.SingleSignOnService;
import org.opensaml.security.credential.UsageType;
import org.opensaml.xmlsec.signature.X509Data;

/**
 * SAML 2.0 metadata (OASIS saml-metadata-2.0) of this node's IdP and SP, and what is read from the metadata
 * of the other side: entity ID, endpoints and signing certificates.
 */
public final class Metadata {

    public static final String IDP_METADATA = "/saml/idp/metadata";
    public static final String IDP_SSO = "/saml/idp/sso";
    public static final String IDP_SLO = "/saml/idp/slo";
    public static final String SP_METADATA = "/saml/sp/metadata";
    public static final String SP_ACS = "/saml/sp/acs";
    public static final String SP_SLO = "/saml/sp/slo";

    private Metadata() {}

    /** An identity provider as its metadata describes it. */
    public record Idp(
            String entityId,
            String ssoRedirect,
            String ssoPost,
            String sloRedirect,
            List<X509Certificate> signingCertificates,
            boolean wantsSignedRequests) {}

    /** A service provider as its metadata describes it. */
    public record Sp(String entityId, String acsPost, String sloRedirect, List<X509Certificate> signingCertificates) {}

    /** This node's IdP metadata, for an IdP at {@code baseUrl}. */
    public static String idp(String baseUrl, SamlKeys keys) {
        EntityDescriptor ed = OpenSaml.build(EntityDescriptor.DEFAULT_ELEMENT_NAME);
        ed.setEntityID(baseUrl + IDP_METADATA);
        IDPSSODescriptor d = OpenSaml.build(IDPSSODescriptor.DEFAULT_ELEMENT_NAME);
        d.addSupportedProtocol(SAMLConstants.SAML20P_NS);
        d.setWantAuthnRequestsSigned(true);
        d.getKeyDescriptors().add(signingKey(keys));
        d.getSingleLogoutServices()
                .add(endpoint(
                        SingleLogoutService.DEFAULT_ELEMENT_NAME,
                        SAMLConstants.SAML2_REDIRECT_BINDING_URI,
                        baseUrl + IDP_SLO));
        for (String format : List.of(NameIDType.PERSISTENT, NameIDType.UNSPECIFIED)) {
            NameIDFormat f = OpenSaml.build(NameIDFormat.DEFAULT_ELEMENT_NAME);
            f.setFormat(format);
            d.getNameIDFormats().add(f);
        }
        d.getSingleSignOnServices()
                .add(endpoint(
                        SingleSignOnService.DEFAULT_ELEMENT_NAME,
                        SAMLConstants.SAML2_REDIRECT_BINDING_URI,
                        baseUrl + IDP_SSO));
        d.getSingleSignOnServices()
                .add(endpoint(
                        SingleSignOnService.DEFAULT_ELEMENT_NAME,
                        SAMLConstants.SAML2_POST_BINDING_URI,
                        baseUrl + IDP_SSO));
        ed.getRoleDescriptors().add(d);
        return OpenSaml.toXml(ed);
    }

    /** This node's SP metadata, for an SP at {@code baseUrl}. */
    public static String sp(String baseUrl, SamlKeys keys) {
        EntityDescriptor ed = OpenSaml.build(EntityDescriptor.DEFAULT_ELEMENT_NAME);
        ed.setEntityID(baseUrl + SP_METADATA);
        SPSSODescriptor d = OpenSaml.build(SPSSODescriptor.DEFAULT_ELEMENT_NAME);
        d.addSupportedProtocol(SAMLConstants.SAML20P_NS);
        d.setAuthnRequestsSigned(true);
        d.setWantAssertionsSigned(true);
        d.getKeyDescriptors().add(signingKey(keys));
        d.getSingleLogoutServices()
                .add(endpoint(
                        SingleLogoutService.DEFAULT_ELEMENT_NAME,
                        SAMLConstants.SAML2_REDIRECT_BINDING_URI,
                        baseUrl + SP_SLO));
        NameIDFormat f = OpenSaml.build(NameIDFormat.DEFAULT_ELEMENT_NAME);
        f.setFormat(NameIDType.PERSISTENT);
        d.getNameIDFormats().add(f);
        AssertionConsumerService acs = endpoint(
                AssertionConsumerService.DEFAULT_ELEMENT_NAME, SAMLConstants.SAML2_POST_BINDING_URI, baseUrl + SP_ACS);
        acs.setIndex(0);
        acs.setIsDefault(true);
        d.getAssertionConsumerServices().add(acs);
        ed.getRoleDescriptors().add(d);
        return OpenSaml.toXml(ed);
    }

    /**
     * The IdP a metadata document describes: an {@code EntityDescriptor}, or the first entity with an IdP role
     * in an {@code EntitiesDescriptor} (a federation's aggregate).
     */
    public static Idp parseIdp(String xml) throws SamlException {
        for (EntityDescriptor ed : entities(xml)) {
            IDPSSODescriptor d = ed.getIDPSSODescriptor(SAMLConstants.SAML20P_NS);
            if (d == null) {
                continue;
            }
            String redirect = null;
            String post = null;
            for (SingleSignOnService s : d.getSingleSignOnServices()) {
                if (SAMLConstants.SAML2_REDIRECT_BINDING_URI.equals(s.getBinding()) && redirect == null) {
                    redirect = s.getLocation();
                } else if (SAMLConstants.SAML2_POST_BINDING_URI.equals(s.getBinding()) && post == null) {
                    post = s.getLocation();
                }
            }
            if (redirect == null) {
                throw new SamlException(
                        "sso.badMetadata", "IdP " + ed.getEntityID() + " has no HTTP-Redirect SSO endpoint");
            }
            return new Idp(
                    ed.getEntityID(),
                    redirect,
                    post,
                    redirectEndpoint(d.getSingleLogoutServices()),
                    signingCertificates(ed.getEntityID(), d),
                    Boolean.TRUE.equals(d.getWantAuthnRequestsSigned()));
        }
        throw new SamlException("sso.badMetadata", "no SAML 2.0 identity provider in the metadata");
    }

    /** The SP a metadata document describes. */
    public static Sp parseSp(String xml) throws SamlException {
        for (EntityDescriptor ed : entities(xml)) {
            SPSSODescriptor d = ed.getSPSSODescriptor(SAMLConstants.SAML20P_NS);
            if (d == null) {
                continue;
            }
            String acs = null;
            for (AssertionConsumerService s : d.getAssertionConsumerServices()) {
                if (SAMLConstants.SAML2_POST_BINDING_URI.equals(s.getBinding())
                        && (acs == null || Boolean.TRUE.equals(s.isDefault()))) {
                    acs = s.getLocation();
                }
            }
            if (acs == null) {
                throw new SamlException("sso.badMetadata", "SP " + ed.getEntityID() + " has no HTTP-POST ACS");
            }
            return new Sp(
                    ed.getEntityID(),
                    acs,
                    redirectEndpoint(d.getSingleLogoutServices()),
                    signingCertificates(ed.getEntityID(), d));
        }
        throw new SamlException("sso.badMetadata", "no SAML 2.0 service provider in the metadata");
    }

    private static List<EntityDescriptor> entities(String xml) throws SamlException {
        if (xml == null || xml.isBlank()) {
            throw new SamlException("sso.badMetadata", "no metadata");
        }
        XMLObject root = OpenSaml.unmarshal(xml.getBytes(StandardCharsets.UTF_8));
        List<EntityDescriptor> out = new ArrayList<>();
        collect(root, out);
        return out;
    }

    private static void collect(XMLObject o, List<EntityDescriptor> out) {
        if (o instanceof EntityDescriptor ed) {
            out.add(ed);
        } else if (o instanceof EntitiesDescriptor eds) {
            out.addAll(eds.getEntityDescriptors());
            eds.getEntitiesDescriptors().forEach(child -> collect(child, out));
        }
    }

    private static String redirectEndpoint(List<SingleLogoutService> services) {
        return services.stream()
                .filter(s -> SAMLConstants.SAML2_REDIRECT_BINDING_URI.equals(s.getBinding()))
                .map(Endpoint::getLocation)
                .findFirst()
                .orElse(null);
    }

    private static List<X509Certificate> signingCertificates(String entityId, RoleDescriptor d) throws SamlException {
        List<X509Certificate> out = new ArrayList<>();
        for (KeyDescriptor k : d.getKeyDescriptors()) {
            if (k.getUse() == UsageType.ENCRYPTION || k.getKeyInfo() == null) {
                continue;
            }
            for (X509Data data : k.getKeyInfo().getX509Datas()) {
                for (org.opensaml.xmlsec.signature.X509Certificate c : data.getX509Certificates()) {
                    try {
                        out.add(SamlKeys.certificate(java.util.Base64.getMimeDecoder()
                                .decode(c.getValue() == null ? "" : c.getValue().trim())));
                    } catch (CertificateException | IllegalArgumentException e) {
                        throw new SamlException("sso.badMetadata", "a certificate of " + entityId + " cannot be read");
                    }
                }
            }
        }
        if (out.isEmpty()) {
            throw new SamlException("sso.noCertificate", entityId + " publishes no signing certificate");
        }
        return out;
    }

    private static KeyDescriptor signingKey(SamlKeys keys) {
        KeyDescriptor kd = OpenSaml.build(KeyDescriptor.DEFAULT_ELEMENT_NAME);
        kd.setUse(UsageType.SIGNING);
        kd.setKeyInfo(Signing.keyInfo(keys));
        return kd;
    }

    private static <T extends Endpoint> T endpoint(javax.xml.namespace.QName name, String binding, String location) {
        T e = OpenSaml.build(name);
        e.setBinding(binding);
        e.setLocation(location);
        return e;
    }
}
