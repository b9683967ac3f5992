package org.edufed.kernel.web.internal.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.jaxrs.json.JacksonJsonProvider;
import java.io.ByteArrayOutputStream;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.MultivaluedHashMap;
import org.junit.jupiter.api.Test;

/** How the REST API writes its JSON answers. */
class RestServerJsonTest {

    /** An output stream that counts the flushes asked of it. */
    static final class Counting extends ByteArrayOutputStream {
        int flushes;

        @Override
        public void flush() {
            flushes++;
        }
    }

    @Test
    void anAnswerIsWrittenWithoutFlushingSoThatTheServerSendsItWholeWithItsLength() throws Exception {
        Counting out = new Counting();
        new JacksonJsonProvider(RestServer.objectMapper())
                .writeTo(
                        Map.of("status", "submitted"),
                        Map.class,
                        Map.class,
                        new Annotation[0],
                        MediaType.APPLICATION_JSON_TYPE,
                        new MultivaluedHashMap<>(),
                        out);
        assertEquals("{\"status\":\"submitted\"}", out.toString(StandardCharsets.UTF_8));
        // a flush commits the response in Jetty: chunked, and a second write for its last chunk
        assertEquals(0, out.flushes);
    }
}
