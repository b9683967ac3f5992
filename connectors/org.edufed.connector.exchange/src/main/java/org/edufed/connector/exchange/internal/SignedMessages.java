package org.edufed.connector.exchange.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signed-message format between nodes. A request carries {@code X-EduFed-Node} (sender code),
 * {@code X-EduFed-Time} (epoch ms), {@code X-EduFed-Nonce} and {@code X-EduFed-Signature}: the sender's
 * signature (SM3withSM2 or SHA256withECDSA, DER, base64) over
 * {@code METHOD \n path?query \n time \n nonce \n base64(SHA-256(body))}. A response carries the
 * responder's signature over {@code status \n request-nonce \n base64(SHA-256(body))}, so it answers that
 * request and no other.
 */
final class SignedMessages {
    static final String NODE = "X-EduFed-Node";
    static final String TIME = "X-EduFed-Time";
    static final String NONCE = "X-EduFed-Nonce";
    static final String SIGNATURE = "X-EduFed-Signature";
    static final String TOKEN_PROOF = "X-EduFed-Token-Proof";
    /** How far a message's time may be from ours. */
    static final long MAX_SKEW_MS = 5 * 60 * 1000L;

    private static final SecureRandom RANDOM = new SecureRandom();

    private SignedMessages() {}

    static byte[] requestToSign(String method, String pathAndQuery, String time, String nonce, byte[] body) {
        return (method + "\n" + pathAndQuery + "\n" + time + "\n" + nonce + "\n" + digest(body))
                .getBytes(StandardCharsets.UTF_8);
    }

    static byte[] responseToSign(int status, String requestNonce, byte[] body) {
        return (status + "\n" + requestNonce + "\n" + digest(body)).getBytes(StandardCharsets.UTF_8);
    }

    static String digest(byte[] body) {
        try {
            return Base64.getEncoder()
                    .encodeToString(MessageDigest.getInstance("SHA-256").digest(body == null ? new byte[0] : body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String nonce() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String sha256Hex(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Proof that the enrollment responder knows the token: HMAC-SHA256(token, body). */
    static String tokenProof(String token, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
