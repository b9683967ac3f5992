package org.edufed.kernel.web.internal.rest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.servlet.ServletOutputStream;
import javax.servlet.WriteListener;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.apache.cxf.bus.managers.PhaseManagerImpl;
import org.apache.cxf.message.ExchangeImpl;
import org.apache.cxf.message.Message;
import org.apache.cxf.message.MessageImpl;
import org.apache.cxf.phase.PhaseInterceptorChain;
import org.apache.cxf.transport.http.AbstractHTTPDestination;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.web.DirectOperation;
import org.edufed.kernel.web.internal.LoginThrottle;
import org.junit.jupiter.api.Test;

/**
 * The fast lane in front of CXF: what it serves itself (and how its answer looks), what it hands on to the JAX-RS
 * method, and that a request handed on still has its whole body.
 */
class DirectLaneTest {

    static final String PATH = "/api/v1/things";
    static final String BODY = "{\"name\":\"李雷\",\"n\":1}";

    /** The lane under test: answers 201, or declines/throws when the body says so; remembers who called it. */
    static class Things implements DirectOperation {
        final List<String> bodies = new ArrayList<>();
        final List<Actor.Who> actors = new ArrayList<>();

        @Override
        public String path() {
            return "/things";
        }

        @Override
        public String permission() {
            return "things:write";
        }

        @Override
        public int maxBody() {
            return 100;
        }

        @Override
        public Optional<Answer> post(byte[] body) {
            String b = new String(body, StandardCharsets.UTF_8);
            bodies.add(b);
            actors.add(Actor.current());
            if (b.contains("decline")) {
                return Optional.empty();
            }
            if (b.contains("throw")) {
                throw new IllegalStateException("duplicate");
            }
            return Optional.of(new Answer(201, "{\"id\":\"7\",\"名\":\"李雷\"}"));
        }
    }

    /** Accounts: clerk (may write things), reader (may not), changer (must change the password first). */
    final AtomicInteger logins = new AtomicInteger();

    final AccountService accounts = (AccountService) Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {AccountService.class}, (proxy, method, args) -> {
                switch (method.getName()) {
                    case "authenticate" -> {
                        logins.incrementAndGet();
                        String user = (String) args[0];
                        boolean right = "right".equals(new String((char[]) args[1]));
                        return right && Set.of("clerk", "reader", "changer").contains(user)
                                ? Optional.of(new Account(
                                        user, user, Set.of(), user.equals("changer"), false, Instant.EPOCH, null))
                                : Optional.empty();
                    }
                    case "isPermitted" -> {
                        return args.length == 2 && !"reader".equals(args[0]) && "things:write".equals(args[1]);
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                }
            });

    final LoginThrottle throttle = new LoginThrottle();
    final DirectLane lane = new DirectLane(accounts, throttle, null);
    final Things things = new Things();

    DirectLaneTest() {
        assertTrue(lane.add(null, things));
    }

    /** A request as CXF's servlet destination hands it to the first interceptor. */
    static final class Request {
        String method = "POST";
        String uri = PATH;
        String contentType = "application/json";
        String authorization = basic("clerk", "right");
        String encoding;
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        long length = body.length;
        final Map<String, Object> attributes = new HashMap<>();

        Request body(String b) {
            body = b.getBytes(StandardCharsets.UTF_8);
            length = body.length;
            return this;
        }
    }

    /** What the lane did with a request: the message CXF goes on with, and the answer written (if any). */
    record Outcome(Message message, int status, Map<String, String> headers, byte[] written) {
        boolean served() {
            return ((PhaseInterceptorChain) message.getInterceptorChain()).getState()
                    == PhaseInterceptorChain.State.ABORTED;
        }

