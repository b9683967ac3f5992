package org.edufed.kernel.core.internal.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SM4-GCM field encryption: round trips, tampering refused, keys outside the database, rotation. */
class FieldKeysTest {

    @TempDir
    Path tmp;

    @Test
    void valuesRoundTripAndNeverRepeatTheirCiphertext() throws Exception {
        FieldKeys keys = new FieldKeys(tmp.resolve("keys"));
        String id = "11010519491231002X";
        String a = keys.encrypt(id);
        String b = keys.encrypt(id);
        assertTrue(a.startsWith("sm4g:k1:"), a);
        assertNotEquals(a, b, "a fresh nonce for every value");
        assertFalse(a.contains(id));
        assertEquals(id, keys.decrypt(a));
        assertEquals("张三的监护人 13800138000", keys.decrypt(keys.encrypt("张三的监护人 13800138000")));
        assertEquals(keys.blindIndex(id), keys.blindIndex(id));
        assertNotEquals(keys.blindIndex(id), keys.blindIndex("110105194912310021"));
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(tmp.resolve("keys/field-keys.properties"))));

        // the same keys after a restart; another node's keys cannot read it
        assertEquals(id, new FieldKeys(tmp.resolve("keys")).decrypt(a));
        assertThrows(IllegalArgumentException.class, () -> new FieldKeys(tmp.resolve("other")).decrypt(a));
    }

    @Test
    void aChangedCiphertextIsRefused() throws Exception {
        FieldKeys keys = new FieldKeys(tmp.resolve("keys"));
        String c = keys.encrypt("13800138000");
        byte[] raw = Base64.getDecoder().decode(c.substring("sm4g:k1:".length()));
        raw[raw.length - 1] ^= 1;
        String tampered = "sm4g:k1:" + Base64.getEncoder().encodeToString(raw);
        assertThrows(IllegalArgumentException.class, () -> keys.decrypt(tampered));
        assertThrows(IllegalArgumentException.class, () -> keys.decrypt("plain text"));
        assertThrows(IllegalArgumentException.class, () -> keys.decrypt(c.replace("sm4g:k1:", "sm4g:k9:")));
    }

    @Test
    void aCiphertextIsToldFromPlaintextAndFromAValueOfAKeyNotHeldHere() throws Exception {
        FieldKeys keys = new FieldKeys(tmp.resolve("keys"));
        assertTrue(keys.isCiphertext(keys.encrypt("11010519491231002X")));
        assertTrue(keys.isCiphertext(keys.encrypt("")), "an empty value encrypted is a ciphertext too");
        for (String v : new String[] {null, "", "11010519491231002X", "sm4g:", "sm4g:k1", "sm4g:k1:abc"}) {
            assertFalse(keys.isCiphertext(v), v);
        }
        String c = keys.encrypt("13800138000");
        assertFalse(keys.isCiphertext(c.replace("sm4g:k1:", "sm4g:k9:")), "a key this node does not have");
        keys.rotate();
        assertTrue(keys.isCiphertext(c), "a value of an earlier key still is one");
    }

    @Test
    void aRotatedKeyEncryptsNewValuesAndOldOnesStillRead() throws Exception {
        FieldKeys keys = new FieldKeys(tmp.resolve("keys"));
        String old = keys.encrypt("old");
        assertEquals("k2", keys.rotate());
        String fresh = keys.encrypt("new");
        assertTrue(fresh.startsWith("sm4g:k2:"));
        FieldKeys reloaded = new FieldKeys(tmp.resolve("keys"));
        assertEquals("old", reloaded.decrypt(old));
        assertEquals("new", reloaded.decrypt(fresh));
        assertEquals(keys.blindIndex("x"), reloaded.blindIndex("x"), "blind indexes survive a rotation");
    }

    /**
     * Each thread keeps its ciphers keyed (only the nonce changes between values): values of two keys interleaved,
     * a refused ciphertext in between, and many threads at once all read back what they wrote.
     */
    @Test
    void ciphersKeptPerThreadStayApartAcrossKeysFailuresAndThreads() throws Exception {
        FieldKeys keys = new FieldKeys(tmp.resolve("keys"));
        String k1 = keys.encrypt("第一把钥匙");
        keys.rotate();
        String k2 = keys.encrypt("第二把钥匙");
        String tampered = k2.substring(0, k2.length() - 2) + (k2.endsWith("A=") ? "B=" : "A=");
        for (int i = 0; i < 3; i++) {
            assertEquals("第一把钥匙", keys.decrypt(k1));
            assertThrows(IllegalArgumentException.class, () -> keys.decrypt(tampered));
            assertEquals("第二把钥匙", keys.decrypt(k2));
            assertEquals("v" + i, keys.decrypt(keys.encrypt("v" + i)));
        }
        String index = keys.blindIndex("11010519491231002X");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int n = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        String v = n + "-" + i;
                        if (!v.equals(keys.decrypt(keys.encrypt(v)))
                                || !"第一把钥匙".equals(keys.decrypt(k1))
                                || !index.equals(keys.blindIndex("11010519491231002X"))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (java.util.concurrent.Future<Boolean> r : results) {
                assertTrue(r.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(index, new FieldKeys(tmp.resolve("keys")).blindIndex("11010519491231002X"));
    }

    /**
     * Values sealed before the lightweight BouncyCastle classes replaced the JCA lookups (SM4/GCM/NoPadding and
     * HMACSM3 through the BC provider) read the same, and their blind indexes match: databases written before
     * stay readable, and the same person is still found.
     */
    @Test
    void valuesSealedThroughTheJcaStillReadAndIndexTheSame() throws Exception {
        FieldKeys keys = new FieldKeys(tmp.resolve("keys"));
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newInputStream(tmp.resolve("keys/field-keys.properties"))) {
            p.load(in);
        }
        byte[] key = Base64.getDecoder().decode(p.getProperty("key.k1"));
        byte[] index = Base64.getDecoder().decode(p.getProperty("index"));
        var bc = new org.bouncycastle.jce.provider.BouncyCastleProvider();
        byte[] nonce = new byte[12];
        new java.security.SecureRandom().nextBytes(nonce);
        javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("SM4/GCM/NoPadding", bc);
        c.init(
                javax.crypto.Cipher.ENCRYPT_MODE,
                new javax.crypto.spec.SecretKeySpec(key, "SM4"),
                new javax.crypto.spec.GCMParameterSpec(128, nonce));
        c.updateAAD("k1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        byte[] sealed = c.doFinal("11010519491231002X".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] all = new byte[12 + sealed.length];
        System.arraycopy(nonce, 0, all, 0, 12);
        System.arraycopy(sealed, 0, all, 12, sealed.length);
        assertEquals(
                "11010519491231002X",
                keys.decrypt("sm4g:k1:" + Base64.getEncoder().encodeToString(all)));

        // and what is sealed now reads through the JCA
        byte[] fresh = Base64.getDecoder().decode(keys.encrypt("13800138000").substring("sm4g:k1:".length()));
        javax.crypto.Cipher d = javax.crypto.Cipher.getInstance("SM4/GCM/NoPadding", bc);
        d.init(
                javax.crypto.Cipher.DECRYPT_MODE,
                new javax.crypto.spec.SecretKeySpec(key, "SM4"),
                new javax.crypto.spec.GCMParameterSpec(128, fresh, 0, 12));
        d.updateAAD("k1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(
                "13800138000",
                new String(d.doFinal(fresh, 12, fresh.length - 12), java.nio.charset.StandardCharsets.UTF_8));

        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HMACSM3", bc);
        mac.init(new javax.crypto.spec.SecretKeySpec(index, "HMACSM3"));
        assertEquals(
                java.util.HexFormat.of()
                        .formatHex(mac.doFinal("11010519491231002X".getBytes(java.nio.charset.StandardCharsets.UTF_8))),
                keys.blindIndex("11010519491231002X"));
    }

    @Test
    void listsShowMaskedValues() {
        assertEquals("110105********002X", FieldEncryption.mask("11010519491231002X"));
        assertEquals("138****8000", FieldEncryption.mask("13800138000"));
        assertEquals("张*三", FieldEncryption.mask("张小三"));
        assertEquals("**", FieldEncryption.mask("张三"));
    }
}
