package org.edufed.kernel.plugins.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Certification and verification of plugin archives: what is refused, and why. */
class VerifierTest {

    static final Provider BC = new BouncyCastleProvider();
    static final byte[] ARCHIVE = "PK… a plugin archive's bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    Certification ca(Certification.Algorithm algorithm) throws Exception {
        return Certification.loadOrCreate(dir.resolve(algorithm.name()), "四川省教育厅", algorithm, Duration.ofDays(365), BC);
    }

    Verifier.Refused refused(Certification ca, byte[] archive, byte[] signature, Set<String> revoked) {
        return assertThrows(
                Verifier.Refused.class,
                () -> Verifier.verify(archive, signature, ca.root(), revoked, Instant.now(), BC));
    }

    @ParameterizedTest
    @EnumSource(Certification.Algorithm.class)
    void aSignedArchiveVerifies(Certification.Algorithm algorithm) throws Exception {
        Certification ca = ca(algorithm);
        byte[] sig = ca.sign(ARCHIVE);
        Verifier.Signed signed = Verifier.verify(ARCHIVE, sig, ca.root(), Set.of(), Instant.now(), BC);
        assertEquals(algorithm == Certification.Algorithm.SM2 ? "SM3withSM2" : "SHA256withECDSA", signed.algorithm());
        assertTrue(signed.signer().contains("插件签名证书"), signed.signer());
    }

    @Test
    void keysSurviveARestartAndStayOwnerOnly() throws Exception {
        Certification first = ca(Certification.Algorithm.SM2);
        Certification again = ca(Certification.Algorithm.SM2);
        assertEquals(first.root(), again.root());
        assertEquals(first.signer(), again.signer());
        Path key = dir.resolve("SM2").resolve("plugin-ca-sm2.key.pem");
        assertEquals(
                "rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        // what one start signed, the next start verifies
        Verifier.verify(ARCHIVE, first.sign(ARCHIVE), again.root(), Set.of(), Instant.now(), BC);
    }

    @Test
    void unsignedIsRefused() throws Exception {
        assertEquals("plugin.unsigned", refused(ca(Certification.Algorithm.SM2), ARCHIVE, new byte[0], Set.of()).key);
        assertEquals("plugin.unsigned", refused(ca(Certification.Algorithm.SM2), ARCHIVE, null, Set.of()).key);
    }

    @Test
    void oneChangedByteIsRefusedAsTampered() throws Exception {
        Certification ca = ca(Certification.Algorithm.SM2);
        byte[] sig = ca.sign(ARCHIVE);
        byte[] tampered = ARCHIVE.clone();
        tampered[5] ^= 1;
        assertEquals("plugin.tampered", refused(ca, tampered, sig, Set.of()).key);
    }

    @Test
    void garbageIsNotASignature() throws Exception {
        assertEquals(
                "plugin.badSignature",
                refused(ca(Certification.Algorithm.SM2), ARCHIVE, "not cms".getBytes(), Set.of()).key);
    }

    @Test
    void anotherAuthoritysSignatureIsUntrusted() throws Exception {
        Certification ours = ca(Certification.Algorithm.SM2);
        Certification theirs = Certification.loadOrCreate(
                dir.resolve("other"), "四川省教育厅", Certification.Algorithm.SM2, Duration.ofDays(365), BC);
        // same names, other keys: the subject alone must not be trusted
        assertEquals("plugin.untrusted", refused(ours, ARCHIVE, theirs.sign(ARCHIVE), Set.of()).key);
    }

    @Test
    void theRootKeySigningDirectlyIsNotACodeSigningCertificate() throws Exception {
        Certification ca = ca(Certification.Algorithm.SM2);
        byte[] sig = Certification.sign(
                ARCHIVE, ca.root(), ca.rootKey(), List.of(ca.root()), Certification.Algorithm.SM2, BC);
        assertEquals("plugin.untrusted", refused(ca, ARCHIVE, sig, Set.of()).key);
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        Certification ca = ca(Certification.Algorithm.SM2);
        KeyPair pair = Certification.keyPair(Certification.Algorithm.SM2, BC);
        Instant now = Instant.now();
        X509Certificate expired = Certification.signingCertificate(
                BC,
                Certification.Algorithm.SM2,
                ca.root(),
                ca.rootKey(),
                Certification.name("四川省教育厅", "插件签名证书"),
                pair,
                now.minus(Duration.ofDays(400)),
                now.minus(Duration.ofDays(1)));
        byte[] sig = Certification.sign(
                ARCHIVE, expired, pair.getPrivate(), List.of(expired, ca.root()), Certification.Algorithm.SM2, BC);
        assertEquals("plugin.expired", refused(ca, ARCHIVE, sig, Set.of()).key);
    }

    @Test
    void revokedArchivesAndCertificatesAreRefused() throws Exception {
        Certification ca = ca(Certification.Algorithm.SM2);
        byte[] sig = ca.sign(ARCHIVE);
        assertEquals("plugin.revoked", refused(ca, ARCHIVE, sig, Set.of(Verifier.digest(ARCHIVE))).key);
        String serial = Verifier.certificateKey(ca.signer().getSerialNumber().toString(16));
        assertEquals("plugin.certRevoked", refused(ca, ARCHIVE, sig, Set.of(serial)).key);
    }

    @Test
    void theDigestIsSm3() {
        // GB/T 32905 test vector: SM3("abc")
        assertEquals(
                "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
                Verifier.digest("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }
}
