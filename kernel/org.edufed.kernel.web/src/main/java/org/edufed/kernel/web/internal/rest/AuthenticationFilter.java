package org.edufed.kernel.web.internal.rest;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.annotation.Priority;
import javax.servlet.http.HttpServletRequest;
import javax.ws.rs.HttpMethod;
import javax.ws.rs.Priorities;
import javax.ws.rs.container.ContainerRequestContext;
import javax.ws.rs.container.ContainerRequestFilter;
import javax.ws.rs.container.PreMatching;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.MultivaluedMap;
import javax.ws.rs.core.Response;
import org.apache.cxf.jaxrs.impl.MetadataMap;
import org.apache.cxf.jaxrs.model.ClassResourceInfo;
import org.apache.cxf.jaxrs.model.OperationResourceInfo;
import org.apache.cxf.jaxrs.model.URITemplate;
import org.apache.cxf.jaxrs.utils.HttpUtils;
import org.apache.cxf.jaxrs.utils.JAXRSUtils;
import org.apache.cxf.message.Message;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.web.PublicEndpoint;
import org.edufed.kernel.web.internal.LoginThrottle;
import org.edufed.kernel.web.internal.Messages;

/**
 * Authentication of every REST request <em>before</em> CXF matches it to a method, so that an anonymous
 * caller learns nothing from the matching: a request with no (or wrong) credentials to an operation that is
 * not public gets 401 whatever its {@code Content-Type} or {@code Accept} (CXF checks {@code @Consumes} and
 * {@code @Produces} while matching, which would otherwise answer 415 or 406 first).
 *
 * <p>Which operation a request is for is decided here by path and HTTP method only, on CXF's own model of the
 * endpoint (the media types are left out on purpose); a request for no operation goes on anonymously and ends in
 * the 404 or 405 problem. Public operations ({@link PublicEndpoint}, the API documentation) need nobody and their
 * credentials are not looked at. The account found is left in the request for {@link AuthFilter}, which checks
 * the permission of the matched method after matching.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
public final class AuthenticationFilter implements ContainerRequestFilter {

    static final String CHALLENGE = "Basic realm=\"EduFed\", charset=\"UTF-8\"";
    /** Request property: the authenticated {@link Account}. */
    static final String ACCOUNT = "edufed.account";
    /** Request property: the {@link Actor.Scope} of the request, closed by {@link AuthFilter} in the response. */
    static final String ACTOR = "edufed.actor";
    /**
     * Servlet request attribute: the outcome of an earlier check of this request's credentials ({@link Checked}, the
     * fast lane's), so that a request it hands on has its password hashed once, not twice — a wrong password most
     * of all, which the account service cannot answer from its cache.
     */
    static final String CHECKED = AuthenticationFilter.class.getName() + ".checked";

    /** The account an {@code Authorization} header was found to be, or empty when it was refused. */
    record Checked(String authorization, Optional<Account> account) {}

    private final AccountService accounts;
    private final AuditLog audit;
    private final LoginThrottle throttle;

    @Context
    private HttpServletRequest http;

    public AuthenticationFilter(AccountService accounts, AuditLog audit, LoginThrottle throttle) {
        this.accounts = accounts;
        this.audit = audit;
        this.throttle = throttle;
    }

    /**
     * The operations requests went to, by HTTP method and path, for the endpoint's resources as they were when
     * looked up (a rebuilt endpoint has a list of its own): walking every resource's templates for each request was
     * 2 % of a school's CPU while its students registered. At most {@link #TARGETS_KEPT} paths are kept; when more
     * come (paths with ids in them), the map starts again, and the paths asked for often come back into it at once.
     */
    private volatile Targets targets = new Targets(List.of());

    static final int TARGETS_KEPT = 1024;

    /** The longest path kept (longer ones are looked up each time): at most 1,024 × 256 characters are held. */
    static final int TARGET_PATH_KEPT = 256;

    private record Targets(
            List<ClassResourceInfo> resources, ConcurrentHashMap<String, Optional<OperationResourceInfo>> byPath) {
        Targets(List<ClassResourceInfo> resources) {
            this(resources, new ConcurrentHashMap<>());
        }
    }

    @Override
    public void filter(ContainerRequestContext request) {
        if (!needsUser(request)) {
            actAs(request, "anonymous");
            return;
        }
        authenticate(request);
    }

    /**
     * Authenticates the request's credentials: the account, or empty with the request aborted (401, or 429 when
     * this address guessed too often). Failures are audited and counted against the address.
     */
    Optional<Account> authenticate(ContainerRequestContext request) {
        if (request.getProperty(ACCOUNT) instanceof Account known) {
            return Optional.of(known);
        }
        String authorization = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        long blocked = authorization == null ? 0 : throttle.blockedFor(address());
        if (blocked > 0) {
            request.abortWith(Response.fromResponse(ProblemMapper.response(Problem.of(
                            "too-many-requests",
                            429,
                            Messages.get(locale(request), "problem.too-many-logins", blocked),
                            path(request))))
                    .header("Retry-After", Long.toString(blocked))
                    .build());
            return Optional.empty();
        }
        Optional<Account> account = basic(authorization);
        if (account.isEmpty()) {
            if (authorization != null) {
                throttle.failed(address());
                audit.record(new AuditLog.Event(
                        claimedUser(authorization),
                        address(),
                        "login.api",
                        path(request),
                        AuditLog.Result.FAILURE,
                        null));
            }
            request.abortWith(Response.fromResponse(ProblemMapper.response(Problem.of(
                            "unauthorized", 401, Messages.get(locale(request), "problem.unauthorized"), path(request))))
                    .header(HttpHeaders.WWW_AUTHENTICATE, CHALLENGE)
                    .build());
            return Optional.empty();
        }
        request.setProperty(ACCOUNT, account.get());
        actAs(request, account.get().username());
        return account;
    }

    /** The language of the request's problem messages (looked up only for a refusal). */
    private static Locale locale(ContainerRequestContext request) {
        return Messages.fromAcceptLanguage(request.getAcceptableLanguages());
    }

    void actAs(ContainerRequestContext request, String name) {
        if (request.getProperty(ACTOR) instanceof Actor.Scope previous) {
            previous.close();
        }
        request.setProperty(ACTOR, Actor.as(name, address()));
    }

    /**
     * Whether the request is for an operation that needs a user: the most specific operation of the endpoint whose
     * path and HTTP method fit, media types left out, is neither {@link PublicEndpoint} nor API documentation.
     */
    private boolean needsUser(ContainerRequestContext request) {
        Message message = JAXRSUtils.getCurrentMessage();
        if (message == null
                || message.getExchange() == null
                || message.getExchange().getService() == null) {
            return true; // no model to look at: fail closed
        }
        String path = HttpUtils.getPathToMatch(message, true);
        Optional<OperationResourceInfo> target =
                cachedTarget(JAXRSUtils.getRootResources(message), path, request.getMethod());
        target.ifPresent(t -> message.getExchange()
                .put(
                        CONSUMES,
                        String.join(
                                ", ",
                                t.getConsumeTypes().stream()
                                        .map(MediaType::toString)
                                        .toList())));
        return target.isPresent() && !isPublic(target.get());
    }

    /** Exchange property: the media types the operation a request is for takes, for a 415 problem to name. */
    private static final String CONSUMES = "edufed.consumes";

    /** The media types the current request's operation takes ({@code application/json} when not known). */
    static String consumes() {
        Message message = JAXRSUtils.getCurrentMessage();
        Object types = message == null || message.getExchange() == null
                ? null
                : message.getExchange().get(CONSUMES);
        return types instanceof String s && !s.isEmpty() && !s.equals("*/*") ? s : MediaType.APPLICATION_JSON;
    }

    /** {@link #target}, looked up once for each method and path of the same resources. */
    Optional<OperationResourceInfo> cachedTarget(List<ClassResourceInfo> resources, String path, String httpMethod) {
        Targets known = targets;
        if (known.resources() != resources || known.byPath().size() >= TARGETS_KEPT) {
            known = new Targets(resources);
            targets = known;
        }
        if (path.length() > TARGET_PATH_KEPT) {
            return target(resources, path, httpMethod); // not kept: a few long paths could fill the heap
        }
        String key = httpMethod + ' ' + path;
        Optional<OperationResourceInfo> found = known.byPath().get(key);
        if (found == null) {
            found = target(resources, path, httpMethod);
            known.byPath().put(key, found);
        }
        return found;
    }

    /** The operation a request for {@code path} with {@code httpMethod} goes to, whatever its media types. */
    static Optional<OperationResourceInfo> target(List<ClassResourceInfo> resources, String path, String httpMethod) {
        record Candidate(ClassResourceInfo resource, OperationResourceInfo operation) {}
        List<Candidate> candidates = new ArrayList<>();
        for (ClassResourceInfo cri : resources) {
            MultivaluedMap<String, String> values = new MetadataMap<>();
            if (cri.getURITemplate() == null || !cri.getURITemplate().match(path, values)) {
                continue;
            }
            String rest = values.getFirst(URITemplate.FINAL_MATCH_GROUP);
            rest = rest == null ? "/" : rest;
            for (OperationResourceInfo ori : cri.getMethodDispatcher().getOperationResourceInfos()) {
                MultivaluedMap<String, String> map = new MetadataMap<>(values);
                if (ori.getURITemplate() == null || !ori.getURITemplate().match(rest, map)) {
                    continue;
                }
                String finalGroup = map.getFirst(URITemplate.FINAL_MATCH_GROUP);
                boolean finalPath = finalGroup == null || finalGroup.isEmpty() || "/".equals(finalGroup);
                if (ori.isSubResourceLocator() || (finalPath && methodFits(ori.getHttpMethod(), httpMethod))) {
                    candidates.add(new Candidate(cri, ori));
                }
            }
        }
        return candidates.stream()
                .min(Comparator.<Candidate, URITemplate>comparing(
                                c -> c.resource().getURITemplate(), URITemplate::compareTemplates)
                        .thenComparing(c -> c.operation().getURITemplate(), URITemplate::compareTemplates)
                        .thenComparing(c -> c.operation().isSubResourceLocator()))
                .map(Candidate::operation);
    }

    private static boolean methodFits(String declared, String requested) {
        return declared != null
                && (declared.equalsIgnoreCase(requested)
                        || (HttpMethod.HEAD.equalsIgnoreCase(requested) && HttpMethod.GET.equals(declared)));
    }

    static boolean isPublic(OperationResourceInfo ori) {
        Class<?> type = ori.getClassResourceInfo().getServiceClass();
        return isPublic(ori.getMethodToInvoke(), type) || isPublic(ori.getAnnotatedMethod(), type);
    }

    static boolean isPublic(Method method, Class<?> type) {
        return method != null
                && (method.isAnnotationPresent(PublicEndpoint.class)
                        || type.isAnnotationPresent(PublicEndpoint.class)
                        || isApiDocumentation(type));
    }

    /** The OpenAPI document and Swagger UI are public: they describe the API, they hold no data. */
    static boolean isApiDocumentation(Class<?> type) {
        String name = type.getName();
        return name.startsWith("org.apache.cxf.jaxrs.openapi.")
                || name.startsWith("org.apache.cxf.jaxrs.swagger.")
                || name.startsWith("io.swagger.v3.jaxrs2.integration.resources.");
    }

    private String address() {
        try {
            return http == null ? null : http.getRemoteAddr();
        } catch (RuntimeException e) {
            return null; // outside a servlet request (tests)
        }
    }

    /** The user name a Basic header claims (for the audit of a failed login), or {@code ?}. */
    private static String claimedUser(String header) {
        try {
            String decoded =
                    new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon > 0 ? decoded.substring(0, Math.min(colon, 64)) : "?";
        } catch (RuntimeException e) {
            return "?";
        }
    }

    private Optional<Account> basic(String header) {
        return basic(http, header);
    }

    /** The account of a Basic header: the outcome the request already holds for that header, or checked now. */
    Optional<Account> basic(HttpServletRequest request, String header) {
        if (header != null && checked(request) instanceof Checked c && header.equals(c.authorization())) {
            return c.account();
        }
        String[] c = credentials(header);
        return c == null ? Optional.empty() : accounts.authenticate(c[0], c[1].toCharArray());
    }

    private static Object checked(HttpServletRequest request) {
        try {
            return request == null ? null : request.getAttribute(CHECKED);
        } catch (RuntimeException e) {
            return null; // outside a servlet request (tests)
        }
    }

    /** User and password of a Basic {@code Authorization} header, or {@code null} when it holds none. */
    static String[] credentials(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon <= 0 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    static String path(ContainerRequestContext request) {
        return request.getUriInfo().getRequestUri().getRawPath();
    }
}
