package org.edufed.kernel.api.web;

import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A fast lane for one JSON {@code POST} that a node takes at high rates (a school's registrations on the busy day):
 * the kernel serves it from the REST endpoint's first interceptor, ahead of the JAX-RS runtime, whose per-request
 * work (the matching, the providers, the interceptor chains) cost a third of what such a request took.
 *
 * <p>The operation's contract stays the JAX-RS method of a {@link RestResource} at the same path: it is what the
 * OpenAPI document describes and what answers every request the lane does not. The kernel offers a request to the
 * lane only in its common case — Basic credentials of an account that may use it (no password change pending, the
 * address not throttled), a JSON body with a stated length of at most {@link #maxBody()} bytes — and the lane
 * either answers it with success or <em>declines</em>; a declined request goes on to the JAX-RS method with the same
 * body, which gives every error its usual problem answer (and the audit of a failed login or a denied access). So
 * the lane must decline anything but success, and must have changed nothing when it does; it answers only what the
 * JAX-RS method would have answered, byte for byte in its body.
 *
 * <p>Registered as an OSGi service like a {@link RestResource}; a plugin's lane is admitted only with the permission
 * it names among the plugin's declared ones. It runs as the caller: {@code Actor.current()} is the account.
 */
@ConsumerType
public interface DirectOperation {

    /** The path under {@code /api/v1}, literal (no templates), e.g. {@code /exam/registrations}. */
    String path();

    /** The permission the caller needs over the whole node (as {@link RequiresPermission} without a unit). */
    String permission();

    /** The largest body offered to the lane; a larger one goes to the JAX-RS method (and its limit) directly. */
    default int maxBody() {
        return 64 * 1024;
    }

    /**
     * Serves the request: its answer (a 2xx status and a JSON body), or empty to decline it, changing nothing.
     * An exception declines it too (logged at debug level: the JAX-RS method, given the same request, reports it).
     *
     * @param body the request's body as sent (its stated length), UTF-8 JSON
     */
    Optional<Answer> post(byte[] body) throws Exception;

    /** A success: a 2xx status and the JSON body sent with it ({@code application/json}, UTF-8). */
    record Answer(int status, String json) {
        public Answer {
            if (status < 200 || status > 299) {
                throw new IllegalArgumentException("a lane answers only success, not " + status);
            }
            java.util.Objects.requireNonNull(json, "json");
        }
    }
}
