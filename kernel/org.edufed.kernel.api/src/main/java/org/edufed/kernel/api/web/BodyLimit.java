package org.edufed.kernel.api.web;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The largest request body a REST method takes, in bytes; on a class, every method of it that does not say
 * otherwise. Every method without one takes at most {@link #DEFAULT}. A longer body is refused with 413 and a
 * {@code too-large} problem naming the limit, before the method runs: at once when its {@code Content-Length}
 * says so, otherwise as soon as that many bytes were read (nothing beyond the limit is read into memory).
 * Methods that take files or bulk batches (CSV imports, node-to-node messages) name their own, larger limit.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface BodyLimit {

    /** What a method takes without a {@code BodyLimit} of its own: 4 MiB, far more than any single JSON object. */
    long DEFAULT = 4L << 20;

    /** The limit in bytes. */
    long value();
}
