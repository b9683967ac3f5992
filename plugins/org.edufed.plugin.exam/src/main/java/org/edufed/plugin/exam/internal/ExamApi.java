package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.SecurityContext;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.edufed.kernel.api.web.DirectOperation;
import org.edufed.kernel.api.web.ProblemException;

/**
 * What the exam plugin's REST resources share: the permissions, the caller's language, the 422 answer naming every
 * problem, a registration read from a JSON body, checked and stored. The resources are split by path
 * ({@link ExamResource} for {@code /exam}, {@link RegistrationResource} for {@code /exam/registrations},
 * {@link OwnRegistrationResource} for {@code /exam/my}): CXF matches a request against every operation of the
 * resource class it selected by path, building a debug message for each even with debug logging off, so a
 * registration on a school's busy day is matched against 7 operations, not 31.
 */
abstract class ExamApi {

    static final String READ = "exam:read";
    static final String SELF = "exam:self";
    static final String REGISTER = "exam:register";
    static final String REVIEW = "exam:review";
    static final String PLAN = "exam:plan";
    static final String ADMIT = "exam:admit";
    static final String ADMIN = "exam:admin";
    static final String PERSONAL = "exam:personal";
    static final String EXPORT = "exam:export";
    /** Most rows one list answers (a large county school's whole year). */
    static final int MAX_LIST = 100_000;

    final ExamStore store;
    final NodeIdentity node;

    @Context
    HttpHeaders headers;

    @Context
    SecurityContext security;

    ExamApi(ExamStore store, NodeIdentity node) {
        this.store = store;
        this.node = node;
    }

    Locale locale() {
        return Texts.of(headers == null ? null : headers.getAcceptableLanguages());
    }

    /** 422 with every problem, each with its field and a message in the caller's language. */
    ProblemResponse invalid(Rules.Invalid e) {
        return problem(422, "invalid", "exam.invalid", e.problems);
    }

    /**
     * A problem answer ({@code about:blank#<type>}, its title the text of {@code titleKey}) naming each problem with
     * its field and a message in the caller's language; the first one's message is the detail.
     */
    ProblemResponse problem(int status, String type, String titleKey, List<Rules.Problem> problems) {
        Locale l = locale();
        ObjectNode body = Rules.JSON
                .createObjectNode()
                .put("type", "about:blank#" + type)
                .put("title", Texts.get(l, titleKey))
                .put("status", status)
                .put("detail", Texts.get(l, problems.get(0).key()));
        ArrayNode ps = body.putArray("problems");
        for (Rules.Problem p : problems) {
            ps.addObject().put("field", p.field()).put("code", p.key()).put("message", Texts.get(l, p.key()));
        }
        return new ProblemResponse(body);
    }

    /** A problem answer thrown from the resource methods. */
    static final class ProblemResponse extends javax.ws.rs.WebApplicationException {
        private static final long serialVersionUID = 1L;

        ProblemResponse(ObjectNode body) {
            super(Response.status(body.path("status").asInt())
                    .type("application/problem+json")
                    .entity(body.toString())
                    .build());
        }
    }

    /**
     * The most a JSON body of the exam API may hold (a registration with all its extra fields is a few KB; a year's
     * rules with its batches and fields some tens): a larger one gets 413 and is not read further, so that a small
     * node's heap is not spent on it.
     */
    static final int MAX_BODY = 256 * 1024;

    /**
     * A request's JSON object, read from its stream by the parser (not first as a string: a string's reader and
     * builder were a tenth of what a school allocated while its students registered), at most {@link #MAX_BODY}
     * bytes. Bad JSON or not an object: 422 ({@code exam.badBody}); too large: 413 ({@code exam.tooLarge}).
     */
    JsonNode body(InputStream in) {
        Bounded bounded = new Bounded(in == null ? InputStream.nullInputStream() : in, MAX_BODY);
        try {
            Charset charset = declaredCharset();
            // JSON is UTF-8 (RFC 8259), which the parser reads from bytes; another charset only when one is declared
            JsonNode n = charset == null
                    ? Rules.JSON.readTree(bounded)
                    : Rules.JSON.readTree(new InputStreamReader(bounded, charset));
            if (n == null || !n.isObject()) {
                throw new Rules.Invalid("body", "exam.badBody");
            }
            return n;
        } catch (IOException e) {
            if (bounded.exceeded) {
                throw problem(413, "too-large", "exam.tooLarge", List.of(new Rules.Problem("body", "exam.tooLarge")));
            }
            throw invalid(new Rules.Invalid("body", "exam.badBody"));
        } catch (Rules.Invalid e) {
            throw invalid(e);
        }
    }

    /** The charset the request's {@code Content-Type} names when it is not UTF-8 ({@code null} otherwise). */
    private Charset declaredCharset() {
        MediaType type = headers == null ? null : headers.getMediaType();
        String name = type == null ? null : type.getParameters().get(MediaType.CHARSET_PARAMETER);
        if (name == null) {
            return null;
        }
        try {
            Charset c = Charset.forName(name.strip());
            return c.equals(StandardCharsets.UTF_8) ? null : c;
        } catch (IllegalArgumentException e) { // unknown or illegal name: read as JSON is, UTF-8
            return null;
        }
    }

    /** A stream that fails once more than {@code max} bytes are read from it, saying so in {@link #exceeded}. */
    static final class Bounded extends FilterInputStream {
        private final long max;
        private long read;
        boolean exceeded;

