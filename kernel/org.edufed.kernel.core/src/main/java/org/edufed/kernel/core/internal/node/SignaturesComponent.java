package org.edufed.kernel.core.internal.node;

import java.security.PublicKey;
import org.edufed.kernel.api.Signatures;
import org.osgi.service.component.annotations.Component;

/** Verifies other nodes' signatures with the same code that makes this node's. */
@Component(service = Signatures.class)
public final class SignaturesComponent implements Signatures {

    @Override
    public boolean verify(String algorithm, String publicKeyPem, byte[] data, byte[] signature) {
        KeyAlgorithm alg = NodeKeys.bySignature(algorithm);
        if (alg == null || publicKeyPem == null || data == null || signature == null) {
            return false;
        }
        PublicKey key = NodeKeys.parsePublicKey(publicKeyPem);
        return key != null && NodeKeys.verify(alg, key, data, signature);
    }

    @Override
    public byte[] seal(String algorithm, String publicKeyPem, byte[] data) {
        KeyAlgorithm alg = NodeKeys.bySignature(algorithm);
        PublicKey key = publicKeyPem == null ? null : NodeKeys.parsePublicKey(publicKeyPem);
        if (alg == null || key == null || data == null) {
            throw new IllegalArgumentException("not a node key to seal for");
        }
        return Sealing.seal(alg, key, data);
    }
}
