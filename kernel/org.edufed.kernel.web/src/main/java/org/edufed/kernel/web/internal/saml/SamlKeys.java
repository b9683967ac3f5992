package org.edufed.kernel.web.internal.saml;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.opensaml.security.x509.BasicX509Credential;

/**
 * The node's SAML signing key: RSA 2048 with a self-signed certificate, as SAML metadata carries it. XML
 * Signature has no standard identifier for SM2, and independent SAML implementations (Shibboleth, Keycloak,
 * CARSI members) verify RSA-SHA256, so SAML uses RSA while the exchange between nodes uses SM2. Kept outside
 * the database, next to the node key ({@code ${karaf.data}/edufed/keys}), readable by the node's owner only.
 */
public final class SamlKeys {

    static final String KEY_FILE = "saml-key.pem";
    static final String CERT_FILE = "saml-cert.pem";
    private static final Duration VALIDITY = Duration.ofDays(3650);

    private final PrivateKey privateKey;
    private final X509Certificate certificate;

    private SamlKeys(PrivateKey privateKey, X509Certificate certificate) {
        this.privateKey = privateKey;
        this.certificate = certificate;
    }

    /** Loads the key and certificate from {@code dir}, creating both on first use. */
    public static SamlKeys loadOrCreate(Path dir, String subject) throws IOException {
        Path key = dir.resolve(KEY_FILE);
        Path cert = dir.resolve(CERT_FILE);
        try {
            if (Files.exists(key) && Files.exists(cert)) {
                KeyFactory kf = KeyFactory.getInstance("RSA");
                PrivateKey pk = kf.generatePrivate(new PKCS8EncodedKeySpec(pem(Files.readString(key))));
                return new SamlKeys(pk, certificate(pem(Files.readString(cert))));
            }
            SamlKeys created = generate(subject);
            Files.createDirectories(dir);
            write(key, "PRIVATE KEY", created.privateKey.getEncoded());
            write(cert, "CERTIFICATE", created.certificate.getEncoded());
            return created;
        } catch (GeneralSecurityException e) {
            throw new IOException("SAML signing key in " + dir + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** A new key pair with a self-signed certificate for {@code CN=subject}. */
    public static SamlKeys generate(String subject) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048, new SecureRandom());
            KeyPair pair = g.generateKeyPair();
            X500Name name = new X500Name("CN=" + subject.replaceAll("[,=+<>#;\"\\\\]", " ") + ",O=EduFed");
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name,
                    new BigInteger(128, new SecureRandom()),
                    Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(VALIDITY)),
                    name,
                    pair.getPublic());
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
            return new SamlKeys(pair.getPrivate(), cert);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create a SAML signing key: " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The credential OpenSAML signs with. */
    public BasicX509Credential credential() {
        BasicX509Credential c = new BasicX509Credential(certificate, privateKey);
        return c;
    }

    PrivateKey privateKey() {
        return privateKey;
    }

    /** The certificate's DER in base64, as {@code ds:X509Certificate} holds it. */
    public String certificateBase64() {
        try {
            return Base64.getEncoder().encodeToString(certificate.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A certificate from its DER (or base64 of it, as in metadata). */
    public static X509Certificate certificate(byte[] der) throws CertificateException {
        return (X509Certificate)
                CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static byte[] pem(String text) {
        String body = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(body);
    }

    private static void write(Path file, String type, byte[] der) throws IOException {
        String text = "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der)
                + "\n-----END " + type + "-----\n";
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the directory's permissions protect it
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
