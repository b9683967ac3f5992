package org.edufed.kernel.web.internal.rest;

import java.lang.reflect.Method;
import java.security.Principal;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.annotation.Priority;
import javax.ws.rs.Priorities;
import javax.ws.rs.container.ContainerRequestContext;
import javax.ws.rs.container.ContainerRequestFilter;
import javax.ws.rs.container.ContainerResponseContext;
import javax.ws.rs.container.ContainerResponseFilter;
import javax.ws.rs.container.ResourceInfo;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.SecurityContext;
import javax.ws.rs.core.UriInfo;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.web.PublicEndpoint;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.web.internal.Messages;

/**
 * Permission checks for every REST method after CXF matched it, default-deny: a method is public only when
 * marked {@link PublicEndpoint}; otherwise it needs the user {@link AuthenticationFilter} authenticated before
 * matching, and the permission of its {@link RequiresPermission} when it has one. A user holding a one-time
 * password may only reach methods marked {@link AllowedBeforePasswordChange}. Also adds the security headers
 * to every answer.
 */
@Priority(Priorities.AUTHORIZATION)
public final class AuthFilter implements ContainerRequestFilter, ContainerResponseFilter {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AuthFilter.class);

    /** The security headers of every answer: no sniffing of content types, no framing, no referrer. */
    static final java.util.Map<String, String> SECURITY_HEADERS = java.util.Map.of(
            "X-Content-Type-Options", "nosniff", "X-Frame-Options", "DENY", "Referrer-Policy", "no-referrer");

    private final AccountService accounts;
    private final AuditLog audit;
    private final AuthenticationFilter authentication;

    @Context
    private ResourceInfo resourceInfo;

    public AuthFilter(AccountService accounts, AuditLog audit, AuthenticationFilter authentication) {
        this.accounts = accounts;
        this.audit = audit;
        this.authentication = authentication;
    }

    /**
     * Clears the request's actor (see {@link AuthenticationFilter}) and adds the security headers: no sniffing of
     * content types, no framing, no referrer, and nothing of an answer kept in caches.
     */
    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        if (request.getProperty(AuthenticationFilter.ACTOR) instanceof Actor.Scope scope) {
            scope.close();
        }
        javax.ws.rs.core.MultivaluedMap<String, Object> h = response.getHeaders();
        SECURITY_HEADERS.forEach(h::putSingle);
        if (!h.containsKey(HttpHeaders.CACHE_CONTROL)) {
            h.putSingle(HttpHeaders.CACHE_CONTROL, "no-store");
        }
    }

    @Override
    public void filter(ContainerRequestContext request) {
        Method method = resourceInfo.getResourceMethod();
        Class<?> type = resourceInfo.getResourceClass();
        if (method == null || AuthenticationFilter.isPublic(method, type)) {
            return; // unmatched requests end in a 404 problem; public ones need nobody
        }
        LOG.debug("{} {} → {}", request.getMethod(), type.getName(), method.getName());
        // normally found before matching; here again only if that saw another operation than CXF matched
        Optional<Account> account = authentication.authenticate(request);
        if (account.isEmpty()) {
            return; // aborted with 401 or 429
        }
        Account user = account.get();
        if (user.mustChangePassword() && !annotated(method, type, AllowedBeforePasswordChange.class)) {
            abort(request, 403, "password-change-required");
            return;
        }
        RequiresPermission required = method.getAnnotation(RequiresPermission.class);
        if (required == null) {
            required = type.getAnnotation(RequiresPermission.class);
        }
        String permission = required == null ? null : permission(required.value(), request.getUriInfo());
        if (required != null && (permission == null || !permitted(user.username(), permission, required, request))) {
            audit.record(AuditLog.Event.of(
                    "access", request.getMethod() + " " + path(request), AuditLog.Result.DENIED, permission));
            abort(request, 403, "forbidden");
            return;
        }
        boolean secure = request.getSecurityContext().isSecure();
        request.setSecurityContext(new UserContext(user, secure));
    }

    /** The permission over the unit the annotation names: the whole node, a parameter's unit, or any. */
    private boolean permitted(
            String username, String permission, RequiresPermission required, ContainerRequestContext request) {
        String unit = required.unit();
        if (unit.isEmpty()) {
            return accounts.isPermitted(username, permission);
        }
        if (RequiresPermission.ANY_UNIT.equals(unit)) {
            return !accounts.scope(username, permission).isEmpty();
        }
        Matcher m = PLACEHOLDER.matcher(unit);
        if (!m.matches()) {
            LOG.error("{} names no unit parameter: unit = {}", resourceInfo.getResourceMethod(), unit);
            return false;
        }
        UriInfo uri = request.getUriInfo();
        String code = uri.getPathParameters().getFirst(m.group(1));
        if (code == null) {
            code = uri.getQueryParameters().getFirst(m.group(1));
        }
        return code == null
                ? accounts.isPermitted(username, permission) // no unit named: the whole node's data
                : accounts.isPermitted(username, permission, code);
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z][A-Za-z0-9]*)}");
    private static final Pattern SAFE_PART = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    /**
     * The permission with its {@code {name}} parts replaced by the request's path parameters; {@code null} when
     * a parameter is missing or holds characters that could change the permission's meaning ({@code : , *}).
     */
    static String permission(String template, UriInfo uri) {
        if (template.indexOf('{') < 0) {
            return template;
        }
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = uri.getPathParameters().getFirst(m.group(1));
            if (value == null || !SAFE_PART.matcher(value).matches()) {
                return null;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static boolean annotated(Method m, Class<?> type, Class<? extends java.lang.annotation.Annotation> a) {
        return m.isAnnotationPresent(a) || type.isAnnotationPresent(a);
    }

    /** Refuses the request with a problem in the caller's language (looked up only here: most requests pass). */
    private static void abort(ContainerRequestContext request, int status, String type) {
        Locale locale = Messages.fromAcceptLanguage(request.getAcceptableLanguages());
        request.abortWith(ProblemMapper.response(
                Problem.of(type, status, Messages.get(locale, "problem." + type), path(request))));
    }

    private static String path(ContainerRequestContext request) {
        return request.getUriInfo().getRequestUri().getRawPath();
    }

    /** The authenticated account, as resources see it through {@code @Context SecurityContext}. */
    record UserContext(Account account, boolean secure) implements SecurityContext {
        @Override
        public Principal getUserPrincipal() {
            return account::username;
        }

        @Override
        public boolean isUserInRole(String role) {
            return account.roles().contains(role);
        }

        @Override
        public boolean isSecure() {
            return secure;
        }

        @Override
        public String getAuthenticationScheme() {
            return BASIC_AUTH;
        }
    }
}
