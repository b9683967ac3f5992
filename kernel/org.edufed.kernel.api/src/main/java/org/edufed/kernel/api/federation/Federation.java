package org.edufed.kernel.api.federation;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** This node's place in the tree: its parent, its children, enrollment and revocation. */
@ProviderType
public interface Federation {

    /** A one-time enrollment token: shown once, stored only as a hash, expiring. */
    record Token(String token, Instant expiresAt) {}

    /** An enrolled node as its parent records it. */
    record Child(
            NodeRef node, String url, String signatureAlgorithm, String status, Instant enrolledAt, Instant lastSeen) {}

    /** This node's parent, as recorded at enrollment. */
    record Parent(NodeRef node, String url, String signatureAlgorithm, Instant enrolledAt) {}

    /** A node of the tree under this one, with its own children. */
    record TreeNode(NodeRef node, String status, Instant lastSeen, String version, List<TreeNode> children) {}

    Token issueToken(Duration validity);

    /**
     * Enrolls this node under the parent at {@code parentUrl} with a token the parent issued.
     *
     * @throws EnrollmentException with a message for the operator when the parent refuses or cannot be reached
     */
    Parent enroll(String parentUrl, String token) throws EnrollmentException;

    Optional<Parent> parent();

    List<Child> children();

    /** Revokes a child: every message from it is refused from now on. Returns false when unknown. */
    boolean revoke(String childCode);

    /**
     * Replaces this node's key pair. The parent (if any) is told first, in a message signed with the old key
     * and carrying a statement signed by both keys; children follow that statement the next time they hear
     * from this node. Returns the new public key (PEM).
     *
     * @throws IllegalStateException with a message for the operator when the parent cannot take the new key
     *     (nothing changes then)
     */
    String rotateKey();

    /** This node and everything below it, as last reported upward. */
    TreeNode tree();

    /** Enrollment refused or failed; the message says why. */
    final class EnrollmentException extends Exception {
        private static final long serialVersionUID = 1L;

        public EnrollmentException(String message) {
            super(message);
        }

        public EnrollmentException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
