package org.edufed.kernel.web.internal.rest;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.ws.rs.core.HttpHeaders;
import org.apache.cxf.message.Message;
import org.apache.cxf.phase.AbstractPhaseInterceptor;
import org.apache.cxf.phase.Phase;

/**
 * The {@code Date} header's value (RFC 9110 IMF-fixdate, e.g. {@code Thu, 03 Dec 2026 18:51:56 GMT}), formatted once
 * a second as Jetty's {@code DateCache} does. CXF's JAX-RS writer otherwise builds a new {@code SimpleDateFormat}
 * for every answer it sends (1 % of a school's CPU while it takes registrations); {@link Interceptor} gives it the
 * header before it would.
 */
final class HttpDate {

    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern(
                    "EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
            .withZone(ZoneOffset.UTC);

    /** The second and its text, replaced together. */
    private record Formatted(long second, String text) {}

    private static volatile Formatted last = new Formatted(Long.MIN_VALUE, "");

    private HttpDate() {}

    /** Now, to the second. */
    static String now() {
        return format(Instant.now().getEpochSecond());
    }

    /**
     * Puts the date among an answer's protocol headers ahead of CXF's JAX-RS writer, which adds the headers found
     * there to the answer's and formats a date of its own only when none is there. (A response filter runs after
     * that: too late.)
     */
    static final class Interceptor extends AbstractPhaseInterceptor<Message> {
        Interceptor() {
            super(Phase.PRE_MARSHAL);
        }

        @Override
        public void handleMessage(Message message) {
            @SuppressWarnings("unchecked")
            Map<String, List<Object>> headers = (Map<String, List<Object>>) message.get(Message.PROTOCOL_HEADERS);
            if (headers == null) {
                headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER); // as CXF keeps them
                message.put(Message.PROTOCOL_HEADERS, headers);
            }
            if (!headers.containsKey(HttpHeaders.DATE)) {
                headers.put(HttpHeaders.DATE, new ArrayList<>(List.of(now())));
            }
        }
    }

    static String format(long epochSecond) {
        Formatted f = last;
        if (f.second != epochSecond) {
            f = new Formatted(epochSecond, FORMAT.format(Instant.ofEpochSecond(epochSecond)));
            last = f;
        }
        return f.text;
    }
}
