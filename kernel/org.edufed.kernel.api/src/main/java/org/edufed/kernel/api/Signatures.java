package org.edufed.kernel.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Verification of signatures made by other nodes' keys (SM3withSM2 by default, SHA256withECDSA as the
 * option), with DER-encoded signatures and PEM public keys as {@link NodeIdentity} publishes them. SM2
 * signatures use the standard default user id, so other SM2 implementations verify what EduFed signs.
 */
@ProviderType
public interface Signatures {

    /**
     * @param algorithm {@code SM3withSM2} or {@code SHA256withECDSA}
     * @param publicKeyPem the signer's public key (X.509 SubjectPublicKeyInfo, PEM)
     * @return whether the signature is valid; false for any malformed input
     */
    boolean verify(String algorithm, String publicKeyPem, byte[] data, byte[] signature);

    /**
     * Seals data for another node: only the holder of the private key of {@code publicKeyPem} can read them (with
     * {@link NodeIdentity#unseal}). SM2 keys: a random SM4 key encrypted with SM2 (GB/T 32918.4), the data in
     * SM4-GCM; ECDSA P-256 keys: ephemeral ECDH, HKDF-SHA256, AES-256-GCM. For what leaves a connection (files).
     *
     * @param algorithm the recipient's signature algorithm ({@code SM3withSM2} or {@code SHA256withECDSA})
     * @throws IllegalArgumentException when the key or algorithm is not one
     * @since 1.3
     */
    byte[] seal(String algorithm, String publicKeyPem, byte[] data);
}
