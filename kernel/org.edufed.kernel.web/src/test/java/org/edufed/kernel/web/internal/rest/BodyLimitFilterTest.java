package org.edufed.kernel.web.internal.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import javax.ws.rs.container.ContainerRequestContext;
import javax.ws.rs.container.ResourceInfo;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.UriInfo;
import org.edufed.kernel.api.web.BodyLimit;
import org.junit.jupiter.api.Test;

/**
 * Given a REST request with a body, when the body is longer than its method takes ({@link BodyLimit}, 4 MB
 * without one), then it is refused with a 413 problem naming the limit — at once when its length says so, at the
 * first byte beyond the limit otherwise — and nothing beyond the limit is read; a body within it reads unchanged.
 */
class BodyLimitFilterTest {

    @BodyLimit(1024)
    static final class Small {
        public void takesTheClassLimit() {}

        @BodyLimit(10)
        public void takesItsOwn() {}
    }

    static final class Plain {
        public void takesTheDefault() {}
    }

    private static Method method(Class<?> type, String name) throws NoSuchMethodException {
        return type.getMethod(name);
    }

    @Test
    void aMethodsLimitIsItsOwnItsClassesOrTheDefault() throws Exception {
        assertEquals(10, BodyLimitFilter.limitOf(method(Small.class, "takesItsOwn"), Small.class));
        assertEquals(1024, BodyLimitFilter.limitOf(method(Small.class, "takesTheClassLimit"), Small.class));
        assertEquals(4L << 20, BodyLimitFilter.limitOf(method(Plain.class, "takesTheDefault"), Plain.class));
        assertEquals(BodyLimit.DEFAULT, BodyLimitFilter.limitOf(null, null), "an unmatched request");
        assertEquals("4 MB", BodyLimitFilter.size(BodyLimit.DEFAULT));
        assertEquals("256 KB", BodyLimitFilter.size(256 << 10));
        assertEquals("1000 B", BodyLimitFilter.size(1000));
        assertEquals("22.3 MB", BodyLimitFilter.size((16L << 20) / 3 * 4 + (1 << 20)), "a plugin's publication");
        assertEquals("1.5 KB", BodyLimitFilter.size(1536));
    }

