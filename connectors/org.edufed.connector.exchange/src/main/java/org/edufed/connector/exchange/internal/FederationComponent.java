package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.Signatures;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.web.ProblemException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enrollment (both sides), revocation and the tree. A parent issues one-time tokens (stored as SHA-256
 * hashes); a child presents one with its public key, signed with that key; the parent checks that the levels
 * and codes fit, records the child, and answers with its own identity, signed and bound to the token.
 */
@Component(service = {Federation.class, FederationComponent.class})
public final class FederationComponent implements Federation {

    private static final Logger LOG = LoggerFactory.getLogger(FederationComponent.class);
    static final String ROTATE_PATH = "/api/v1/federation/exchange/rotate";
    static final String ENROLLMENT_PATH = "/api/v1/federation/exchange/enrollment";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final FederationStore store;
    private final NodeIdentity identity;
    private final Signatures signatures;
    private final ParentClient client;
    private final NodeAuthenticator authenticator;
    private volatile String rotationsHeader;
    private final AuditLog audit;

    @Activate
    public FederationComponent(
            @Reference FederationStore store,
            @Reference NodeIdentity identity,
            @Reference Signatures signatures,
            @Reference AuditLog audit) {
        this.store = store;
        this.audit = audit;
        this.identity = identity;
        this.signatures = signatures;
        this.client = new ParentClient(identity, signatures, store);
        this.authenticator = new NodeAuthenticator(store, signatures, identity, audit);
        String header;
        try {
            List<String> rotations = store.keyRotations(KeyRotations.CARRIED);
            header = rotations.isEmpty() ? null : KeyRotations.header(rotations);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        this.rotationsHeader = header;
    }

    /** This node's latest key rotation statements, for the header of every signed answer; null when none. */
    String rotationsHeader() {
        return rotationsHeader;
    }

    /**
     * Replaces this node's key. The parent, if any, takes the signed rotation statement first (in a request
     * signed with the old key); then the statement is kept for the children, and the new key is put in place.
     * When the parent cannot be reached nothing changes.
     */
    @Override
    public synchronized String rotateKey() {
        NodeIdentity.KeyRotation rotation = identity.rotateKey();
        ObjectNode envelope = KeyRotations.envelope(identity, rotation);
        try {
            Optional<FederationStore.ParentRow> parent = store.parent();
            if (parent.isPresent()) {
                client.send(
                        "POST",
                        parent.get().url(),
                        ROTATE_PATH,
                        Json.bytes(envelope),
                        parent.get().publicKey(),
                        parent.get().algorithm(),
                        null);
            }
            store.addKeyRotation(Json.text(envelope));
            rotation.commit();
            rotationsHeader = KeyRotations.header(store.keyRotations(KeyRotations.CARRIED));
        } catch (ParentClient.ExchangeException e) {
            throw new IllegalStateException("the parent did not take the new key: " + e.getMessage(), e);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        LOG.info("Node key rotated; the parent and the children follow the signed rotation statement");
        audit.record(AuditLog.Event.of("federation.key.rotate", identity.code(), AuditLog.Result.SUCCESS, null));
        return rotation.publicKeyPem();
    }

    /** The parent's side of a child's rotation: checks the statement against the child's key, then switches. */
    void acceptRotation(FederationStore.ChildRow child, JsonNode envelope, String path) {
        KeyRotations.Statement st = KeyRotations.verify(envelope, child.node().code(), signatures);
        if (st == null
                || !(KeyRotations.samePem(st.oldKey(), child.publicKey())
                        || KeyRotations.samePem(st.oldKey(), child.previousKey()))
                || !child.algorithm().equals(st.algorithm())) {
            throw authenticator.refuse(
                    child.node().code(), path, 400, "bad-rotation", "the key rotation statement does not verify");
        }
        try {
            store.rotateChildKey(child.node().code(), st.newKey());
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        LOG.info("Child {} rotated its key", child.node().code());
        audit.record(new AuditLog.Event(
                "node:" + child.node().code(),
                null,
                "federation.child.key.rotate",
                child.node().code(),
                AuditLog.Result.SUCCESS,
                null));
    }

    NodeAuthenticator authenticator() {
        return authenticator;
    }

    ParentClient client() {
        return client;
    }

    FederationStore store() {
        return store;
    }

    NodeRef self() {
        return new NodeRef(identity.level().id(), identity.code(), identity.name());
    }

    @Override
    public Token issueToken(Duration validity) {
        if (identity.level() == Level.SCHOOL) {
            throw new ProblemException(409, "no-children", "a school node has no children to enroll");
        }
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant expires = Instant.now().plus(validity);
        try {
            store.addToken(SignedMessages.sha256Hex(token), expires);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        LOG.info("Enrollment token issued, valid until {}", expires);
        audit.record(
                AuditLog.Event.of("federation.token.issue", null, AuditLog.Result.SUCCESS, "valid until " + expires));
        return new Token(token, expires);
    }

    // --- child side -------------------------------------------------------------------------------

    @Override
    public Parent enroll(String parentUrl, String token) throws EnrollmentException {
        if (parentUrl == null
                || !parentUrl.matches("https?://[^\\s/?#]+(/[^\\s?#]*)?")
                || token == null
                || token.isBlank()) {
            throw new EnrollmentException("a parent URL (http:// or https://) and a token are needed");
        }
        if (identity.level() == Level.PROVINCE) {
            throw new EnrollmentException("a province node has no parent");
        }
        String base = parentUrl.endsWith("/") ? parentUrl.substring(0, parentUrl.length() - 1) : parentUrl;
        ObjectNode request = Json.object()
                .put("token", token.trim())
                .put("level", identity.level().id())
                .put("code", identity.code())
                .put("name", identity.name())
                .put("publicKey", identity.publicKeyPem())
                .put("algorithm", identity.signatureAlgorithm());
        ParentClient.Answer answer;
        try {
            answer = client.send("POST", base, ENROLLMENT_PATH, Json.bytes(request), null, null, token.trim());
        } catch (ParentClient.ExchangeException e) {
            throw new EnrollmentException(e.getMessage(), e);
        }
        JsonNode parent = answer.json();
        if (parent == null || !parent.hasNonNull("publicKey")) {
            throw new EnrollmentException("the parent's answer is not an enrollment answer");
        }
        NodeRef ref = InheritanceComponent.ref(parent);
        try {
            store.putParent(
                    ref,
                    base,
                    parent.path("publicKey").asText(),
                    parent.path("algorithm").asText());
        } catch (SQLException e) {
            throw new EnrollmentException("could not record the parent: " + e.getMessage(), e);
        }
        LOG.info("Enrolled under {} {} ({}) at {}", ref.level(), ref.code(), ref.name(), base);
        audit.record(AuditLog.Event.of("federation.enroll", ref.code(), AuditLog.Result.SUCCESS, base));
        return parent().orElseThrow();
    }

    @Override
    public Optional<Parent> parent() {
        try {
            return store.parent().map(FederationStore.ParentRow::toParent);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- parent side ------------------------------------------------------------------------------

    /** The answer to an enrollment: this node's identity, and the proof that it knows the token. */
    record EnrollmentAnswer(byte[] body, String tokenProof) {}

    /** Handles a child's enrollment request: checks it, records the child, returns the answer. */
    EnrollmentAnswer acceptEnrollment(NodeAuthenticator.Signed headers, byte[] body) {
        JsonNode req = Json.parse(body);
        if (req == null) {
            throw authenticator.refuse(
                    headers.node(), ENROLLMENT_PATH, 400, "malformed", "the enrollment request is not JSON");
        }
        String token = req.path("token").asText("");
        String code = req.path("code").asText("");
        Level level = Level.parse(req.path("level").asText());
        String name = req.path("name").asText("").trim();
        String key = req.path("publicKey").asText("");
        String alg = req.path("algorithm").asText("");
        if (!code.equals(headers.node())) {
            throw authenticator.refuse(
                    headers.node(), ENROLLMENT_PATH, 400, "malformed", "the signer is not the node enrolling");
        }
        // proof of possession: the request is signed by the key it presents
        authenticator.checkSignature(headers, "POST", ENROLLMENT_PATH, body, alg, List.of(key));
        String fit = levelFit(identity.level(), identity.code(), level, code);
        if (fit != null || name.isEmpty() || name.length() > 200) {
            throw authenticator.refuse(
                    code, ENROLLMENT_PATH, 422, "level-mismatch", fit != null ? fit : "a name is required");
        }
        try {
            boolean ok = store.storage().inTransaction(c -> {
                if (!store.useToken(c, SignedMessages.sha256Hex(token), code)) {
                    return false;
                }
                store.putChild(c, new NodeRef(level.id(), code, name), null, key, alg);
                return true;
            });
            if (!ok) {
                throw authenticator.refuse(
                        code, ENROLLMENT_PATH, 403, "bad-token", "the enrollment token is unknown, used or expired");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        LOG.info("Enrolled child {} {} ({})", level.id(), code, name);
        audit.record(new AuditLog.Event(
                "node:" + code,
                null,
                "federation.child.enroll",
                code,
                AuditLog.Result.SUCCESS,
                level.id() + " " + name));
        ObjectNode answer = Json.object()
                .put("level", identity.level().id())
                .put("code", identity.code())
                .put("name", identity.name())
                .put("publicKey", identity.publicKeyPem())
                .put("algorithm", identity.signatureAlgorithm());
        byte[] bytes = Json.bytes(answer);
        return new EnrollmentAnswer(bytes, SignedMessages.tokenProof(token, bytes));
    }

    /**
     * Whether a child of {@code childLevel}/{@code childCode} may sit under this node; {@code null} when it
     * may, otherwise why not. School under county; county under province (inside it); a county under a
     * prefecture ({@code xxxx00}, county level) inside it.
     */
    static String levelFit(Level parentLevel, String parentCode, Level childLevel, String childCode) {
        if (childLevel == null) {
            return "unknown level";
        }
        switch (parentLevel) {
            case PROVINCE -> {
                if (childLevel != Level.COUNTY) {
                    return "only a county or prefecture node enrolls under a province";
                }
                return childCode.matches("\\d{6}")
                                && childCode.startsWith(parentCode.substring(0, 2))
                                && !childCode.equals(parentCode)
                        ? null
                        : "code " + childCode + " does not lie inside " + parentCode;
            }
            case COUNTY -> {
                if (childLevel == Level.SCHOOL) {
                    return childCode.matches("\\d{10}") ? null : "a school code has ten digits";
                }
                boolean prefecture = parentCode.endsWith("00");
                if (childLevel == Level.COUNTY && prefecture) {
                    return childCode.matches("\\d{6}")
                                    && childCode.startsWith(parentCode.substring(0, 4))
                                    && !childCode.equals(parentCode)
                            ? null
                            : "code " + childCode + " does not lie inside prefecture " + parentCode;
                }
                return "only schools (or, under a prefecture, counties) enroll under a county";
            }
            default -> {
                return "a school node has no children";
            }
        }
    }

    @Override
    public List<Child> children() {
        try {
            List<Child> out = new ArrayList<>();
            for (FederationStore.ChildRow row : store.children()) {
                out.add(row.toChild());
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean revoke(String childCode) {
        try {
            boolean done = store.revoke(childCode);
            if (done) {
                LOG.info("Revoked child {}", childCode);
                audit.record(AuditLog.Event.of("federation.revoke", childCode, AuditLog.Result.SUCCESS, null));
            }
            return done;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public TreeNode tree() {
        try {
            List<TreeNode> kids = new ArrayList<>();
            for (FederationStore.ChildRow row : store.children()) {
                kids.add(new TreeNode(row.node(), row.status(), row.lastSeen(), row.version(), subtree(row.subtree())));
            }
            return new TreeNode(self(), "active", Instant.now(), identity.version(), kids);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A child's subtree as it reported it in its heartbeat. */
    static List<TreeNode> subtree(String json) {
        List<TreeNode> out = new ArrayList<>();
        JsonNode arr = Json.parse(json);
        if (arr != null && arr.isArray()) {
            for (JsonNode n : arr) {
                Instant seen = n.hasNonNull("lastSeen")
                        ? Instant.parse(n.path("lastSeen").asText())
                        : null;
                out.add(new TreeNode(
                        InheritanceComponent.ref(n.path("node")),
                        n.path("status").asText(),
                        seen,
                        n.path("version").asText(null),
                        subtree(n.path("children").toString())));
            }
        }
        return out;
    }

    /** The children part of a tree as JSON, for a heartbeat. */
    static ArrayNode childrenJson(List<TreeNode> children) {
        ArrayNode arr = Json.MAPPER.createArrayNode();
        for (TreeNode t : children) {
            ObjectNode n = arr.addObject();
            n.set("node", InheritanceComponent.refJson(t.node()));
            n.put("status", t.status());
            n.put("lastSeen", t.lastSeen() == null ? null : t.lastSeen().toString());
            n.put("version", t.version());
            n.set("children", childrenJson(t.children()));
        }
        return arr;
    }
}
