package org.edufed.kernel.plugins.internal;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * The province's plugin certification authority (插件认证): a root key with a self-signed certificate — the
 * trust anchor every node inherits — and a signing key certified by it, which signs plugin archives with a
 * detached CMS signature (SignedData without the content; its signed attributes carry the archive's digest).
 * SM2 with SM3 by default, ECDSA P-256 with SHA-256 as the option. Keys live in {@code ${karaf.data}/edufed/keys},
 * owner-only, never in the database; the signing certificate is renewed by the root before it expires.
 */
final class Certification {

    enum Algorithm {
        SM2("sm2p256v1", "SM3WITHSM2"),
        ECDSA("secp256r1", "SHA256WITHECDSA");

        final String curve;
        final String signature;

        Algorithm(String curve, String signature) {
            this.curve = curve;
            this.signature = signature;
        }

        static Algorithm parse(String value) {
            return value != null && value.trim().equalsIgnoreCase("ecdsa") ? ECDSA : SM2;
        }
    }

    static final Duration ROOT_VALIDITY = Duration.ofDays(20 * 365);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private final Provider bc;
    private final Algorithm algorithm;
    private final X509Certificate root;
    private final PrivateKey rootKey;
    private final X509Certificate signer;
    private final PrivateKey signerKey;

    Certification(
            Provider bc,
            Algorithm algorithm,
            X509Certificate root,
            PrivateKey rootKey,
            X509Certificate signer,
            PrivateKey signerKey) {
        this.bc = bc;
        this.algorithm = algorithm;
        this.root = root;
        this.rootKey = rootKey;
        this.signer = signer;
        this.signerKey = signerKey;
    }

    /**
     * Loads the authority from {@code dir}, creating the root on first use and a new signing certificate when
     * there is none or the one there expires within {@link #RENEW_BEFORE}.
     */
    static Certification loadOrCreate(
            Path dir, String subject, Algorithm algorithm, Duration signingValidity, Provider bc) throws IOException {
        String prefix = "plugin-ca-" + algorithm.name().toLowerCase(Locale.ROOT);
        Path rootKeyFile = dir.resolve(prefix + ".key.pem");
        Path rootCertFile = dir.resolve(prefix + ".crt.pem");
        Path signKeyFile = dir.resolve(prefix + "-signing.key.pem");
        Path signCertFile = dir.resolve(prefix + "-signing.crt.pem");
        try {
            Files.createDirectories(dir);
            X509Certificate root;
            PrivateKey rootKey;
            if (Files.exists(rootKeyFile) && Files.exists(rootCertFile)) {
                rootKey = readKey(rootKeyFile, bc);
                root = readCertificate(Files.readString(rootCertFile), bc);
            } else {
                KeyPair pair = keyPair(algorithm, bc);
                Instant now = Instant.now();
                root = rootCertificate(
                        bc,
                        algorithm,
                        name(subject, "插件认证根证书"),
                        pair,
                        now.minus(Duration.ofDays(1)),
                        now.plus(ROOT_VALIDITY));
                rootKey = pair.getPrivate();
                write(signKeyFile, null);
                write(rootKeyFile, pem(rootKey));
                write(rootCertFile, pem(root));
            }
            X509Certificate signer = null;
            PrivateKey signerKey = null;
            if (Files.exists(signKeyFile) && Files.exists(signCertFile)) {
                signer = readCertificate(Files.readString(signCertFile), bc);
                signerKey = readKey(signKeyFile, bc);
            }
            Instant now = Instant.now();
            if (signer == null || signer.getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE))) {
                KeyPair pair = keyPair(algorithm, bc);
                signer = signingCertificate(
                        bc,
                        algorithm,
                        root,
                        rootKey,
                        name(subject, "插件签名证书"),
                        pair,
                        now.minus(Duration.ofMinutes(5)),
                        now.plus(signingValidity));
                signerKey = pair.getPrivate();
                write(signKeyFile, pem(signerKey));
                write(signCertFile, pem(signer));
            }
            return new Certification(bc, algorithm, root, rootKey, signer, signerKey);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("plugin certification keys in " + dir + ": " + e.getMessage(), e);
        }
    }

    Algorithm algorithm() {
        return algorithm;
    }

    /** The trust anchor every node verifies against. */
    X509Certificate root() {
        return root;
    }

    X509Certificate signer() {
        return signer;
    }

    PrivateKey rootKey() {
        return rootKey;
    }

    /** A detached CMS signature (DER) of the archive, with the signing and root certificates inside. */
    byte[] sign(byte[] archive) {
        return sign(archive, signer, signerKey, List.of(signer, root), algorithm, bc);
    }

    static byte[] sign(
            byte[] archive,
            X509Certificate cert,
            PrivateKey key,
            List<X509Certificate> chain,
            Algorithm algorithm,
            Provider bc) {
        try {
            ContentSigner contentSigner = new JcaContentSignerBuilder(algorithm.signature)
                    .setProvider(bc)
                    .build(key);
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder()
                            .setProvider(bc)
                            .build())
                    .build(contentSigner, cert));
            gen.addCertificates(new JcaCertStore(chain));
            CMSSignedData signed = gen.generate(new CMSProcessableByteArray(archive), false);
            return signed.getEncoded();
        } catch (GeneralSecurityException | OperatorCreationException | CMSException | IOException e) {
            throw new IllegalStateException("cannot sign: " + e.getMessage(), e);
        }
    }

    // --- keys and certificates -----------------------------------------------------------------------

    static KeyPair keyPair(Algorithm algorithm, Provider bc) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", bc);
        g.initialize(new ECGenParameterSpec(algorithm.curve), new SecureRandom());
        return g.generateKeyPair();
    }

    static X500Name name(String organisation, String role) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, organisation + " " + role)
                .addRDN(BCStyle.O, "EduFed")
                .build();
    }

    static X509Certificate rootCertificate(
            Provider bc, Algorithm algorithm, X500Name name, KeyPair pair, Instant notBefore, Instant notAfter)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                name, serial(), Date.from(notBefore), Date.from(notAfter), name, pair.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return convert(
                bc,
                b.build(new JcaContentSignerBuilder(algorithm.signature)
                        .setProvider(bc)
                        .build(pair.getPrivate())));
    }

    static X509Certificate signingCertificate(
            Provider bc,
            Algorithm algorithm,
            X509Certificate issuer,
            PrivateKey issuerKey,
            X500Name name,
            KeyPair pair,
            Instant notBefore,
            Instant notAfter)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                issuer, serial(), Date.from(notBefore), Date.from(notAfter), name, pair.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning));
        return convert(
                bc,
                b.build(new JcaContentSignerBuilder(algorithm.signature)
                        .setProvider(bc)
                        .build(issuerKey)));
    }

    private static X509Certificate convert(Provider bc, X509CertificateHolder holder) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().setProvider(bc).getCertificate(holder);
    }

    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
    }

    static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(object instanceof PrivateKey k ? new JcaPKCS8Generator(k, null) : object);
        }
        return out.toString();
    }

    static X509Certificate readCertificate(String pem, Provider bc) throws IOException, GeneralSecurityException {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            if (!(o instanceof X509CertificateHolder holder)) {
                throw new IOException("not a PEM certificate");
            }
            return convert(bc, holder);
        }
    }

    private static PrivateKey readKey(Path file, Provider bc) throws IOException {
        try (PEMParser p = new PEMParser(new StringReader(Files.readString(file, StandardCharsets.US_ASCII)))) {
            Object o = p.readObject();
            if (!(o instanceof PrivateKeyInfo info)) {
                throw new IOException(file + " is not a PKCS#8 private key");
            }
            return new JcaPEMKeyConverter().setProvider(bc).getPrivateKey(info);
        }
    }

    /** Writes owner-only, atomically; {@code null} text removes the file. */
    private static void write(Path file, String text) throws IOException {
        if (text == null) {
            Files.deleteIfExists(file);
            return;
        }
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
