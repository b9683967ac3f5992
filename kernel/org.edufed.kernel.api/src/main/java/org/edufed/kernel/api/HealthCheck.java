package org.edufed.kernel.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A readiness check. Bundles register these as services; {@code GET /api/v1/health} reports every one of
 * them and is ready only when all pass.
 */
@ConsumerType
public interface HealthCheck {

    /** A short stable name, e.g. {@code storage}. */
    String name();

    /** Runs the check quickly (well under a second). */
    Result check();

    /** The outcome of a check. */
    record Result(boolean ok, String detail) {
        public static Result ok(String detail) {
            return new Result(true, detail);
        }

        public static Result fail(String detail) {
            return new Result(false, detail);
        }
    }
}
