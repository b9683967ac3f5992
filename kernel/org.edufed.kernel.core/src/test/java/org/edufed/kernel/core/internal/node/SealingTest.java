package org.edufed.kernel.core.internal.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Data sealed for one node: only its key opens them, unchanged; after a rotation the previous key still does. */
class SealingTest {

    @TempDir
    Path tmp;

    private static final byte[] DATA =
            "{\"idNumber\":\"11010519491231002X\",\"guardianPhone\":\"13800138000\",\"name\":\"李雷\"}"
                    .getBytes(StandardCharsets.UTF_8);

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void onlyTheRecipientOpensWhatWasSealedForIt(KeyAlgorithm algorithm) throws Exception {
        NodeKeys parent = NodeKeys.loadOrCreate(tmp.resolve("parent"), algorithm);
        NodeKeys other = NodeKeys.loadOrCreate(tmp.resolve("other"), algorithm);
        SignaturesComponent signatures = new SignaturesComponent();

        byte[] sealed = signatures.seal(algorithm.signature(), parent.publicKeyPem(), DATA);
        assertTrue(Sealing.isSealed(sealed));
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("13800138000"), "nothing in clear");
        assertNotEquals(
                new String(sealed, StandardCharsets.ISO_8859_1),
                new String(
                        signatures.seal(algorithm.signature(), parent.publicKeyPem(), DATA),
                        StandardCharsets.ISO_8859_1),
                "a fresh key and nonce every time");
        assertArrayEquals(DATA, parent.unseal(sealed));

        // another node's key, a changed byte anywhere (key block, nonce, ciphertext, tag), a cut: refused
        assertThrows(IllegalArgumentException.class, () -> other.unseal(sealed));
        for (int at : new int[] {5, 8, sealed.length - 40, sealed.length - 1}) {
            byte[] changed = sealed.clone();
            changed[at] ^= 1;
            assertThrows(IllegalArgumentException.class, () -> parent.unseal(changed), "byte " + at);
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> parent.unseal(java.util.Arrays.copyOf(sealed, sealed.length - 17)));
        assertThrows(IllegalArgumentException.class, () -> parent.unseal(DATA));
        assertThrows(IllegalArgumentException.class, () -> signatures.seal(algorithm.signature(), "not a key", DATA));
        assertThrows(IllegalArgumentException.class, () -> signatures.seal("MD5withRSA", parent.publicKeyPem(), DATA));
        assertArrayEquals(
                new byte[0], parent.unseal(signatures.seal(algorithm.signature(), parent.publicKeyPem(), new byte[0])));
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void aBundleSealedBeforeARotationStillOpens(KeyAlgorithm algorithm) throws Exception {
        Path dir = tmp.resolve("keys");
        NodeKeys before = NodeKeys.loadOrCreate(dir, algorithm);
        byte[] sealed = new SignaturesComponent().seal(algorithm.signature(), before.publicKeyPem(), DATA);
        NodeKeys after = before.next();
        NodeKeys.install(dir, after);
        assertThrows(IllegalArgumentException.class, () -> after.unseal(sealed));
        NodeKeys previous = NodeKeys.previous(dir, algorithm);
        assertEquals(before.publicKeyPem(), previous.publicKeyPem());
        assertArrayEquals(DATA, previous.unseal(sealed));
    }
}
