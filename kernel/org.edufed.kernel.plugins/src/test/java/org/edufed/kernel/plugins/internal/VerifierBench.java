package org.edufed.kernel.plugins.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;

/**
 * Not a test: the verification benchmark behind {@code bench/plugins.sh} (the name keeps it out of the test run;
 * the script runs it with {@code -Dtest=VerifierBench}). What a node does before it installs an archive — CMS
 * detached signature, chain to the inherited root, validity, revocations, SM3 digest — side by side with the
 * least it could do: one plain SM3withSM2 signature check over the same bytes. Archive: {@code BENCH_ARCHIVE}
 * (a built plugin KAR) or 64 KB of bytes. Prints one line of JSON.
 */
class VerifierBench {

    static final Provider BC = new BouncyCastleProvider();

    @Test
    void verify() throws Exception {
        String file = System.getenv("BENCH_ARCHIVE");
        byte[] archive = file == null || file.isBlank() ? new byte[64 * 1024] : Files.readAllBytes(Path.of(file));
        int n = Integer.parseInt(System.getenv().getOrDefault("BENCH_N", "2000"));
        Path dir = Files.createTempDirectory("verifier-bench");
        Certification ca =
                Certification.loadOrCreate(dir, "基准测试", Certification.Algorithm.SM2, Duration.ofDays(365), BC);
        byte[] cms = ca.sign(archive);
        Signature signer = Signature.getInstance("SM3withSM2", BC);
        signer.initSign(ca.rootKey());
        signer.update(archive);
        byte[] plain = signer.sign();
        Set<String> revoked = Set.of("cert-1", "ab".repeat(32));
        long[] full = new long[n];
        long[] base = new long[n];
        for (int round = 0; round < 2; round++) { // the first round warms up
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                Verifier.verify(archive, cms, ca.root(), revoked, Instant.now(), BC);
                long t1 = System.nanoTime();
                Signature v = Signature.getInstance("SM3withSM2", BC);
                v.initVerify(ca.root().getPublicKey());
                v.update(archive);
                if (!v.verify(plain)) {
                    throw new AssertionError("baseline signature");
                }
                long t2 = System.nanoTime();
                full[i] = t1 - t0;
                base[i] = t2 - t1;
            }
        }
        double fullMs = median(full) / 1e6;
        double baseMs = median(base) / 1e6;
        System.out.printf(
                "{\"archive_bytes\":%d,\"signature_bytes\":%d,\"verify_ms\":%.3f,\"verify_p99_ms\":%.3f,\"baseline_sm2_verify_ms\":%.3f,\"verify_vs_baseline\":%.2f,\"n\":%d}%n",
                archive.length, cms.length, fullMs, p99(full) / 1e6, baseMs, fullMs / baseMs, n);
    }

    static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static double p99(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(s.length * 0.99))];
    }
}
