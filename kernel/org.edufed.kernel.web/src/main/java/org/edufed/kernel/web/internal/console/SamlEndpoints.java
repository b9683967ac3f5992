package org.edufed.kernel.web.internal.console;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import javax.servlet.http.HttpSession;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.web.internal.Messages;
import org.edufed.kernel.web.internal.saml.IdentityProvider;
import org.edufed.kernel.web.internal.saml.Logout;
import org.edufed.kernel.web.internal.saml.Metadata;
import org.edufed.kernel.web.internal.saml.SamlException;
import org.edufed.kernel.web.internal.saml.ServiceProvider;
import org.edufed.kernel.web.internal.saml.SingleSignOn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SAML endpoints under {@code /saml}, served by the console's servlet because they share its session:
 * <ul>
 *   <li>{@code GET /saml/idp/metadata}, {@code GET /saml/sp/metadata}: the metadata (public);
 *   <li>{@code GET /saml/idp/sso}: an AuthnRequest (HTTP-Redirect); answered with a signed Response through an
 *       auto-submitted form (HTTP-POST) when the browser's console session is logged in, after the console's
 *       login otherwise;
 *   <li>{@code GET /saml/sp/login?return=/console/…}: sends the browser to the trusted IdP;
 *   <li>{@code POST /saml/sp/acs}: the Response; a verified one opens a console session for the account it
 *       names, with the roles it releases for this node.
 * </ul>
 * Every refusal is audited with its reason; the browser sees the reason in its language, the log the detail.
 */
final class SamlEndpoints {

    private static final Logger LOG = LoggerFactory.getLogger(SamlEndpoints.class);
    static final String PENDING_IDP = "edufed.saml.pending";
    static final String SENT_REQUESTS = "edufed.saml.sent";
    static final String SSO_SESSION = "edufed.saml.session";
    static final String PARTICIPANTS = "edufed.saml.participants";
    static final String SESSION_INDEX = "edufed.saml.index";
    static final String CHAIN = "edufed.saml.logout";

    /** At an SP: the IdP session this console session came from. */
    record SpSession(String issuer, String nameId, String sessionIndex) implements java.io.Serializable {}

    /** At the IdP: an SP this browser signed on to. */
    record Participant(String nameId, String sessionIndex) implements java.io.Serializable {}

    /** At the IdP: a single logout going round the SPs of the session, one redirect each. */
    static final class Chain implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        final java.util.ArrayDeque<String> remaining;
        final String requester;
        final String requesterId;
        final Map<String, Participant> participants;
        String pending;