    @Test
    void aBodyWithinTheLimitReadsUnchangedAndTheFirstByteBeyondItIsRefused() throws IOException {
        byte[] ten = "0123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(
                "0123456789",
                new String(
                        new BodyLimitFilter.Bounded(new ByteArrayInputStream(ten), 10).readAllBytes(),
                        java.nio.charset.StandardCharsets.US_ASCII));
        InputStream eleven = new BodyLimitFilter.Bounded(new ByteArrayInputStream("0123456789A".getBytes()), 10);
        BodyLimitFilter.TooLarge refused = assertThrows(BodyLimitFilter.TooLarge.class, eleven::readAllBytes);
        assertEquals(413, refused.getResponse().getStatus());
        // one byte at a time, and skipping, count the same
        InputStream single = new BodyLimitFilter.Bounded(new ByteArrayInputStream("0123456789A".getBytes()), 10);
        for (int i = 0; i < 10; i++) {
            assertEquals('0' + i, single.read());
        }
        assertThrows(BodyLimitFilter.TooLarge.class, single::read);
        InputStream skipping = new BodyLimitFilter.Bounded(new ByteArrayInputStream("0123456789A".getBytes()), 10);
        assertEquals(5, skipping.skip(5));
        assertThrows(BodyLimitFilter.TooLarge.class, () -> skipping.skip(100));
        // an endless body: refused having read no more than one byte past the limit
        long[] served = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                served[0]++;
                return 'x';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 'x');
                served[0] += len;
                return len;
            }
        };
        assertThrows(
                BodyLimitFilter.TooLarge.class, () -> new BodyLimitFilter.Bounded(endless, 1 << 20).readAllBytes());
        assertEquals((1 << 20) + 1, served[0]);
    }

    /** A request as the filter sees it: its length, body, language; what it was aborted with is kept. */
    private static ContainerRequestContext request(
            long length, InputStream body, AtomicReference<Response> aborted, AtomicReference<InputStream> replaced) {
        UriInfo uri = (UriInfo) Proxy.newProxyInstance(
                BodyLimitFilterTest.class.getClassLoader(),
                new Class<?>[] {UriInfo.class},
                (p, m, a) -> m.getName().equals("getRequestUri") ? URI.create("http://h/api/v1/reports") : null);
        return (ContainerRequestContext) Proxy.newProxyInstance(
                BodyLimitFilterTest.class.getClassLoader(),
                new Class<?>[] {ContainerRequestContext.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getLength" -> (int) length;
                    case "getEntityStream" -> body;
                    case "getAcceptableLanguages" -> List.of(Locale.ENGLISH);
                    case "getUriInfo" -> uri;
                    case "abortWith" -> {
                        aborted.set((Response) a[0]);
                        yield null;
                    }
                    case "setEntityStream" -> {
                        replaced.set((InputStream) a[0]);
                        yield null;
                    }
                    default -> null;
                });
    }

    private static BodyLimitFilter filterFor(Class<?> type, String method) throws Exception {
        Method m = method(type, method);
        ResourceInfo info = (ResourceInfo) Proxy.newProxyInstance(
                BodyLimitFilterTest.class.getClassLoader(),
                new Class<?>[] {ResourceInfo.class},
                (p, call, a) -> call.getName().equals("getResourceMethod") ? m : type);
        BodyLimitFilter filter = new BodyLimitFilter();
        Field f = BodyLimitFilter.class.getDeclaredField("resourceInfo");
        f.setAccessible(true);
        f.set(filter, info);
        return filter;
    }

    @Test
    void aBodyItsLengthSaysIsTooLongIsRefusedUnreadAndAnyOtherIsReadThroughTheLimit() throws Exception {
        BodyLimitFilter filter = filterFor(Small.class, "takesTheClassLimit");
        AtomicReference<Response> aborted = new AtomicReference<>();
        AtomicReference<InputStream> replaced = new AtomicReference<>();
        InputStream untouched = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("a body refused by its length is not read");
            }
        };
        filter.filter(request(1025, untouched, aborted, replaced));
        assertEquals(413, aborted.get().getStatus());
        Problem problem = (Problem) aborted.get().getEntity();
        assertEquals("urn:edufed:problem:too-large", problem.type());
        assertEquals("The request body is larger than this operation takes (1 KB).", problem.detail());
        assertEquals("/api/v1/reports", problem.instance());
        assertNull(replaced.get());

        // within the limit by its length, or of no stated length (chunked): read through the limit
        for (long length : new long[] {1024, -1}) {
            aborted.set(null);
            InputStream body = new ByteArrayInputStream(new byte[2000]);
            filter.filter(request(length, body, aborted, replaced));
            assertNull(aborted.get());
            assertInstanceOf(BodyLimitFilter.Bounded.class, replaced.get());
            assertThrows(BodyLimitFilter.TooLarge.class, replaced.get()::readAllBytes);
        }

        // a request without a body keeps its stream as it came
        replaced.set(null);
        filter.filter(request(0, new ByteArrayInputStream(new byte[0]), aborted, replaced));
        assertNull(replaced.get());
    }

    @Test
    void aBodyFoundTooLongWhileReadIsAnsweredAsAProblemInTheCallersLanguage() {
        Response r = new ProblemMapper().toResponse(new BodyLimitFilter.TooLarge(BodyLimit.DEFAULT));
        assertEquals(413, r.getStatus());
        assertEquals(Problem.MEDIA_TYPE, r.getMediaType().toString());
        Problem problem = (Problem) r.getEntity();
        assertEquals("urn:edufed:problem:too-large", problem.type());
        assertTrue(problem.detail().contains("4 MB"), problem.detail());
        assertTrue(problem.detail().contains("上限"), "zh-CN without an Accept-Language: " + problem.detail());
    }

    /** A JSON body as a resource method takes it (a bean: Jackson reads each property inside its error wrapping). */
    public static final class Note {
        public String title;
        public String text;
    }

    @Test
    void aLongValueInsideAJsonObjectIsRefusedAsTooLargeNotAsMalformed() {
        // past Jackson's first buffer (8,000 bytes), so the limit is met inside the value of a property
        String json = "{\"title\":\"t\",\"text\":\"" + "长".repeat(5000) + "\"}";
        InputStream body = new BodyLimitFilter.Bounded(
                new ByteArrayInputStream(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), 10_000);
        Exception e =
                assertThrows(Exception.class, () -> RestServer.objectMapper().readValue(body, Note.class));
        // Jackson wraps the refusal into a mapping error, which the mapper would otherwise answer as malformed JSON
        assertInstanceOf(com.fasterxml.jackson.databind.JsonMappingException.class, e);
        Response r = new ProblemMapper().toResponse(e);
        assertEquals(413, r.getStatus(), e.toString());
        assertTrue(((Problem) r.getEntity()).detail().contains("9.8 KB"), ((Problem) r.getEntity()).detail());
    }
}
