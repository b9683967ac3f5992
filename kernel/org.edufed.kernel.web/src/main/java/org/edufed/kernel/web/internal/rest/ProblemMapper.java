package org.edufed.kernel.web.internal.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Locale;
import java.util.UUID;
import javax.ws.rs.WebApplicationException;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.UriInfo;
import javax.ws.rs.ext.ExceptionMapper;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.web.internal.Messages;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error as an RFC 9457 problem body in the caller's language (Accept-Language; zh-CN by default).
 * Client errors say what to correct; server errors say only an incident number, with the details in the
 * log. No stack trace ever reaches the client.
 */
public final class ProblemMapper implements ExceptionMapper<Throwable> {

    private static final Logger LOG = LoggerFactory.getLogger(ProblemMapper.class);

    @Context
    private HttpHeaders headers;

    @Context
    private UriInfo uriInfo;

    @Override
    public Response toResponse(Throwable error) {
        Locale locale = locale();
        String path = path();
        Problem problem;
        BodyLimitFilter.TooLarge tooLarge = tooLarge(error);
        if (error instanceof ProblemException pe) {
            problem = Problem.of(pe.type(), pe.status(), pe.getMessage(), path);
        } else if (tooLarge != null) {
            problem = Problem.of(
                    "too-large",
                    413,
                    Messages.get(locale, "problem.body-too-large", BodyLimitFilter.size(tooLarge.limit)),
                    path);
        } else if (error instanceof JsonProcessingException) {
            problem = Problem.of("malformed-json", 400, Messages.get(locale, "problem.malformed-json"), path);
        } else if (error instanceof WebApplicationException wae
                && wae.getResponse().getStatus() < 500) {
            int status = wae.getResponse().getStatus();
            String type =
                    switch (status) {
                        case 401 -> "unauthorized";
                        case 403 -> "forbidden";
                        case 404 -> "not-found";
                        case 405 -> "method-not-allowed";
                        case 406 -> "not-acceptable";
                        case 413 -> "too-large";
                        case 415 -> "unsupported-media-type";
                        default -> "bad-request";
                    };
            String text = status == 415
                    ? Messages.get(locale, "problem." + type, AuthenticationFilter.consumes())
                    : Messages.get(locale, "problem." + type);
            problem = Problem.of(type, status, text, path);
        } else if (clientGone(error)) {
            // the client closed the connection while the answer was written: nothing went wrong here, and no one
            // is left to read an incident number
            LOG.debug("client gone at {}: {}", path, error.toString());
            problem = Problem.of("client-gone", 499, "client closed the connection", path);
        } else {
            String incident = UUID.randomUUID().toString().substring(0, 8);
            LOG.error("incident {} at {}", incident, path, error);
            problem = Problem.of("internal-error", 500, Messages.get(locale, "problem.internal-error", incident), path);
        }
        return response(problem);
    }

    /**
     * The body limit's refusal behind an error, if there is one: Jackson wraps what its input stream throws while it
     * reads a property of an object (a long string) into a mapping error, which is not malformed JSON.
     */
    static BodyLimitFilter.TooLarge tooLarge(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof BodyLimitFilter.TooLarge found) {
                return found;
            }
        }
        return null;
    }

    /** Whether the error is the servlet container's word that the client closed the connection (Jetty's EOF). */
    static boolean clientGone(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t.getClass().getName().equals("org.eclipse.jetty.io.EofException")) {
                return true;
            }
        }
        return false;
    }

    /** Answers JSON the body reader could not parse (more specific than Throwable, so it wins). */
    public static final class Json implements ExceptionMapper<JsonProcessingException> {
        private final ProblemMapper delegate;

        public Json(ProblemMapper delegate) {
            this.delegate = delegate;
        }

        @Override
        public Response toResponse(JsonProcessingException e) {
            return delegate.toResponse(e);
        }
    }

    /** Answers the container's own errors (404, 405, 415 …) as problems instead of CXF's default mapper. */
    public static final class WebApp implements ExceptionMapper<WebApplicationException> {
        private final ProblemMapper delegate;

        public WebApp(ProblemMapper delegate) {
            this.delegate = delegate;
        }

        @Override
        public Response toResponse(WebApplicationException e) {
            return delegate.toResponse(e);
        }
    }

    static Response response(Problem problem) {
        Response.ResponseBuilder b =
                Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem);
        if (problem.status() == 503) {
            b.header("Retry-After", "1");
        }
        return b.build();
    }

    private Locale locale() {
        try {
            return Messages.fromAcceptLanguage(headers.getAcceptableLanguages());
        } catch (RuntimeException e) {
            return Messages.ZH;
        }
    }

    private String path() {
        try {
            return uriInfo.getRequestUri().getRawPath();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
