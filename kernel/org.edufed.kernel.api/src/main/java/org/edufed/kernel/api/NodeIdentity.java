package org.edufed.kernel.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The identity of this node: who it is in the tree and the key it signs with. Registered as a service once
 * {@code etc/org.edufed.node.cfg} is valid and the key pair is in place.
 */
@ProviderType
public interface NodeIdentity {

    Level level();

    /** GB/T 2260 division code (province, county) or the ten-digit school code (学校标识码). */
    String code();

    String name();

    /** Base URL of the parent node, or {@code null} for a province. */
    String parentUrl();

    /** The signature algorithm of the node key: {@code SM3withSM2} (default) or {@code SHA256withECDSA}. */
    String signatureAlgorithm();

    /** The node's public key, X.509 SubjectPublicKeyInfo, PEM encoded. */
    String publicKeyPem();

    /** Signs data with the node's private key (the key itself never leaves the kernel). */
    byte[] sign(byte[] data);

    /**
     * Opens data {@link Signatures#seal sealed} for this node with its private key (after a key rotation, data
     * sealed for the previous key still open).
     *
     * @throws IllegalArgumentException when they were not sealed for this node, or were changed
     * @since 1.3
     */
    byte[] unseal(byte[] sealed);

    /** Kernel version, as the bundle version of the kernel core. */
    String version();

    /**
     * A new key pair for this node, not yet in use: sign with it to prove possession to the parent, then
     * {@link KeyRotation#commit() commit} it. Until then the node keeps signing with its current key.
     */
    KeyRotation rotateKey();

    /** A key rotation under way (see {@link #rotateKey()}). */
    interface KeyRotation {
        String publicKeyPem();

        byte[] sign(byte[] data);

        /**
         * Makes the new key the node key, on disk (the old one kept as {@code node-key.previous.pem}) and for
         * every signature from now on.
         *
         * @throws IllegalStateException when the key files cannot be written (nothing changes then)
         */
        void commit();
    }
}