        /** The body CXF reads when the request goes on. */
        String bodyLeft() throws IOException {
            return new String(message.getContent(InputStream.class).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    Outcome run(Request r) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        int[] status = {0};
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        HttpServletRequest http = (HttpServletRequest) Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {HttpServletRequest.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getMethod" -> r.method;
                    case "getRequestURI" -> r.uri;
                    case "getContentLengthLong" -> r.length;
                    case "getContentType" -> r.contentType;
                    case "getRemoteAddr" -> "127.0.0.1";
                    case "getAttribute" -> r.attributes.get((String) a[0]);
                    case "setAttribute" -> r.attributes.put((String) a[0], a[1]);
                    case "getHeader" -> switch ((String) a[0]) {
                        case "Authorization" -> r.authorization;
                        case "Content-Encoding" -> r.encoding;
                        default -> null;
                    };
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        ServletOutputStream out = new ServletOutputStream() {
            @Override
            public void write(int b) {
                written.write(b);
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {}
        };
        HttpServletResponse response = (HttpServletResponse) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {HttpServletResponse.class}, (p, m, a) -> {
                    switch (m.getName()) {
                        case "setStatus" -> status[0] = (Integer) a[0];
                        case "setHeader" -> headers.put((String) a[0], (String) a[1]);
                        case "setContentType" -> headers.put("Content-Type", (String) a[0]);
                        case "setContentLength" -> headers.put("Content-Length", a[0].toString());
                        case "getOutputStream" -> {
                            return out;
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    }
                    return null;
                });
        Message message = new MessageImpl();
        ExchangeImpl exchange = new ExchangeImpl();
        exchange.setInMessage(message);
        message.setExchange(exchange);
        message.put(AbstractHTTPDestination.HTTP_REQUEST, http);
        message.put(AbstractHTTPDestination.HTTP_RESPONSE, response);
        message.setContent(InputStream.class, new ByteArrayInputStream(r.body));
        message.setInterceptorChain(new PhaseInterceptorChain(new PhaseManagerImpl().getInPhases()));
        lane.handleMessage(message);
        return new Outcome(message, status[0], headers, written.toByteArray());
    }

    /** A servlet request as CXF's filter sees it later in the same request: only its attributes. */
    static HttpServletRequest holding(Map<String, Object> attributes) {
        return (HttpServletRequest) Proxy.newProxyInstance(
                DirectLaneTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class},
                (p, m, a) -> "getAttribute".equals(m.getName()) ? attributes.get((String) a[0]) : null);
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theCommonCaseIsAnsweredByTheLaneAsTheCallerWithCxfsHeadersAndTheChainEnds() {
        Outcome o = run(new Request());
        assertTrue(o.served());
        assertEquals(201, o.status());
        assertEquals("{\"id\":\"7\",\"名\":\"李雷\"}", new String(o.written(), StandardCharsets.UTF_8));
        assertEquals(Integer.toString(o.written().length), o.headers().get("Content-Length"));
        assertEquals("application/json", o.headers().get("Content-Type"));
        assertEquals("nosniff", o.headers().get("X-Content-Type-Options"));
        assertEquals("DENY", o.headers().get("X-Frame-Options"));
        assertEquals("no-referrer", o.headers().get("Referrer-Policy"));
        assertEquals("no-store", o.headers().get("Cache-Control"));
        assertNotNull(o.headers().get("Date"));
        assertEquals(List.of(BODY), things.bodies);
        assertEquals(List.of(new Actor.Who("clerk", "127.0.0.1")), things.actors);
        assertEquals("system", Actor.current().name()); // the caller's scope is closed again
        // a charset UTF-8 is JSON too
        Request utf8 = new Request();
        utf8.contentType = "application/json; charset=UTF-8";
        assertTrue(run(utf8).served());
    }

    @Test
    void aDeclineOrAnExceptionHandsTheRequestOnWithItsWholeBodyAndNothingWritten() throws IOException {
        for (String body : List.of("{\"decline\":\"李雷\"}", "{\"throw\":\"李雷\"}")) {
            Outcome o = run(new Request().body(body));
            assertFalse(o.served(), body);
            assertEquals(0, o.status());
            assertEquals(0, o.written().length);
            assertTrue(o.headers().isEmpty());
            assertEquals(body, o.bodyLeft());
        }
        assertEquals(2, things.bodies.size());
        assertEquals("system", Actor.current().name());
    }

    @Test
    void whatTheLaneMayNotServeGoesToCxfUnlookedAtOrWithItsBodyAsItCame() throws IOException {
        List<Request> cases = new ArrayList<>();
        for (String auth : new String[] {
            basic("clerk", "wrong"),
            basic("stranger", "right"),
            basic("reader", "right"), // not permitted: CXF audits the denial and answers 403
            basic("changer", "right"), // a password change pending: 403 from CXF
            null,
            "Bearer abc",
            "Basic ???",
            basic("", "right")
        }) {
            Request r = new Request();
            r.authorization = auth;
            cases.add(r);
        }
        Request get = new Request();
        get.method = "GET";
        Request other = new Request();
        other.uri = PATH + "/7";
        Request csv = new Request();
        csv.contentType = "text/csv";
        Request gbk = new Request();
        gbk.contentType = "application/json; charset=GBK"; // CXF decodes it
        Request noType = new Request();
        noType.contentType = null;
        Request chunked = new Request();
        chunked.length = -1;
        Request large = new Request().body("{\"n\":\"" + "x".repeat(100) + "\"}"); // over the lane's 100 bytes
        Request gzip = new Request();
        gzip.encoding = "gzip";
        cases.addAll(List.of(get, other, csv, gbk, noType, chunked, large, gzip));
        for (Request r : cases) {
            Outcome o = run(r);
            assertFalse(o.served());
            assertEquals(0, o.status());
            assertArrayEquals(r.body, o.bodyLeft().getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(things.bodies.isEmpty());
        assertEquals(4, logins.get()); // only the four well-formed Basic headers were checked
        // and what was found is left in the request for CXF's authentication, which does not hash the password again
        for (int i = 0; i < 4; i++) {
            Request r = cases.get(i);
            AuthenticationFilter.Checked checked =
                    (AuthenticationFilter.Checked) r.attributes.get(AuthenticationFilter.CHECKED);
            assertEquals(r.authorization, checked.authorization());
            assertEquals(i >= 2, checked.account().isPresent(), r.authorization);
            assertEquals(
                    checked.account(),
                    new AuthenticationFilter(accounts, null, throttle).basic(holding(r.attributes), r.authorization));
        }
        assertEquals(4, logins.get());
        // a header other than the one checked is checked itself
        assertTrue(new AuthenticationFilter(accounts, null, throttle)
                .basic(holding(cases.get(0).attributes), basic("clerk", "right"))
                .isPresent());
        assertEquals(5, logins.get());
    }

    @Test
    void aThrottledAddressIsNotAuthenticatedByTheLane() throws IOException {
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            throttle.failed("127.0.0.1");
        }
        Outcome o = run(new Request());
        assertFalse(o.served()); // CXF answers 429
        assertEquals(0, logins.get());
        assertEquals(BODY, o.bodyLeft());
    }

    @Test
    void aLaneNeedsALiteralPathAPermissionAndAPathNotTaken() {
        for (String path : new String[] {"/things/{id}", "/../things", "things", "/things/", "/th%20ings", null}) {
            Things t = new Things() {
                @Override
                public String path() {
                    return path;
                }
            };
            assertFalse(lane.add(null, t), String.valueOf(path));
        }
        Things noPermission = new Things() {
            @Override
            public String permission() {
                return null;
            }
        };
        assertFalse(lane.add(null, noPermission));
        Things second = new Things();
        assertFalse(lane.add(null, second)); // /things is taken
        lane.removeOperation(things);
        assertFalse(run(new Request()).served());
        assertTrue(lane.add(null, second));
        assertTrue(run(new Request()).served());
        assertEquals(1, second.bodies.size());
    }

    @Test
    void anAnswerIsSuccessOnly() {
        assertThrows(IllegalArgumentException.class, () -> new DirectOperation.Answer(422, "{}"));
        assertThrows(NullPointerException.class, () -> new DirectOperation.Answer(201, null));
    }
}