        Chain(
                java.util.Collection<String> remaining,
                String requester,
                String requesterId,
                Map<String, Participant> participants) {
            this.remaining = new java.util.ArrayDeque<>(remaining);
            this.requester = requester;
            this.requesterId = requesterId;
            this.participants = participants;
        }
    }

    private static final int MAX_SENT = 8;

    private final ConsoleServlet console;
    private final SingleSignOn sso;
    private final AccountService accounts;
    private final AuditLog audit;

    SamlEndpoints(ConsoleServlet console, SingleSignOn sso, AccountService accounts, AuditLog audit) {
        this.console = console;
        this.sso = sso;
        this.accounts = accounts;
        this.audit = audit;
    }

    void handle(HttpServletRequest req, HttpServletResponse resp, Locale locale) throws IOException {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        String method = req.getMethod();
        switch (method + " " + path) {
            case "GET /idp/metadata" -> {
                String xml = sso.idpMetadata();
                if (xml == null) {
                    resp.sendError(404);
                } else {
                    xml(resp, xml);
                }
            }
            case "GET /sp/metadata" -> xml(resp, sso.spMetadata());
            case "GET /autopost.js" -> {
                resp.setContentType("application/javascript;charset=UTF-8");
                resp.setHeader("Cache-Control", "max-age=3600");
                resp.setHeader("X-Content-Type-Options", "nosniff");
                resp.getWriter().write("document.getElementById('saml-post').submit();\n");
            }
            case "GET /idp/sso", "POST /idp/sso" -> idpRequest(req, resp, locale);
            case "GET /idp/continue" -> idpContinue(req, resp, locale);
            case "GET /sp/login" -> spLogin(req, resp, locale);
            case "POST /sp/acs" -> spAcs(req, resp, locale);
            case "GET /idp/slo" -> idpSlo(req, resp, locale);
            case "GET /sp/slo" -> spSlo(req, resp, locale);
            default -> resp.sendError(path.startsWith("/idp/") || path.startsWith("/sp/") ? 405 : 404);
        }
    }

    /** Where the console's login page offers single sign-on, or {@code null} when this node has no IdP to use. */
    String loginLink() {
        return sso.trustedIdp().isPresent() ? "/saml/sp/login" : null;
    }

    static final String PASSIVE_TRIED = "edufed.saml.passive";

    /**
     * Where to send a browser that opens the console without a session: once per session, to the trusted IdP
     * with a passive request (a user logged in at the province lands logged in, anyone else on the login page);
     * {@code null} when there is no IdP, it does not answer from here, or it was tried already.
     */
    String passiveLogin(HttpSession session, String back) {
        if (session.getAttribute(PASSIVE_TRIED) != null) {
            return null;
        }
        Optional<Metadata.Idp> idp = sso.trustedIdp();
        if (idp.isEmpty() || !sso.idpReachable(idp.get())) {
            return null;
        }
        session.setAttribute(PASSIVE_TRIED, Boolean.TRUE);
        return "/saml/sp/login?passive&return="
                + java.net.URLEncoder.encode(localPath(back), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** After a console login: the IdP request that waited for it, if any. */
    boolean resumesIdpRequest(HttpSession session) {
        return session.getAttribute(PENDING_IDP) != null;
    }

    // --- IdP -------------------------------------------------------------------------------------------

    private void idpRequest(HttpServletRequest req, HttpServletResponse resp, Locale locale) throws IOException {
        Optional<IdentityProvider> idp = sso.identityProvider();
        if (idp.isEmpty()) {
            resp.sendError(404);
            return;
        }
        IdentityProvider.Request request;
        try {
            java.util.function.Function<String, Metadata.Sp> findSp = sso::registeredSp;
            request = "POST".equals(req.getMethod())
                    ? idp.get()
                            .readPost(
                                    req.getParameter("SAMLRequest"),
                                    req.getParameter("RelayState"),
                                    findSp,
                                    Instant.now())
                    : idp.get()
                            .readRedirect(
                                    req.getQueryString(),
                                    req.getParameter("SAMLRequest"),
                                    req.getParameter("RelayState"),
                                    findSp,
                                    Instant.now());
        } catch (SamlException e) {
            refused(req, "sso.request", e);
            refusedPage(req, resp, locale, "sso.login", e);
            return;
        }
        HttpSession session = req.getSession(true);
        Optional<Account> user = console.current(session);
        if (user.isPresent() && !user.get().mustChangePassword()) {
            answer(req, resp, locale, session, idp.get(), request, user.get());
            return;
        }
        if (request.passive()) {
            post(
                    req,
                    resp,
                    locale,
                    request.acs(),
                    "SAMLResponse",
                    idp.get().refuse(request, org.opensaml.saml.saml2.core.StatusCode.NO_PASSIVE, Instant.now()),
                    request.relayState());
            return;
        }
        session.setAttribute(PENDING_IDP, request);
        ConsoleServlet.redirect(resp, "/console/login");
    }

    private void idpContinue(HttpServletRequest req, HttpServletResponse resp, Locale locale) throws IOException {
        HttpSession session = req.getSession(false);
        Object pending = session == null ? null : session.getAttribute(PENDING_IDP);
        Optional<IdentityProvider> idp = sso.identityProvider();
        Optional<Account> user = session == null ? Optional.empty() : console.current(session);
        if (!(pending instanceof IdentityProvider.Request request)
                || idp.isEmpty()
                || user.isEmpty()
                || user.get().mustChangePassword()) {
            ConsoleServlet.redirect(resp, "/console/");
            return;
        }
        session.removeAttribute(PENDING_IDP);
        answer(req, resp, locale, session, idp.get(), request, user.get());
    }

    private void answer(
            HttpServletRequest req,
            HttpServletResponse resp,
            Locale locale,
            HttpSession session,
            IdentityProvider idp,
            IdentityProvider.Request request,
            Account user)
            throws IOException {
        SingleSignOn.RegisteredSp sp = sso.registeredSps().get(request.sp().entityId());
        String node = sp == null ? "" : sp.node();
        Map<String, java.util.List<String>> attributes = sso.attributesFor(user, node);
        String sessionIndex = (String) session.getAttribute(SESSION_INDEX);
        if (sessionIndex == null) {
            sessionIndex = org.edufed.kernel.web.internal.saml.OpenSaml.newId();
            session.setAttribute(SESSION_INDEX, sessionIndex);
        }
        String response = idp.respond(request, sso.nameIdFor(user), attributes, sessionIndex, Instant.now());
        @SuppressWarnings("unchecked")
        Map<String, Participant> seen = (Map<String, Participant>) session.getAttribute(PARTICIPANTS);
        Map<String, Participant> participants = new java.util.LinkedHashMap<>(seen == null ? Map.of() : seen);
        participants.put(request.sp().entityId(), new Participant(sso.nameIdFor(user), sessionIndex));
        session.setAttribute(PARTICIPANTS, participants);
        audit.record(new AuditLog.Event(
                user.username(),
                req.getRemoteAddr(),
                "sso.issue",
                request.sp().entityId(),
                AuditLog.Result.SUCCESS,
                "node " + node + ", roles " + attributes.get(IdentityProvider.ATTR_ROLES)));
        LOG.info(
                "SSO: assertion issued for {} to {}",
                user.username(),
                request.sp().entityId());
        post(req, resp, locale, request.acs(), "SAMLResponse", response, request.relayState());
    }

    // --- SP --------------------------------------------------------------------------------------------

    private void spLogin(HttpServletRequest req, HttpServletResponse resp, Locale locale) throws IOException {
        Optional<Metadata.Idp> idp = sso.trustedIdp();
        if (idp.isEmpty()) {
            console.loginPage(req, resp, locale, 409, Messages.get(locale, "sso.notConfigured"));
            return;
        }
        String back = localPath(req.getParameter("return"));
        ServiceProvider.Outgoing out =
                sso.serviceProvider().authnRequest(idp.get(), back, req.getParameter("passive") != null, Instant.now());
        HttpSession session = req.getSession(true);
        @SuppressWarnings("unchecked")
        Set<String> sent = (Set<String>) session.getAttribute(SENT_REQUESTS);
        Set<String> next = new LinkedHashSet<>(sent == null ? Set.of() : sent);
        next.add(out.requestId());
        while (next.size() > MAX_SENT) {
            next.remove(next.iterator().next());
        }
        session.setAttribute(SENT_REQUESTS, next);
        ConsoleServlet.redirect(resp, out.url());
    }

    private void spAcs(HttpServletRequest req, HttpServletResponse resp, Locale locale) throws IOException {
        HttpSession session = req.getSession(true);
        @SuppressWarnings("unchecked")
        Set<String> sent = (Set<String>) session.getAttribute(SENT_REQUESTS);
        Optional<Metadata.Idp> idp = sso.trustedIdp();
        ServiceProvider.Login login;
        Account account;
        try {
            if (idp.isEmpty()) {
                throw new SamlException("sso.untrustedIssuer", "this node trusts no IdP");
            }
            login = sso.serviceProvider()
                    .consume(
                            req.getParameter("SAMLResponse"), idp.get(), sent == null ? Set.of() : sent, Instant.now());
            account = sso.admit(login);
        } catch (SamlException e) {
            if ("sso.noPassive".equals(e.key())) {
                // the passive try found no session at the IdP: the login page, nothing to audit
                ConsoleServlet.redirect(resp, "/console/login");
                return;
            }
            refused(req, "login", e);
            console.loginPage(
                    req, resp, locale, 401, Messages.get(locale, "sso.failed", Messages.get(locale, e.key())));
            return;
        }
        if (account.locked()) {
            audit.record(new AuditLog.Event(
                    account.username(),
                    req.getRemoteAddr(),
                    "login",
                    "sso",
                    AuditLog.Result.FAILURE,
                    "account locked at this node"));
            console.loginPage(req, resp, locale, 401, Messages.get(locale, "console.login.failed"));
            return;
        }
        session.removeAttribute(SENT_REQUESTS);
        HttpSession fresh = console.establish(req, account);
        fresh.setAttribute(SSO_SESSION, new SpSession(login.issuer(), login.nameId(), login.sessionIndex()));
        audit.record(new AuditLog.Event(
                account.username(),
                req.getRemoteAddr(),
                "login",
                "sso",
                AuditLog.Result.SUCCESS,
                "via " + login.issuer() + ", roles " + account.roles()));
        LOG.info("SSO: {} logged in through {}", account.username(), login.issuer());
        ConsoleServlet.redirect(resp, localPath(req.getParameter("RelayState")));
    }

    // --- single logout ---------------------------------------------------------------------------------

    /**
     * The console's logout, when single sign-on is involved: at an SP, the local session ends and the browser
     * goes to the IdP with a LogoutRequest; at the IdP, the logout goes round the SPs this session signed on
     * to. Returns {@code false} when there is nothing to do beyond ending the local session.
     */
    boolean logout(HttpServletRequest req, HttpServletResponse resp, HttpSession session) throws IOException {
        Object sp = session.getAttribute(SSO_SESSION);
        if (sp instanceof SpSession s) {
            Optional<Metadata.Idp> idp = sso.trustedIdp();
            if (idp.isEmpty()
                    || idp.get().sloRedirect() == null
                    || !idp.get().entityId().equals(s.issuer())) {
                return false;
            }
            session.invalidate();
            Logout.Outgoing out = sso.logoutRequest(false, idp.get().sloRedirect(), s.nameId(), s.sessionIndex());
            ConsoleServlet.redirect(resp, out.url());
            return true;
        }
        @SuppressWarnings("unchecked")
        Map<String, Participant> participants = (Map<String, Participant>) session.getAttribute(PARTICIPANTS);
        if (participants == null
                || participants.isEmpty()
                || sso.identityProvider().isEmpty()) {
            return false;
        }
        session.removeAttribute(ConsoleServlet.USER);
        session.setAttribute(CHAIN, new Chain(participants.keySet(), null, null, participants));
        nextLogout(req, resp, session);
        return true;
    }

    private void idpSlo(HttpServletRequest req, HttpServletResponse resp, Locale locale) throws IOException {
        Optional<IdentityProvider> idp = sso.identityProvider();
        if (idp.isEmpty()) {
            resp.sendError(404);
            return;
        }
        String destination = sso.baseUrl() + Metadata.IDP_SLO;
        java.util.function.Function<String, java.util.List<java.security.cert.X509Certificate>> certs = entity -> {
            Metadata.Sp r = sso.registeredSp(entity);
            return r == null ? null : r.signingCertificates();
        };
        HttpSession session = req.getSession(true);
        try {
            if (req.getParameter("SAMLRequest") != null) {
                Logout.Request request =
                        Logout.readRequest(req.getQueryString(), req.getParameter("SAMLRequest"), destination, certs);
                @SuppressWarnings("unchecked")
                Map<String, Participant> participants = (Map<String, Participant>) session.getAttribute(PARTICIPANTS);
                Map<String, Participant> all = participants == null ? Map.of() : participants;
                Object user = session.getAttribute(ConsoleServlet.USER);
                audit.record(new AuditLog.Event(
                        user == null ? request.nameId() : user.toString(),
                        req.getRemoteAddr(),
                        "logout",
                        "sso",
                        AuditLog.Result.SUCCESS,
                        "requested by " + request.issuer()));
                session.removeAttribute(ConsoleServlet.USER);
                java.util.List<String> others = all.keySet().stream()
                        .filter(e -> !e.equals(request.issuer()))
                        .toList();
                session.setAttribute(CHAIN, new Chain(others, request.issuer(), request.id(), all));
                nextLogout(req, resp, session);
            } else {
                Object c = session.getAttribute(CHAIN);
                Logout.Response answer =
                        Logout.readResponse(req.getQueryString(), req.getParameter("SAMLResponse"), destination, certs);
                if (!(c instanceof Chain chain)
                        || chain.pending == null
                        || !chain.pending.equals(answer.inResponseTo())) {
                    throw new SamlException("sso.inResponseTo", "logout answer to " + answer.inResponseTo());
                }
                if (!answer.success()) {
                    LOG.info("SSO: {} did not confirm the logout", answer.issuer());
                }
                nextLogout(req, resp, session);
            }
        } catch (SamlException e) {
            refused(req, "logout", e);
            refusedPage(req, resp, locale, "console.logout", e);
        }
    }

    /** Sends the browser to the next SP of the logout, or, when none is left, back to whoever asked. */
    private void nextLogout(HttpServletRequest req, HttpServletResponse resp, HttpSession session) throws IOException {
        Chain chain = (Chain) session.getAttribute(CHAIN);
        Map<String, SingleSignOn.RegisteredSp> sps = sso.registeredSps();
        while (chain != null && !chain.remaining.isEmpty()) {
            String entity = chain.remaining.poll();
            SingleSignOn.RegisteredSp sp = sps.get(entity);
            Participant p = chain.participants.get(entity);
            if (sp == null || sp.metadata().sloRedirect() == null || p == null) {
                continue;
            }
            Logout.Outgoing out = sso.logoutRequest(true, sp.metadata().sloRedirect(), p.nameId(), p.sessionIndex());
            chain.pending = out.id();
            session.setAttribute(CHAIN, chain);
            ConsoleServlet.redirect(resp, out.url());
            return;
        }
        session.invalidate();
        SingleSignOn.RegisteredSp requester =
                chain == null || chain.requester == null ? null : sps.get(chain.requester);
        if (requester != null && requester.metadata().sloRedirect() != null) {
            ConsoleServlet.redirect(
                    resp, sso.logoutResponse(true, requester.metadata().sloRedirect(), chain.requesterId));
        } else {
            ConsoleServlet.redirect(resp, "/console/login?loggedOut");
        }
    }

    private void spSlo(HttpServletRequest req, HttpServletResponse resp, Locale locale) throws IOException {
        Optional<Metadata.Idp> idp = sso.trustedIdp();
        String destination = sso.baseUrl() + Metadata.SP_SLO;
        java.util.function.Function<String, java.util.List<java.security.cert.X509Certificate>> certs =
                entity -> idp.isPresent() && idp.get().entityId().equals(entity)
                        ? idp.get().signingCertificates()
                        : null;
        try {
            if (req.getParameter("SAMLRequest") != null) {
                Logout.Request request =
                        Logout.readRequest(req.getQueryString(), req.getParameter("SAMLRequest"), destination, certs);
                HttpSession session = req.getSession(false);
                Object s = session == null ? null : session.getAttribute(SSO_SESSION);
                if (s instanceof SpSession sp && sp.nameId().equals(request.nameId())) {
                    audit.record(new AuditLog.Event(
                            String.valueOf(session.getAttribute(ConsoleServlet.USER)),
                            req.getRemoteAddr(),
                            "logout",
                            "sso",
                            AuditLog.Result.SUCCESS,
                            "single logout from " + request.issuer()));
                    session.invalidate();
                }
                if (idp.get().sloRedirect() == null) {
                    ConsoleServlet.redirect(resp, "/console/login?loggedOut");
                } else {
                    ConsoleServlet.redirect(
                            resp, sso.logoutResponse(false, idp.get().sloRedirect(), request.id()));
                }
            } else {
                Logout.readResponse(req.getQueryString(), req.getParameter("SAMLResponse"), destination, certs);
                ConsoleServlet.redirect(resp, "/console/login?loggedOut");
            }
        } catch (SamlException e) {
            refused(req, "logout", e);
            console.loginPage(
                    req, resp, locale, 400, Messages.get(locale, "sso.refused", Messages.get(locale, e.key())));
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------

    private void refused(HttpServletRequest req, String action, SamlException e) {
        LOG.info("SSO: {} refused from {}: {} ({})", action, req.getRemoteAddr(), e.key(), e.detail());
        audit.record(new AuditLog.Event("?", req.getRemoteAddr(), action, "sso", AuditLog.Result.FAILURE, e.key()));
    }

    /** An auto-submitted form to another site (the binding's POST); the page's CSP allows only that target. */
    private void post(
            HttpServletRequest req,
            HttpServletResponse resp,
            Locale locale,
            String action,
            String parameter,
            String message,
            String relayState)
            throws IOException {
        Map<String, Object> model = new HashMap<>();
        model.put("m", Messages.all(locale));
        model.put("action", action);
        model.put("parameter", parameter);
        model.put("message", message);
        if (relayState != null) {
            model.put("relayState", relayState);
        }
        URI target = URI.create(action);
        model.put("text", Messages.get(locale, "sso.redirecting", target.getHost()));
        String body = Templates.render("autopost.ftlh", model);
        String origin = target.getScheme() + "://" + target.getRawAuthority();
        resp.setHeader(
                "Content-Security-Policy",
                "default-src 'self'; style-src 'self' 'unsafe-inline';" + " frame-ancestors 'none'; form-action "
                        + origin);
        console.layout(req, resp, locale, 200, Messages.get(locale, "sso.login"), body, null, null, null, null);
    }

    /** The page a refused SAML message leads to (400), titled by {@code titleKey}, with the reason. */
    private void refusedPage(
            HttpServletRequest req, HttpServletResponse resp, Locale locale, String titleKey, SamlException e)
            throws IOException {
        console.layout(
                req,
                resp,
                locale,
                400,
                Messages.get(locale, titleKey),
                "",
                Messages.get(locale, "sso.refused", Messages.get(locale, e.key())),
                null,
                null,
                null);
    }

    private static void xml(HttpServletResponse resp, String xml) throws IOException {
        resp.setContentType("application/samlmetadata+xml;charset=UTF-8");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.getWriter().write(xml);
    }

    /** A path of this node's console to return to; anything else (another site, a scheme) becomes the home. */
    static String localPath(String wanted) {
        if (wanted == null
                || !wanted.startsWith("/console")
                || wanted.startsWith("//")
                || wanted.contains("\\")
                || wanted.length() > 80
                || wanted.chars().anyMatch(ch -> ch < 0x21 || ch > 0x7e)) {
            return "/console/";
        }
        return wanted;
    }
}
