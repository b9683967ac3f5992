package org.edufed.connector.exchange.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.Signatures;
import org.junit.jupiter.api.Test;

/** Rotation statements: followed from the known key, through several rotations; forged ones are not. */
class KeyRotationsTest {

    /** ECDSA P-256 through the JDK, standing in for the kernel's Signatures service. */
    static final Signatures JDK = new Signatures() {
        @Override
        public boolean verify(String algorithm, String publicKeyPem, byte[] data, byte[] signature) {
            try {
                byte[] der = Base64.getMimeDecoder()
                        .decode(publicKeyPem.replaceAll("-----[A-Z ]+-----", "").trim());
                Signature s = Signature.getInstance("SHA256withECDSA");
                s.initVerify(java.security.KeyFactory.getInstance("EC")
                        .generatePublic(new java.security.spec.X509EncodedKeySpec(der)));
                s.update(data);
                return s.verify(signature);
            } catch (Exception e) {
                return false;
            }
        }

        @Override
        public byte[] seal(String algorithm, String publicKeyPem, byte[] data) {
            throw new UnsupportedOperationException("not used by key rotations");
        }
    };

    static KeyPair pair() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        return gen.generateKeyPair();
    }

    static String pem(KeyPair k) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'})
                        .encodeToString(k.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    static byte[] sign(KeyPair k, byte[] data) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(k.getPrivate());
            s.update(data);
            return s.sign();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A node identity holding a key pair in memory. */
    static NodeIdentity identity(String code, KeyPair current) {
        return new NodeIdentity() {
            @Override
            public Level level() {
                return Level.COUNTY;
            }

            @Override
            public String code() {
                return code;
            }

            @Override
            public String name() {
                return "测试县";
            }

            @Override
            public String parentUrl() {
                return null;
            }

            @Override
            public String version() {
                return "test";
            }

            @Override
            public KeyRotation rotateKey() {
                throw new UnsupportedOperationException();
            }

            @Override
            public String signatureAlgorithm() {
                return "SHA256withECDSA";
            }

            @Override
            public String publicKeyPem() {
                return pem(current);
            }

            @Override
            public byte[] sign(byte[] data) {
                return KeyRotationsTest.sign(current, data);
            }

            @Override
            public byte[] unseal(byte[] sealed) {
                throw new UnsupportedOperationException("not used by key rotations");
            }
        };
    }

    static NodeIdentity.KeyRotation rotation(KeyPair next) {
        return new NodeIdentity.KeyRotation() {
            @Override
            public String publicKeyPem() {
                return pem(next);
            }

            @Override
            public byte[] sign(byte[] data) {
                return KeyRotationsTest.sign(next, data);
            }

            @Override
            public void commit() {}
        };
    }

    @Test
    void aChildFollowsSeveralRotationsFromTheKeyItKnowsAndNothingForged() throws Exception {
        KeyPair k0 = pair();
        KeyPair k1 = pair();
        KeyPair k2 = pair();
        ArrayNode chain = Json.MAPPER.createArrayNode();
        chain.add(KeyRotations.envelope(identity("510104", k1), rotation(k2))); // out of order on purpose
        chain.add(KeyRotations.envelope(identity("510104", k0), rotation(k1)));

        assertEquals(pem(k2), KeyRotations.follow(pem(k0), "510104", chain, JDK));
        assertEquals(pem(k2), KeyRotations.follow(pem(k1), "510104", chain, JDK));
        assertNull(KeyRotations.follow(pem(k2), "510104", chain, JDK), "already at the newest key");
        assertNull(KeyRotations.follow(pem(k0), "510105", chain, JDK), "statements of another node");

        // a statement signed by a key the child never knew leads nowhere
        KeyPair stranger = pair();
        ArrayNode forged = Json.MAPPER.createArrayNode();
        forged.add(KeyRotations.envelope(identity("510104", stranger), rotation(pair())));
        assertNull(KeyRotations.follow(pem(k0), "510104", forged, JDK));

        // a statement whose new key did not sign it (no proof of possession) is refused
        ObjectNode noProof = KeyRotations.envelope(identity("510104", k0), rotation(k1));
        noProof.put("newSignature", noProof.path("oldSignature").asText());
        assertNull(KeyRotations.verify(noProof, "510104", JDK));
        assertNotNull(KeyRotations.verify(KeyRotations.envelope(identity("510104", k0), rotation(k1)), "510104", JDK));

        // the header form round-trips; a malformed header is an empty chain
        String header = KeyRotations.header(java.util.List.of(Json.text(chain.get(0)), Json.text(chain.get(1))));
        assertEquals(pem(k2), KeyRotations.follow(pem(k0), "510104", KeyRotations.parseHeader(header), JDK));
        assertEquals(0, KeyRotations.parseHeader("not base64!").size());
    }
}
