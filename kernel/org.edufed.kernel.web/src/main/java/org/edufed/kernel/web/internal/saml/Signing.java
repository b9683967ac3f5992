package org.edufed.kernel.web.internal.saml;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import org.opensaml.saml.common.SAMLObjectContentReference;
import org.opensaml.saml.common.SignableSAMLObject;
import org.opensaml.saml.security.impl.SAMLSignatureProfileValidator;
import org.opensaml.security.x509.BasicX509Credential;
import org.opensaml.xmlsec.signature.KeyInfo;
import org.opensaml.xmlsec.signature.Signature;
import org.opensaml.xmlsec.signature.X509Data;
import org.opensaml.xmlsec.signature.support.SignatureConstants;
import org.opensaml.xmlsec.signature.support.SignatureException;
import org.opensaml.xmlsec.signature.support.SignatureValidator;
import org.opensaml.xmlsec.signature.support.Signer;

/** XML signatures of SAML objects (RSA-SHA256, exclusive C14N) and the query signatures of HTTP-Redirect. */
public final class Signing {

    public static final String ALGORITHM = SignatureConstants.ALGO_ID_SIGNATURE_RSA_SHA256;
    private static final String JCA_ALGORITHM = "SHA256withRSA";

    private Signing() {}

    /** Attaches an (empty) enveloped signature to {@code object}; {@link #sign} computes it after marshalling. */
    public static Signature prepare(SignableSAMLObject object, SamlKeys keys) {
        Signature sig = OpenSaml.build(Signature.DEFAULT_ELEMENT_NAME);
        sig.setSigningCredential(keys.credential());
        sig.setSignatureAlgorithm(ALGORITHM);
        sig.setCanonicalizationAlgorithm(SignatureConstants.ALGO_ID_C14N_EXCL_OMIT_COMMENTS);
        sig.setKeyInfo(keyInfo(keys));
        object.setSignature(sig);
        sig.getContentReferences().stream()
                .filter(SAMLObjectContentReference.class::isInstance)
                .map(SAMLObjectContentReference.class::cast)
                .forEach(r -> r.setDigestAlgorithm(SignatureConstants.ALGO_ID_DIGEST_SHA256));
        return sig;
    }

    /** A {@code ds:KeyInfo} with the node's signing certificate, as signatures and metadata carry it. */
    static KeyInfo keyInfo(SamlKeys keys) {
        KeyInfo ki = OpenSaml.build(KeyInfo.DEFAULT_ELEMENT_NAME);
        X509Data data = OpenSaml.build(X509Data.DEFAULT_ELEMENT_NAME);
        org.opensaml.xmlsec.signature.X509Certificate c =
                OpenSaml.build(org.opensaml.xmlsec.signature.X509Certificate.DEFAULT_ELEMENT_NAME);
        c.setValue(keys.certificateBase64());
        data.getX509Certificates().add(c);
        ki.getX509Datas().add(data);
        return ki;
    }