        Bounded(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            // one byte more than is left, so that a body of exactly the limit is read to its end
            int n = super.read(b, off, (int) Math.min(len, max - read + 1));
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(Math.min(n, max - read + 1));
            count(k);
            return k;
        }

        @Override
        public boolean markSupported() {
            return false; // a reset would read bytes again that are counted already
        }

        private void count(long n) throws IOException {
            if ((read += n) > max) {
                exceeded = true;
                throw new IOException("request body larger than " + max + " bytes");
            }
        }
    }

    static String year(String year) {
        return year != null && Rules.YEAR.matcher(year).matches() ? year : null;
    }

    String requireYear(String year) {
        String y = year(year);
        if (y == null) {
            throw invalid(new Rules.Invalid("year", "exam.badYear"));
        }
        return y;
    }

    /** A registration from a JSON body: year, name, idNumber, guardianPhone, preferences. */
    static Rules.Registration registration(JsonNode b) {
        return new Rules.Registration(
                b.path("year").asText(""),
                b.path("name").asText(""),
                b.path("idNumber").asText("").strip().toUpperCase(Locale.ROOT),
                b.path("guardianPhone").asText("").strip(),
                Rules.preferences(b.path("preferences")),
                Rules.extra(b.path("extra")));
    }

    Rules.Registration checked(Rules.Registration r) {
        List<Rules.Problem> problems = store.rowProblems(r);
        if (!problems.isEmpty()) {
            throw invalid(new Rules.Invalid(problems));
        }
        return r;
    }

    /** Stores a checked registration (a student's own when {@code account} is given): 201 with its ids. */
    Response created(Rules.Registration r, String account) throws SQLException {
        try {
            String id = store.register(r, account);
            return Response.status(201).entity(createdBody(id)).build();
        } catch (Rules.Invalid e) {
            throw invalid(e);
        }
    }

    /**
     * A fast lane's registration ({@link RegistrationLane}, {@link OwnRegistrationLane}): checked and stored as the
     * JAX-RS method stores it ({@code account} the student's own, or {@code null} for a clerk's), answered 201 with
     * the same body; anything else throws, nothing written, and the lane declines.
     */
    DirectOperation.Answer laneRegistration(byte[] body, String account) throws SQLException {
        String id = store.register(checked(registration(body(new ByteArrayInputStream(body)))), account);
        return new DirectOperation.Answer(201, createdBody(id).toString());
    }

    /** What the answer to a new registration says: its ids and its status. */
    ObjectNode createdBody(String id) {
        return Rules.JSON
                .createObjectNode()
                .put("id", id)
                .put("globalId", node.code() + ":" + id)
                .put("status", Review.Status.SUBMITTED.id);
    }

    ProblemException notFound() {
        return new ProblemException(404, "not-found", Texts.get(locale(), "exam.notFound"));
    }

    /** Stores a checked correction of a registration known to be there: a new version, sent up again. */
    ExamStore.Mine corrected(String id, InputStream json) throws SQLException {
        Rules.Registration r = checked(registration(body(json)));
        try {
            store.correct(id, r);
        } catch (Rules.Invalid e) {
            throw invalid(e);
        }
        return store.mine(id).orElseThrow(this::notFound);
    }

    String user() {
        return security.getUserPrincipal().getName();
    }

    /** The full ID number, phone and extra fields of a registration (made here or received), the view audited. */
    ObjectNode reveal(FieldEncryption fields, String globalId, String[] ciphers) {
        String subject = "exam.registration:" + globalId;
        ObjectNode o = Rules.JSON.createObjectNode().put("globalId", globalId);
        o.put("idNumber", fields.reveal(ciphers[0], subject, "exam.review"));
        if (ciphers[1] != null) {
            o.put("guardianPhone", fields.reveal(ciphers[1], subject, "exam.review"));
        }
        if (ciphers[2] != null) {
            o.set("extra", store.extraRevealed(ciphers[2], subject, "exam.review"));
        }
        return o;
    }

    ObjectNode job(ExamImports.Job j) {
        ObjectNode o = Rules.JSON
                .createObjectNode()
                .put("id", j.id())
                .put("year", j.year())
                .put("state", j.state())
                .put("total", j.total())
                .put("done", j.done())
                .put("accepted", j.accepted())
                .put("refused", j.refused())
                .put("createdBy", j.createdBy())
                .put("createdAt", j.createdAt().toString())
                .put("updatedAt", j.updatedAt().toString());
        o.set("problems", errors(j.problems()));
        return o;
    }

    void requireCsv() {
        MediaType type = headers.getMediaType();
        if (type == null || !"text".equals(type.getType()) || !"csv".equals(type.getSubtype())) {
            throw new ProblemException(415, "unsupported-media-type", Texts.get(locale(), "exam.csvType"));
        }
    }

    ArrayNode errors(List<CsvImport.RowError> refused) {
        Locale l = locale();
        ArrayNode errors = Rules.JSON.createArrayNode();
        for (CsvImport.RowError e : refused) {
            ObjectNode r = errors.addObject().put("line", e.line());
            ArrayNode ps = r.putArray("problems");
            e.problems().forEach(p -> ps.addObject()
                    .put("field", p.field())
                    .put("code", p.key())
                    .put("message", Texts.get(l, p.key())));
        }
        return errors;
    }
}
