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
}
