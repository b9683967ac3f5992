package org.edufed.kernel.web.internal.rest;

import java.util.function.Supplier;
import javax.ws.rs.core.HttpHeaders;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.web.internal.Messages;

/**
 * Turns the refusals of the kernel's services ({@link IllegalArgumentException} with a message key) into
 * problems in the request's language: 404 for the {@code *.notFound} keys, 400 for the others.
 */
final class Refusals {
    private Refusals() {}

    static <T> T checked(HttpHeaders headers, Supplier<T> change) {
        try {
            return change.get();
        } catch (IllegalArgumentException e) {
            String key = e.getMessage() == null ? "problem.bad-request" : e.getMessage();
            if (key.endsWith(".notFound")) {
                throw problem(headers, 404, "not-found", key);
            }
            throw problem(headers, 400, "bad-request", key);
        }
    }

    static ProblemException problem(HttpHeaders headers, int status, String type, String key) {
        return new ProblemException(
                status, type, Messages.get(Messages.fromAcceptLanguage(headers.getAcceptableLanguages()), key));
    }
}
