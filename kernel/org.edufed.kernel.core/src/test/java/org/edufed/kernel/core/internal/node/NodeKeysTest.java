package org.edufed.kernel.core.internal.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NodeKeysTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void createdOnceOwnerOnlyThenLoaded(KeyAlgorithm alg) throws IOException {
        Path keys = dir.resolve("keys");
        NodeKeys first = NodeKeys.loadOrCreate(keys, alg);
        assertTrue(first.created());
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve(NodeKeys.PRIVATE_FILE))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));

        NodeKeys again = NodeKeys.loadOrCreate(keys, alg);
        assertFalse(again.created());
        assertEquals(first.publicKeyPem(), again.publicKeyPem());
        assertArrayEquals(first.publicKey().getEncoded(), again.publicKey().getEncoded());

        byte[] data = "教育联邦".getBytes(StandardCharsets.UTF_8);
        byte[] sig = again.sign(data);
        assertTrue(NodeKeys.verify(alg, first.publicKey(), data, sig));
        data[0] ^= 1;
        assertFalse(NodeKeys.verify(alg, first.publicKey(), data, sig));
    }

    @Test
    void refusesAKeyOfTheOtherAlgorithm() throws IOException {
        NodeKeys.loadOrCreate(dir, KeyAlgorithm.SM2);
        IOException e = assertThrows(IOException.class, () -> NodeKeys.loadOrCreate(dir, KeyAlgorithm.ECDSA));
        assertTrue(e.getMessage().contains("sm2p256v1"), e.getMessage());
    }
}
