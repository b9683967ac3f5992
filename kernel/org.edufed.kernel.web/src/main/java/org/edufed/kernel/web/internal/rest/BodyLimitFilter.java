package org.edufed.kernel.web.internal.rest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Locale;
import javax.annotation.Priority;
import javax.ws.rs.Priorities;
import javax.ws.rs.WebApplicationException;
import javax.ws.rs.container.ContainerRequestContext;
import javax.ws.rs.container.ContainerRequestFilter;
import javax.ws.rs.container.ResourceInfo;
import javax.ws.rs.core.Context;
import org.edufed.kernel.api.web.BodyLimit;
import org.edufed.kernel.web.internal.Messages;

/**
 * Bounds every REST request body by its method's {@link BodyLimit} ({@link BodyLimit#DEFAULT} without one), after
 * matching and the permission checks: a {@code Content-Length} above it is refused at once, unread (413, a
 * {@code too-large} problem naming the limit); any other body is read through a stream that refuses the same way
 * at the first byte beyond it, whatever reads it (Jackson, a {@code byte[]} or {@code String} parameter, a method
 * reading the stream itself). Before, a body was read whole into memory whatever its size: one large request could
 * take a school's heap.
 */
@Priority(Priorities.ENTITY_CODER)
public final class BodyLimitFilter implements ContainerRequestFilter {

    @Context
    private ResourceInfo resourceInfo;

    @Override
    public void filter(ContainerRequestContext request) {
        long limit = limitOf(resourceInfo.getResourceMethod(), resourceInfo.getResourceClass());
        if (request.getLength() > limit) {
            Locale locale = Messages.fromAcceptLanguage(request.getAcceptableLanguages());
            request.abortWith(ProblemMapper.response(Problem.of(
                    "too-large",
                    413,
                    Messages.get(locale, "problem.body-too-large", size(limit)),
                    request.getUriInfo().getRequestUri().getRawPath())));
            return;
        }
        // a request with no body (most GETs) is left as it came; any other body is counted as it is read, also
        // when its stated length is within the limit (a decoding filter may give more bytes than were sent)
        InputStream body = request.getEntityStream();
        if (request.getLength() != 0 && body != null) {
            request.setEntityStream(new Bounded(body, limit));
        }
    }

    /** The limit of a method: its own {@link BodyLimit}, its class's, or the default. */
    static long limitOf(Method method, Class<?> type) {
        BodyLimit limit = method == null ? null : method.getAnnotation(BodyLimit.class);
        if (limit == null && type != null) {
            limit = type.getAnnotation(BodyLimit.class);
        }
        return limit == null ? BodyLimit.DEFAULT : limit.value();
    }

    /** A limit as people read it: {@code 4 MB}, {@code 22.3 MB}, {@code 256 KB}, {@code 100 B} (binary multiples). */
    static String size(long bytes) {
        if (bytes >= 1 << 20) {
            return tenths(bytes / (double) (1 << 20)) + " MB";
        }
        if (bytes >= 1 << 10) {
            return tenths(bytes / (double) (1 << 10)) + " KB";
        }
        return bytes + " B";
    }

    /** A number with at most one decimal, none when it is whole: {@code 4}, {@code 22.3}. */
    private static String tenths(double value) {
        String s = String.format(Locale.ROOT, "%.1f", value);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }

    /** A body longer than its method takes, found while it was read: answered as a 413 problem naming the limit. */
    static final class TooLarge extends WebApplicationException {
        private static final long serialVersionUID = 1L;

        final long limit;

        TooLarge(long limit) {
            super("request body larger than " + limit + " bytes", 413);
            this.limit = limit;
        }
    }

    /** The request body, refusing to be read beyond the limit. */
    static final class Bounded extends FilterInputStream {
        private final long limit;
        private long count;

        Bounded(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        /** Counts {@code n} bytes read (-1: the end); refuses the first beyond the limit. */
        private long count(long n) {
            if (n > 0) {
                count += n;
                if (count > limit) {
                    throw new TooLarge(limit);
                }
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            count(b < 0 ? -1 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            // never more than one byte past the limit asked for: that byte says the body is too long
            long room = limit - count + 1;
            return (int) count(in.read(b, off, (int) Math.min(len, Math.max(room, 1))));
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(Math.min(n, limit - count + 1));
            return count(Math.max(skipped, 0));
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void mark(int readlimit) {
            // not supported: a reset would count bytes twice
        }

        @Override
        public synchronized void reset() throws IOException {
            throw new IOException("mark/reset not supported");
        }
    }
}
