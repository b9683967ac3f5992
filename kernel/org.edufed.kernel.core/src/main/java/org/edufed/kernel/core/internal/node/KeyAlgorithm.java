package org.edufed.kernel.core.internal.node;

/** Node key algorithms: SM2 with SM3 (GM/T, the default) or ECDSA P-256 with SHA-256. */
public enum KeyAlgorithm {
    SM2("sm2p256v1", "SM3withSM2"),
    ECDSA("secp256r1", "SHA256withECDSA");

    private final String curve;
    private final String signature;

    KeyAlgorithm(String curve, String signature) {
        this.curve = curve;
        this.signature = signature;
    }

    public String curve() {
        return curve;
    }

    public String signature() {
        return signature;
    }

    static KeyAlgorithm parse(String value) {
        for (KeyAlgorithm a : values()) {
            if (a.name().equalsIgnoreCase(value.trim())) {
                return a;
            }
        }
        return null;
    }
}
