package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.Signatures;

/**
 * HTTP to the parent node: every request signed with this node's key, every answer verified against the
 * parent's key recorded at enrollment. Nothing here trusts TLS alone (and a school link may have none).
 */
final class ParentClient {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ParentClient.class);

    /** A verified answer from the parent. */
    record Answer(int status, byte[] body) {
        JsonNode json() {
            return Json.parse(body);
        }
    }

    /** The parent answered with an error, or not at all, or not verifiably. */
    static final class ExchangeException extends Exception {
        private static final long serialVersionUID = 1L;

        ExchangeException(String message) {
            super(message);
        }

        ExchangeException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    private final NodeIdentity identity;
    private final Signatures signatures;
    private final FederationStore store;

    ParentClient(NodeIdentity identity, Signatures signatures, FederationStore store) {
        this.identity = identity;
        this.signatures = signatures;
        this.store = store;
    }

    /**
     * Sends a signed request. When {@code parentKey} is given, the answer must carry the parent's valid
     * signature; when {@code token} is given instead (enrollment), the answer must prove knowledge of it.
     */
    Answer send(
            String method,
            String baseUrl,
            String pathAndQuery,
            byte[] body,
            String parentKey,
            String parentAlgorithm,
            String token)
            throws ExchangeException {
        String time = Long.toString(System.currentTimeMillis());
        String nonce = SignedMessages.nonce();
        byte[] payload = body == null ? new byte[0] : body;
        byte[] signature = identity.sign(SignedMessages.requestToSign(method, pathAndQuery, time, nonce, payload));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery))
                .timeout(Duration.ofSeconds(60))
                .header(SignedMessages.NODE, identity.code())
                .header(SignedMessages.TIME, time)
                .header(SignedMessages.NONCE, nonce)
                .header(SignedMessages.SIGNATURE, Base64.getEncoder().encodeToString(signature))
                .header("Accept", "application/json");
        if ("GET".equals(method)) {
            b.GET();
        } else {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(payload));
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ExchangeException(
                    "parent unreachable: "
                            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExchangeException("interrupted", e);
        }
        byte[] answer = response.body() == null ? new byte[0] : response.body();
        if (response.statusCode() >= 400) {
            JsonNode problem = Json.parse(answer);
            String detail = problem == null
                    ? ""
                    : problem.path("detail").asText(problem.path("type").asText(""));
            throw new ExchangeException(
                    "parent answered " + response.statusCode() + (detail.isEmpty() ? "" : ": " + detail));
        }
        if (token != null) {
            String proof =
                    response.headers().firstValue(SignedMessages.TOKEN_PROOF).orElse("");
            if (!java.security.MessageDigest.isEqual(
                    proof.getBytes(), SignedMessages.tokenProof(token, answer).getBytes())) {
                throw new ExchangeException("the answer does not prove knowledge of the enrollment token");
            }
        }
        if (parentKey != null) {
            String sig = response.headers().firstValue(SignedMessages.SIGNATURE).orElse("");
            byte[] sigBytes;
            try {
                sigBytes = Base64.getDecoder().decode(sig);
            } catch (IllegalArgumentException e) {
                throw new ExchangeException("the parent's answer carries a malformed signature");
            }
            byte[] signed = SignedMessages.responseToSign(response.statusCode(), nonce, answer);
            if (!signatures.verify(parentAlgorithm, parentKey, signed, sigBytes)
                    && !followRotation(response, parentKey, parentAlgorithm, signed, sigBytes)) {
                throw new ExchangeException("the parent's answer is not signed by the enrolled parent key");
            }
        }
        return new Answer(response.statusCode(), answer);
    }

    /**
     * The parent may have rotated its key: follows its signed rotation statements from the key recorded here
     * and, when the answer verifies with the key reached, records that key as the parent's.
     */
    private boolean followRotation(
            HttpResponse<byte[]> response, String parentKey, String algorithm, byte[] signed, byte[] signature)
            throws ExchangeException {
        try {
            Optional<FederationStore.ParentRow> parent = store.parent();
            if (parent.isEmpty()) {
                return false;
            }
            String newKey = KeyRotations.follow(
                    parentKey,
                    parent.get().node().code(),
                    KeyRotations.parseHeader(
                            response.headers().firstValue(KeyRotations.HEADER).orElse(null)),
                    signatures);
            if (newKey == null || !signatures.verify(algorithm, newKey, signed, signature)) {
                return false;
            }
            store.setParentKey(newKey);
            LOG.info(
                    "The parent {} rotated its key; following its signed statement",
                    parent.get().node().code());
            return true;
        } catch (java.sql.SQLException e) {
            throw new ExchangeException("could not record the parent's new key: " + e.getMessage(), e);
        }
    }
}
