package org.edufed.kernel.plugins.internal;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignerDigestMismatchException;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Checks a plugin archive against its detached CMS signature and the inherited trust anchor: exactly one
 * signer; its certificate issued by the anchor (a certificate for code signing, not a CA); both valid now;
 * the signature over the archive's digest intact; neither the archive nor the certificate revoked. Every
 * refusal names its reason with a text key, so the console says why in the user's language.
 */
final class Verifier {

    /** A refused archive: {@code key} is the text key of the reason, {@code args} its arguments. */
    static final class Refused extends Exception {
        final String key;
        final transient Object[] args;

        Refused(String key, Object... args) {
            super(key + " " + Arrays.toString(args));
            this.key = key;
            this.args = args;
        }
    }

    /** Who signed, and when their certificate ends. */
    record Signed(String signer, String serial, Instant notAfter, String algorithm) {}

    private Verifier() {}

    /** The archive's SM3 digest in lower-case hex: its name in the catalogue, the feed and revocations. */
    static String digest(byte[] archive) {
        SM3Digest d = new SM3Digest();
        d.update(archive, 0, archive.length);
        byte[] out = new byte[d.getDigestSize()];
        d.doFinal(out, 0);
        return HexFormat.of().formatHex(out);
    }

    /** The revocation key of a certificate (its serial number). */
    static String certificateKey(String serialHex) {
        return "cert-" + serialHex;
    }

    static Signed verify(
            byte[] archive, byte[] signature, X509Certificate anchor, Set<String> revoked, Instant now, Provider bc)
            throws Refused {
        if (signature == null || signature.length == 0) {
            throw new Refused("plugin.unsigned");
        }
        if (anchor == null) {
            throw new Refused("plugin.noTrust");
        }
        if (revoked.contains(digest(archive))) {
            throw new Refused("plugin.revoked");
        }
        CMSSignedData cms;
        try {
            cms = new CMSSignedData(new CMSProcessableByteArray(archive), signature);
        } catch (CMSException | RuntimeException e) {
            throw new Refused("plugin.badSignature", "not CMS SignedData");
        }
        Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
        if (signers.size() != 1) {
            throw new Refused("plugin.badSignature", signers.size() + " signers");
        }
        SignerInformation si = signers.iterator().next();
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> matches = cms.getCertificates().getMatches(si.getSID());
        if (matches.size() != 1) {
            throw new Refused("plugin.untrusted");
        }
        X509CertificateHolder holder = matches.iterator().next();
        X509Certificate cert;
        try {
            cert = new JcaX509CertificateConverter().setProvider(bc).getCertificate(holder);
        } catch (GeneralSecurityException e) {
            throw new Refused("plugin.untrusted");
        }
        if (!cert.getIssuerX500Principal().equals(anchor.getSubjectX500Principal())
                || !issuedBy(cert, anchor, bc)
                || cert.getBasicConstraints() >= 0
                || !codeSigning(cert)) {
            throw new Refused("plugin.untrusted");
        }
        String serial = cert.getSerialNumber().toString(16);
        if (revoked.contains(certificateKey(serial))) {
            throw new Refused("plugin.certRevoked", serial);
        }
        Date at = Date.from(now);
        if (!validAt(anchor, at) || !validAt(cert, at)) {
            throw new Refused(
                    "plugin.expired",
                    (validAt(cert, at) ? anchor : cert).getNotAfter().toInstant());
        }
        try {
            if (!si.verify(
                    new JcaSimpleSignerInfoVerifierBuilder().setProvider(bc).build(cert))) {
                throw new Refused("plugin.tampered");
            }
        } catch (CMSSignerDigestMismatchException e) {
            throw new Refused("plugin.tampered");
        } catch (CMSException | OperatorCreationException | RuntimeException e) {
            throw new Refused("plugin.tampered");
        }
        String algorithm = si.getEncryptionAlgOID().startsWith("1.2.156.10197.") ? "SM3withSM2" : "SHA256withECDSA";
        return new Signed(
                cert.getSubjectX500Principal().getName(),
                serial,
                cert.getNotAfter().toInstant(),
                algorithm);
    }

    private static boolean issuedBy(X509Certificate cert, X509Certificate issuer, Provider bc) {
        try {
            cert.verify(issuer.getPublicKey(), bc);
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static boolean codeSigning(X509Certificate cert) {
        boolean[] usage = cert.getKeyUsage();
        if (usage == null || !usage[0]) {
            return false;
        }
        try {
            List<String> eku = cert.getExtendedKeyUsage();
            return eku == null || eku.contains("1.3.6.1.5.5.7.3.3");
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    private static boolean validAt(X509Certificate cert, Date at) {
        return !at.before(cert.getNotBefore()) && !at.after(cert.getNotAfter());
    }
}
