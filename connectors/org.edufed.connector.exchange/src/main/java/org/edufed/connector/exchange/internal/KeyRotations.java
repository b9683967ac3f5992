package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.Signatures;

/**
 * Key rotation statements. A node that rotates its key writes a statement {@code {code, algorithm, oldKey,
 * newKey, at}} and signs it with the old key (this is me) and with the new key (and I hold this one). Its parent
 * takes the statement in a request signed with the old key; its children find its latest statements beside
 * every signed answer (header {@value #HEADER}, and in offline bundles) and follow the chain from the key they
 * know, so a child that was away for several rotations still catches up, and nobody can slip in a key without
 * the old key's signature.
 */
final class KeyRotations {

    static final String HEADER = "X-EduFed-Key-Rotation";
    /** Statements carried with answers: enough for a child that missed a few rotations. */
    static final int CARRIED = 3;

    private KeyRotations() {}

    /** A signed statement that {@code identity}'s key is replaced by the rotation's new key. */
    static ObjectNode envelope(NodeIdentity identity, NodeIdentity.KeyRotation rotation) {
        byte[] statement = Json.bytes(Json.object()
                .put("code", identity.code())
                .put("algorithm", identity.signatureAlgorithm())
                .put("oldKey", identity.publicKeyPem())
                .put("newKey", rotation.publicKeyPem())
                .put("at", Instant.now().toString()));
        Base64.Encoder b64 = Base64.getEncoder();
        return Json.object()
                .put("statement", b64.encodeToString(statement))
                .put("oldSignature", b64.encodeToString(identity.sign(statement)))
                .put("newSignature", b64.encodeToString(rotation.sign(statement)));
    }

    /** The envelopes as one header value (base64 of a JSON array). */
    static String header(List<String> envelopes) {
        ArrayNode arr = Json.MAPPER.createArrayNode();
        envelopes.forEach(e -> arr.add(Json.parse(e)));
        return Base64.getEncoder().encodeToString(Json.bytes(arr));
    }

    /** Parses a header value; an empty array when absent or malformed. */
    static JsonNode parseHeader(String value) {
        if (value == null || value.isBlank()) {
            return Json.MAPPER.createArrayNode();
        }
        try {
            JsonNode arr = Json.parse(Base64.getDecoder().decode(value.trim()));
            return arr != null && arr.isArray() ? arr : Json.MAPPER.createArrayNode();
        } catch (IllegalArgumentException e) {
            return Json.MAPPER.createArrayNode();
        }
    }

    /** A verified statement: who rotated, from which key to which. */
    record Statement(String code, String algorithm, String oldKey, String newKey) {}

    /**
     * Checks an envelope: the statement names {@code code}, and both signatures verify (old key, new key).
     * Returns {@code null} when anything is off.
     */
    static Statement verify(JsonNode envelope, String code, Signatures signatures) {
        try {
            byte[] statement =
                    Base64.getDecoder().decode(envelope.path("statement").asText());
            byte[] oldSig =
                    Base64.getDecoder().decode(envelope.path("oldSignature").asText());
            byte[] newSig =
                    Base64.getDecoder().decode(envelope.path("newSignature").asText());
            JsonNode s = Json.parse(statement);
            if (s == null || !code.equals(s.path("code").asText())) {
                return null;
            }
            Statement st = new Statement(
                    code,
                    s.path("algorithm").asText(),
                    s.path("oldKey").asText(),
                    s.path("newKey").asText());
            boolean ok = signatures.verify(st.algorithm(), st.oldKey(), statement, oldSig)
                    && signatures.verify(st.algorithm(), st.newKey(), statement, newSig);
            return ok ? st : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Follows rotation statements of node {@code code} from the key this node knows. Returns the newest key
     * reached, or {@code null} when no statement starts from the known key.
     */
    static String follow(String knownKey, String code, JsonNode envelopes, Signatures signatures) {
        String key = knownKey;
        boolean moved = true;
        for (int step = 0; moved && step < 16; step++) {
            moved = false;
            for (JsonNode e : envelopes) {
                Statement st = verify(e, code, signatures);
                if (st != null && samePem(st.oldKey(), key)) {
                    key = st.newKey();
                    moved = true;
                }
            }
        }
        return samePem(key, knownKey) ? null : key;
    }

    static boolean samePem(String a, String b) {
        return a != null && b != null && a.replaceAll("\\s", "").equals(b.replaceAll("\\s", ""));
    }
}
