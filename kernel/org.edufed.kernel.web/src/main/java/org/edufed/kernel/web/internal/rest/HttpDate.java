package org.edufed.kernel.web.internal.rest;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Date} header's value (RFC 9110 IMF-fixdate, e.g. {@code Thu, 03 Dec 2026 18:51:56 GMT}), formatted once
 * a second as Jetty's {@code DateCache} does. CXF otherwise builds a new {@code SimpleDateFormat} for every answer
 * it sends (1 % of a school's CPU while it takes registrations).
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

    static String format(long epochSecond) {
        Formatted f = last;
        if (f.second != epochSecond) {
            f = new Formatted(epochSecond, FORMAT.format(Instant.ofEpochSecond(epochSecond)));
            last = f;
        }
        return f.text;
    }
}
