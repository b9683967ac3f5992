package org.edufed.kernel.web.internal.rest;

import com.fasterxml.jackson.annotation.JsonInclude;

/** An RFC 9457 problem body. {@code type} is a URN naming the problem; {@code detail} is in the user's language. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance) {

    public static final String MEDIA_TYPE = "application/problem+json";

    static Problem of(String type, int status, String detail, String instance) {
        return new Problem("urn:edufed:problem:" + type, type, status, detail, instance);
    }
}
