package org.edufed.plugin.exam.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Given a request body as the exam API reads it (from its stream, bounded), then a JSON object is read whole up to
 * the limit, one byte more is refused with 413, and what is not a JSON object with 422 — each as a problem body.
 */
class ExamApiBodyTest {

    /** The shared parts only: no store, no node (reading a body needs neither). */
    private final ExamApi api = new ExamApi(null, null) {};

    private static InputStream of(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A JSON object of exactly {@code size} bytes: a name, then spaces before its closing brace. */
    private static String objectOf(int size) {
        String head = "{\"name\":\"考生\"";
        int pad = size - head.getBytes(StandardCharsets.UTF_8).length - 1;
        return head + " ".repeat(pad) + "}";
    }

    private static int status(ExamApi.ProblemResponse e) {
        return e.getResponse().getStatus();
    }

    @Test
    void aJsonObjectUpToTheLimitIsReadWhole() {
        assertEquals("考生", api.body(of(objectOf(ExamApi.MAX_BODY))).path("name").asText());
        assertEquals("x", api.body(of("{\"name\":\"x\"}")).path("name").asText());
    }

    @Test
    void oneByteOverTheLimitIs413() {
        ExamApi.ProblemResponse e =
                assertThrows(ExamApi.ProblemResponse.class, () -> api.body(of(objectOf(ExamApi.MAX_BODY + 1))));
        assertEquals(413, status(e));
        assertTrue(e.getResponse().getEntity().toString().contains("exam.tooLarge"), "names its problem");
        // a stream that never ends is not read to its end either
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return ' ';
            }
        };
        assertEquals(413, status(assertThrows(ExamApi.ProblemResponse.class, () -> api.body(endless))));
    }

    @Test
    void whatIsNotAJsonObjectIs422() {
        for (String bad : new String[] {"", "   ", "[1, 2]", "\"text\"", "{\"name\":", "{name: 1}", "null"}) {
            ExamApi.ProblemResponse e = assertThrows(ExamApi.ProblemResponse.class, () -> api.body(of(bad)), bad);
            assertEquals(422, status(e), bad);
            assertTrue(e.getResponse().getEntity().toString().contains("exam.badBody"), bad);
        }
        assertEquals(422, status(assertThrows(ExamApi.ProblemResponse.class, () -> api.body(null))));
    }

    @Test
    void aBodyInTheCharsetItsContentTypeNamesIsReadInIt() {
        ExamApi gbk = new ExamApi(null, null) {};
        gbk.headers = (javax.ws.rs.core.HttpHeaders) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {javax.ws.rs.core.HttpHeaders.class},
                (p, m, a) -> m.getName().equals("getMediaType")
                        ? javax.ws.rs.core.MediaType.valueOf("application/json; charset=GBK")
                        : null);
        byte[] body = "{\"name\":\"考生\"}".getBytes(java.nio.charset.Charset.forName("GBK"));
        assertEquals("考生", gbk.body(new ByteArrayInputStream(body)).path("name").asText());
        // the same bytes without the charset are not UTF-8: refused, not misread
        assertEquals(
                422,
                status(assertThrows(ExamApi.ProblemResponse.class, () -> api.body(new ByteArrayInputStream(body)))));
    }
}
