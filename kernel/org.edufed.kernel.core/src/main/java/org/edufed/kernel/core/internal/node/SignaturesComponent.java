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
}
