package org.edufed.kernel.web.internal.rest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.apache.cxf.interceptor.Fault;
import org.apache.cxf.message.Message;
import org.apache.cxf.phase.AbstractPhaseInterceptor;
import org.apache.cxf.phase.Phase;
import org.apache.cxf.transport.http.AbstractHTTPDestination;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.plugin.PluginGuard;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.web.DirectOperation;
import org.edufed.kernel.web.internal.LoginThrottle;
import org.edufed.kernel.web.internal.PluginContributions;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fast lane of the REST API: the first interceptor of the CXF endpoint (phase {@code RECEIVE}, before any JAX-RS
 * work: matching, filters, providers, the answer's interceptor chain) serves each {@link DirectOperation}'s {@code
 * POST} in its common case, writing the answer itself and ending the chain; every other request — and every one the
 * lane declines, its body given back as it came — goes on through CXF, which answers it as if the lane were not
 * there (its errors, its audit, its throttle).
 *
 * <p>What the lane checks before offering a request is what {@link AuthenticationFilter} and {@link AuthFilter}
 * check before CXF calls a method, in the same order: the address not throttled, Basic credentials of an account
 * (a wrong password is not counted here: CXF counts it when it refuses the request handed on, taking the lane's
 * check of the credentials rather than hashing the password again), no password change
 * pending, the operation's permission over the node. Its answers carry the headers CXF's do (the security headers,
 * {@code Date}, {@code Cache-Control: no-store}) and a stated length.
 */
@Component(service = DirectLane.class)
public final class DirectLane extends AbstractPhaseInterceptor<Message> {

    private static final Logger LOG = LoggerFactory.getLogger(DirectLane.class);

    /** Where the REST API is (the CXF servlet at {@code /api}, its endpoint at {@link RestServer#ADDRESS}). */
    static final String PREFIX = "/api" + RestServer.ADDRESS;

    /** A lane's path: literal segments of URL-safe characters, no templates, dots or encodings. */
    private static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9_-]+)+");

    private final AccountService accounts;
    private final LoginThrottle throttle;
    private final PluginGuard guard;
    private final Map<String, DirectOperation> lanes = new ConcurrentHashMap<>();

    @Activate
    public DirectLane(
            @Reference AccountService accounts, @Reference LoginThrottle throttle, @Reference PluginGuard guard) {
        super(Phase.RECEIVE);
        this.accounts = accounts;
        this.throttle = throttle;
        this.guard = guard;
    }

    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addOperation(ServiceReference<DirectOperation> ref, DirectOperation operation) {
        add(ref, operation);
    }

    void removeOperation(DirectOperation operation) {
        if (lanes.values().remove(operation)) {
            LOG.info("fast lane removed: {}", operation.getClass().getName());
        }
    }

    /** Takes a lane (a plugin's only with its permission among its declared ones); false when refused. */
    boolean add(ServiceReference<DirectOperation> ref, DirectOperation operation) {
        String what = operation.getClass().getName();
        String path = operation.path();
        if (path == null || !PATH.matcher(path).matches() || operation.permission() == null) {
            LOG.warn("not published: {}: its path ({}) or permission is not one a lane may have", what, path);
            return false;
        }
        if (!PluginContributions.admitted(guard, ref, what, Set.of(operation.permission()), LOG)) {
            return false;
        }
        DirectOperation earlier = lanes.putIfAbsent(PREFIX + path, operation);
        if (earlier != null) {
            LOG.warn(
                    "not published: {}: the lane of POST {} is {}'s",
                    what,
                    path,
                    earlier.getClass().getName());
            return false;
        }
        LOG.info("fast lane: POST {}{} ({})", PREFIX, path, what);
        return true;
    }

    @Override
    public void handleMessage(Message message) {
        if (lanes.isEmpty()
                || !(message.get(AbstractHTTPDestination.HTTP_REQUEST) instanceof HttpServletRequest http)
                || !(message.get(AbstractHTTPDestination.HTTP_RESPONSE) instanceof HttpServletResponse answer)) {
            return;
        }
        DirectOperation lane = "POST".equals(http.getMethod()) ? lanes.get(http.getRequestURI()) : null;
        if (lane == null) {
            return; // every other request: one map lookup at most
        }
        long length = http.getContentLengthLong();
        InputStream in = message.getContent(InputStream.class);
        if (in == null
                || length < 0
                || length > lane.maxBody()
                || !isJson(http.getContentType())
                || http.getHeader("Content-Encoding") != null) {
            return;
        }
        String authorization = http.getHeader("Authorization");
        String[] credentials = AuthenticationFilter.credentials(authorization);
        String address = http.getRemoteAddr();
        if (credentials == null || throttle.blockedFor(address) > 0) {
            return;
        }
        Optional<Account> account = accounts.authenticate(credentials[0], credentials[1].toCharArray());
        // handed on, the request is not checked twice (a wrong password is hashed once)
        http.setAttribute(AuthenticationFilter.CHECKED, new AuthenticationFilter.Checked(authorization, account));
        if (account.isEmpty()
                || account.get().mustChangePassword()
                || !accounts.isPermitted(account.get().username(), lane.permission())) {
            return; // the body unread: CXF refuses the request (401 or 403, audited) without reading it either
        }
        byte[] body;
        try {
            body = in.readNBytes((int) length);
        } catch (IOException e) {
            throw new Fault(e); // the client went away: nothing to answer
        }
        Optional<DirectOperation.Answer> served =
                serve(lane, body, account.get().username(), address);
        if (served.isEmpty()) {
            message.setContent(InputStream.class, new ByteArrayInputStream(body));
            return;
        }
        byte[] json = served.get().json().getBytes(StandardCharsets.UTF_8);
        answer.setStatus(served.get().status());
        answer.setHeader("Date", HttpDate.now());
        AuthFilter.SECURITY_HEADERS.forEach(answer::setHeader);
        answer.setHeader("Cache-Control", "no-store");
        answer.setContentType("application/json");
        answer.setContentLength(json.length);
        message.getInterceptorChain().abort();
        try {
            answer.getOutputStream().write(json);
        } catch (IOException e) {
            LOG.debug("the answer to POST {} was not taken: {}", http.getRequestURI(), e.toString());
        }
    }

    /** The lane's answer, or empty when it declined (an exception is a decline: CXF will report the error). */
    private static Optional<DirectOperation.Answer> serve(
            DirectOperation lane, byte[] body, String user, String address) {
        try (Actor.Scope ignored = Actor.as(user, address)) {
            Optional<DirectOperation.Answer> answer = lane.post(body);
            return answer == null ? Optional.empty() : answer;
        } catch (Exception e) {
            LOG.debug("{} declined a request with {}", lane.getClass().getName(), e.toString());
            return Optional.empty();
        }
    }

    /** {@code application/json}, with no parameter or a UTF-8 charset (any other goes to CXF, which decodes it). */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String t = contentType.toLowerCase(Locale.ROOT).replace(" ", "");
        return t.equals("application/json")
                || t.equals("application/json;charset=utf-8")
                || t.equals("application/json;charset=\"utf-8\"");
    }
}
