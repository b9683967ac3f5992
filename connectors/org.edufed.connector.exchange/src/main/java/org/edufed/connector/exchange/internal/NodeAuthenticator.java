package org.edufed.connector.exchange.internal;

import java.sql.SQLException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.Signatures;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.web.ProblemException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a child's signed request: an enrolled, active child; a time within five minutes of ours; a valid
 * signature by its enrolled key; a nonce never seen before. Everything refused is recorded (and logged)
 * and answered with a problem; nothing of a refused message is applied. Answers are signed by this node.
 */
final class NodeAuthenticator {

    private static final Logger LOG = LoggerFactory.getLogger(NodeAuthenticator.class);

    /** The headers of a signed request. */
    record Signed(String node, String time, String nonce, String signature) {}

    private final FederationStore store;
    private final Signatures signatures;
    private final NodeIdentity identity;

    private final AuditLog audit;

    NodeAuthenticator(FederationStore store, Signatures signatures, NodeIdentity identity, AuditLog audit) {
        this.store = store;
        this.audit = audit;
        this.signatures = signatures;
        this.identity = identity;
    }

    /** Verifies a request from an enrolled child; returns the child or throws a problem (recorded). */
    FederationStore.ChildRow verify(String method, String pathAndQuery, Signed h, byte[] body) {
        if (h.node() == null || h.time() == null || h.nonce() == null || h.signature() == null) {
            throw refuse(h.node(), pathAndQuery, 401, "unsigned", "the message is not signed");
        }
        Optional<FederationStore.ChildRow> child;
        try {
            child = store.child(h.node());
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        if (child.isEmpty()) {
            throw refuse(h.node(), pathAndQuery, 403, "unknown-node", "node " + h.node() + " is not enrolled here");
        }
        if (!"active".equals(child.get().status())) {
            throw refuse(
                    h.node(),
                    pathAndQuery,
                    403,
                    "revoked",
                    "node " + h.node() + " is " + child.get().status());
        }
        String previous = child.get().previousKey();
        int key = checkSignature(
                h,
                method,
                pathAndQuery,
                body,
                child.get().algorithm(),
                previous == null
                        ? List.of(child.get().publicKey())
                        : List.of(child.get().publicKey(), previous));
        if (key == 0 && previous != null) {
            try {
                store.forgetPreviousKey(h.node()); // the child signs with its new key: the old one is done
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        return child.get();
    }

    /**
     * Verifies time, signature (against one of the given keys) and nonce of a signed request; returns the index
     * of the key that verified.
     */
    int checkSignature(
            Signed h, String method, String pathAndQuery, byte[] body, String algorithm, List<String> publicKeys) {
        long time;
        try {
            time = Long.parseLong(h.time());
        } catch (NumberFormatException e) {
            throw refuse(h.node(), pathAndQuery, 400, "malformed", "the message time is not a number");
        }
        if (Math.abs(System.currentTimeMillis() - time) > SignedMessages.MAX_SKEW_MS) {
            throw refuse(h.node(), pathAndQuery, 401, "stale", "the message time is more than five minutes off");
        }
        byte[] sig;
        try {
            sig = Base64.getDecoder().decode(h.signature());
        } catch (IllegalArgumentException e) {
            throw refuse(h.node(), pathAndQuery, 401, "bad-signature", "the signature is not base64");
        }
        byte[] signed = SignedMessages.requestToSign(method, pathAndQuery, h.time(), h.nonce(), body);
        int key = -1;
        for (int i = 0; i < publicKeys.size() && key < 0; i++) {
            if (signatures.verify(algorithm, publicKeys.get(i), signed, sig)) {
                key = i;
            }
        }
        if (key < 0) {
            throw refuse(h.node(), pathAndQuery, 401, "bad-signature", "the signature does not verify");
        }
        try {
            if (!store.firstUse(h.node(), h.nonce())) {
                throw refuse(h.node(), pathAndQuery, 409, "replay", "this message was received before");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return key;
    }

    /** Signs an answer to the request with the given nonce. */
    String signAnswer(int status, String requestNonce, byte[] body) {
        return Base64.getEncoder()
                .encodeToString(identity.sign(
                        SignedMessages.responseToSign(status, requestNonce == null ? "" : requestNonce, body)));
    }

    ProblemException refuse(String node, String path, int status, String type, String detail) {
        String safeNode = node == null ? null : node.replaceAll("[^0-9A-Za-z]", "?");
        LOG.warn("refused exchange message from {} at {}: {} ({})", safeNode, path, type, detail);
        audit.record(new AuditLog.Event(
                "node:" + safeNode, null, "exchange.refused", path, AuditLog.Result.DENIED, type + ": " + detail));
        try {
            store.reject(safeNode, path, type + ": " + detail);
        } catch (SQLException e) {
            LOG.error("could not record a refused message: {}", e.getMessage());
        }
        return new ProblemException(status, type, detail);
    }
}