    /** Computes prepared signatures, innermost first, once the outermost object has been marshalled. */
    public static void sign(Signature... signatures) {
        ClassLoader previous = OpenSaml.enterBundle();
        try {
            for (Signature s : signatures) {
                Signer.signObject(s);
            }
        } catch (SignatureException e) {
            throw new IllegalStateException("cannot sign: " + e.getMessage(), e);
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    /**
     * Checks an object's enveloped signature: the SAML profile (one reference, to this very element by its ID,
     * enveloped and exclusive-C14N transforms only) and the cryptography, against any of the certificates.
     *
     * @throws SamlException {@code sso.unsigned} or {@code sso.badSignature}
     */
    public static void verify(SignableSAMLObject object, List<X509Certificate> trusted) throws SamlException {
        Signature sig = object.getSignature();
        if (sig == null) {
            throw new SamlException("sso.unsigned", object.getElementQName().getLocalPart() + " is not signed");
        }
        try {
            new SAMLSignatureProfileValidator().validate(sig);
        } catch (SignatureException e) {
            throw new SamlException("sso.badSignature", "signature profile: " + e.getMessage());
        }
        if (!ALGORITHM.equals(sig.getSignatureAlgorithm())
                && !SignatureConstants.ALGO_ID_SIGNATURE_RSA_SHA512.equals(sig.getSignatureAlgorithm())
                && !SignatureConstants.ALGO_ID_SIGNATURE_ECDSA_SHA256.equals(sig.getSignatureAlgorithm())) {
            throw new SamlException(
                    "sso.badSignature", "signature algorithm not accepted: " + sig.getSignatureAlgorithm());
        }
        ClassLoader previous = OpenSaml.enterBundle();
        try {
            for (X509Certificate cert : trusted) {
                try {
                    SignatureValidator.validate(sig, new BasicX509Credential(cert));
                    return;
                } catch (SignatureException e) {
                    // try the next certificate (a key rollover publishes two)
                }
            }
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
        throw new SamlException("sso.badSignature", "signature does not verify with the trusted certificate(s)");
    }

    /**
     * HTTP-Redirect binding: the query {@code SAMLRequest|SAMLResponse=…[&RelayState=…]&SigAlg=…&Signature=…}
     * for a message already deflated and base64-encoded.
     */
    public static String redirectQuery(String parameter, String encodedMessage, String relayState, SamlKeys keys) {
        StringBuilder q = new StringBuilder(parameter).append('=').append(url(encodedMessage));
        if (relayState != null) {
            q.append("&RelayState=").append(url(relayState));
        }
        q.append("&SigAlg=").append(url(ALGORITHM));
        try {
            java.security.Signature s = java.security.Signature.getInstance(JCA_ALGORITHM);
            s.initSign(keys.privateKey());
            s.update(q.toString().getBytes(StandardCharsets.UTF_8));
            q.append("&Signature=").append(url(Base64.getEncoder().encodeToString(s.sign())));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign: " + e.getMessage(), e);
        }
        return q.toString();
    }

    /**
     * Verifies an HTTP-Redirect query signature over the parameters exactly as they were sent (their URL
     * encoding included, as the binding requires).
     *
     * @throws SamlException {@code sso.unsigned} or {@code sso.badSignature}
     */
    public static void verifyRedirect(String rawQuery, String parameter, List<X509Certificate> trusted)
            throws SamlException {
        String message = null;
        String relay = null;
        String alg = null;
        String signature = null;
        for (String pair : rawQuery == null ? new String[0] : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (name.equals(parameter)) {
                message = pair;
            } else if (name.equals("RelayState")) {
                relay = pair;
            } else if (name.equals("SigAlg")) {
                alg = pair;
            } else if (name.equals("Signature")) {
                signature = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        if (message == null || alg == null || signature == null) {
            throw new SamlException("sso.unsigned", "redirect message without SigAlg/Signature");
        }
        if (!ALGORITHM.equals(URLDecoder.decode(alg.substring(alg.indexOf('=') + 1), StandardCharsets.UTF_8))) {
            throw new SamlException("sso.badSignature", "signature algorithm not accepted");
        }
        String signed = message + (relay == null ? "" : "&" + relay) + "&" + alg;
        byte[] sigBytes;
        try {
            sigBytes = Base64.getMimeDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            throw new SamlException("sso.badSignature", "signature is not base64");
        }
        for (X509Certificate cert : trusted) {
            try {
                java.security.Signature s = java.security.Signature.getInstance(JCA_ALGORITHM);
                s.initVerify(cert.getPublicKey());
                s.update(signed.getBytes(StandardCharsets.UTF_8));
                if (s.verify(sigBytes)) {
                    return;
                }
            } catch (GeneralSecurityException e) {
                // next certificate
            }
        }
        throw new SamlException("sso.badSignature", "redirect signature does not verify");
    }

    static String url(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
