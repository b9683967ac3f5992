package org.edufed.kernel.web.internal.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.servlet.Servlet;
import javax.servlet.http.Cookie;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import javax.servlet.http.HttpSession;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.plugin.PluginGuard;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.AccountService.PasswordPolicyException;
import org.edufed.kernel.api.web.ConsolePage;
import org.edufed.kernel.web.internal.LoginThrottle;
import org.edufed.kernel.web.internal.Messages;
import org.edufed.kernel.web.internal.PluginContributions;
import org.edufed.kernel.web.internal.saml.SingleSignOn;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console under {@code /console}: login, forced password change, logout, and every {@link
 * ConsolePage} service in a shared layout with a menu. zh-CN by default; {@code ?lang=en} switches to English
 * (kept in a cookie). Forms carry a per-session CSRF token; the session id changes at login.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/console/*", "/saml/*"})
@HttpWhiteboardServletName("edufed-console")
@org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletMultipart(
        enabled = true,
        maxFileSize = ConsoleServlet.MAX_UPLOAD,
        maxRequestSize = 2 * ConsoleServlet.MAX_UPLOAD + 65_536)
public final class ConsoleServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServlet.class);
    static final String USER = "edufed.user";
    static final String CSRF = "edufed.csrf";

    /** The largest file a console form may upload (a plugin archive: the platform takes 64 MB). */
    static final long MAX_UPLOAD = 64L << 20;

    private static final javax.servlet.MultipartConfigElement MULTIPART = new javax.servlet.MultipartConfigElement(
            System.getProperty("java.io.tmpdir"), MAX_UPLOAD, 2 * MAX_UPLOAD + 65_536, 1 << 20);
    static final String LANG_COOKIE = "edufed_lang";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final transient AccountService accounts;
    private final transient AuditLog audit;
    private final transient NodeIdentity identity;
    private final transient List<ConsolePage> pages = new CopyOnWriteArrayList<>();

    private final LoginThrottle throttle;
    private final transient SamlEndpoints saml;
    private final transient ConsoleSessions sessions;
    private final transient PluginGuard guard;

    /** Idle minutes after which a console session ends. */
    static final int SESSION_TIMEOUT_MINUTES = 30;

    @Activate
    public ConsoleServlet(
            @Reference AccountService accounts,
            @Reference NodeIdentity identity,
            @Reference AuditLog audit,
            @Reference LoginThrottle throttle,
            @Reference SingleSignOn sso,
            @Reference ConsoleSessions sessions,
            @Reference PluginGuard guard) {
        this.guard = guard;
        this.sessions = sessions;
        this.throttle = throttle;
        this.saml = new SamlEndpoints(this, sso, accounts, audit);
        this.accounts = accounts;
        this.identity = identity;
        this.audit = audit;
    }

    /** Every request acts as the session's user (or anonymous) from the client's address, for the audit trail. */
    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp)
            throws javax.servlet.ServletException, IOException {
        HttpSession session = req.getSession(false);
        Object user = session == null ? null : session.getAttribute(USER);
        try (Actor.Scope scope = Actor.as(user == null ? "anonymous" : user.toString(), req.getRemoteAddr())) {
            if ("/saml".equals(req.getServletPath())) {
                saml.handle(req, resp, locale(req, resp));
            } else {
                super.service(req, resp);
            }
        }
    }

    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addPage(org.osgi.framework.ServiceReference<ConsolePage> ref, ConsolePage page) {
        String what = "console page " + page.path();
        if (!PluginContributions.admitted(
                guard,
                ref,
                what,
                new java.util.TreeSet<>(java.util.List.of(page.permission(), page.submitPermission())),
                LOG)) {
            return;
        }
        pages.add(page);
    }

    void removePage(ConsolePage page) {
        pages.remove(page);
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Locale locale = locale(req, resp);
        String path = path(req);
        HttpSession session = req.getSession(true);
        String user = (String) session.getAttribute(USER);
        if (path.equals("login")) {
            if (user != null) {
                redirect(resp, "/console/");
                return;
            }
            if (req.getParameter("loggedOut") != null) {
                page(
                        req,
                        resp,
                        locale,
                        200,
                        Messages.get(locale, "console.login"),
                        "login.ftlh",
                        null,
                        Messages.get(locale, "console.loggedOut"),
                        null,
                        loginModel());
            } else {
                loginPage(req, resp, locale, 200, null);
            }
            return;
        }
        Optional<Account> account = current(session);
        if (account.isEmpty()) {
            String passive = saml.passiveLogin(session, req.getRequestURI());
            redirect(resp, passive != null ? passive : "/console/login");
            return;
        }
        if (path.equals("password")) {
            String forced = account.get().mustChangePassword() ? Messages.get(locale, "console.password.forced") : null;
            passwordPage(req, resp, locale, 200, null, forced, account.get());
            return;
        }
        if (account.get().mustChangePassword()) {
            redirect(resp, "/console/password");
            return;
        }
        servePage(req, resp, locale, path, account.get(), false);
    }

    /** Shows a page (GET) or hands it a form it posted to itself (POST), with the checks both need. */
    private void servePage(
            HttpServletRequest req,
            HttpServletResponse resp,
            Locale locale,
            String path,
            Account account,
            boolean submit)
            throws IOException {
        ConsolePage page =
                pages.stream().filter(p -> p.path().equals(path)).findFirst().orElse(null);
        if (page == null) {
            layout(
                    req,
                    resp,
                    locale,
                    404,
                    Messages.get(locale, "console.notFound"),
                    "",
                    Messages.get(locale, "console.notFound"),
                    null,
                    account,
                    path);
            return;
        }
        if (!submit && path.isEmpty() && !accounts.isPermitted(account.username(), page.permission())) {
            // the overview is not for everyone (a student holds only a plugin's permission): land on the first
            // page of the user's menu instead of a refusal
            java.util.Optional<ConsolePage> first = menuOf(account).stream().findFirst();
            if (first.isPresent()) {
                redirect(resp, "/console/" + first.get().path());
                return;
            }
        }
        if (!accounts.isPermitted(account.username(), page.permission())
                || (submit && !accounts.isPermitted(account.username(), page.submitPermission()))) {
            layout(
                    req,
                    resp,
                    locale,
                    403,
                    page.title(locale),
                    "",
                    Messages.get(locale, "console.forbidden"),
                    null,
                    account,
                    path);
            return;
        }
        String body;
        try {
            Context context = new Context(req, locale, account.username());
            body = submit ? page.submit(context) : page.render(context);
        } catch (UnsupportedOperationException e) {
            resp.sendError(405);
            return;
        } catch (IOException | RuntimeException e) {
            String incident = Long.toHexString(RANDOM.nextLong());
            LOG.error("console page {} failed, incident {}", path, incident, e);
            layout(
                    req,
                    resp,
                    locale,
                    500,
                    page.title(locale),
                    "",
                    Messages.get(locale, "problem.internal-error", incident),
                    null,
                    account,
                    path);
            return;
        }
        layout(req, resp, locale, 200, page.title(locale), body, null, null, account, path);
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Locale locale = locale(req, resp);
        String path = path(req);
        HttpSession session = req.getSession(false);
        if (session != null && isMultipart(req)) {
            // Jetty reads a multipart body only with a configuration at hand (also given by the whiteboard
            // property above, where the HTTP service honours it); read only for a browser that has a session
            req.setAttribute("org.eclipse.jetty.multipartConfig", MULTIPART);
        }
        if (session == null || !validCsrf(session, req.getParameter("csrf"))) {
            loginPage(req, resp, locale, 403, Messages.get(locale, "console.csrf"));
            LOG.info("console form refused: missing or wrong CSRF token ({})", path);
            return;
        }
        switch (path) {
            case "login" -> login(req, resp, locale, session);
            case "logout" -> {
                audit.record(AuditLog.Event.of("logout", "console", AuditLog.Result.SUCCESS, null));
                if (!saml.logout(req, resp, session)) {
                    session.invalidate();
                    redirect(resp, "/console/login");
                }
            }
            case "password" -> changePassword(req, resp, locale, session);
            default -> {
                Optional<Account> account = current(session);
                if (account.isEmpty()) {
                    redirect(resp, "/console/login");
                } else if (account.get().mustChangePassword()) {
                    redirect(resp, "/console/password");
                } else {
                    servePage(req, resp, locale, path, account.get(), true);
                }
            }
        }
    }

    private void login(HttpServletRequest req, HttpServletResponse resp, Locale locale, HttpSession session)
            throws IOException {
        String username = req.getParameter("username");
        String password = req.getParameter("password");
        long blocked = throttle.blockedFor(req.getRemoteAddr());
        if (blocked > 0) {
            resp.setHeader("Retry-After", Long.toString(blocked));
            loginPage(req, resp, locale, 429, Messages.get(locale, "problem.too-many-logins", blocked));
            return;
        }
        Optional<Account> account =
                password == null ? Optional.empty() : accounts.authenticate(username, password.toCharArray());
        if (account.isEmpty()) {
            throttle.failed(req.getRemoteAddr());
            LOG.info("console login failed for {}", username == null ? "" : username.replaceAll("[^\\w.@-]", "?"));
            audit.record(new AuditLog.Event(
                    username == null ? "?" : username,
                    req.getRemoteAddr(),
                    "login",
                    "console",
                    AuditLog.Result.FAILURE,
                    null));
            loginPage(req, resp, locale, 401, Messages.get(locale, "console.login.failed"));
            return;
        }
        establish(req, account.get());
        LOG.info("console login: {}", account.get().username());
        audit.record(new AuditLog.Event(
                account.get().username(), req.getRemoteAddr(), "login", "console", AuditLog.Result.SUCCESS, null));
        redirect(
                resp,
                account.get().mustChangePassword()
                        ? "/console/password"
                        : saml.resumesIdpRequest(session) ? "/saml/idp/continue" : "/console/");
    }

    /** Logs the account in on this request's session: a new session id (no fixation), timeout, CSRF token. */
    HttpSession establish(HttpServletRequest req, Account account) {
        HttpSession session = req.getSession(true);
        req.changeSessionId();
        session.setMaxInactiveInterval(SESSION_TIMEOUT_MINUTES * 60);
        session.setAttribute(USER, account.username());
        session.setAttribute(CSRF, newToken());
        return session;
    }

    private void changePassword(HttpServletRequest req, HttpServletResponse resp, Locale locale, HttpSession session)
            throws IOException {
        Optional<Account> account = current(session);
        if (account.isEmpty()) {
            redirect(resp, "/console/login");
            return;
        }
        String replacement = req.getParameter("replacement");
        if (replacement == null || !replacement.equals(req.getParameter("repeat"))) {
            passwordPage(req, resp, locale, 400, Messages.get(locale, "password.mismatch"), null, account.get());
            return;
        }
        String current = req.getParameter("current");
        try {
            accounts.changePassword(
                    account.get().username(),
                    current == null ? new char[0] : current.toCharArray(),
                    replacement.toCharArray());
        } catch (PasswordPolicyException e) {
            passwordPage(req, resp, locale, 400, Messages.get(locale, e.getMessage(), e.args()), null, account.get());
            return;
        }
        sessions.end(account.get().username(), session); // the other sessions of the old password end
        redirect(resp, saml.resumesIdpRequest(session) ? "/saml/idp/continue" : "/console/");
    }

    void loginPage(HttpServletRequest req, HttpServletResponse resp, Locale locale, int status, String error)
            throws IOException {
        page(
                req,
                resp,
                locale,
                status,
                Messages.get(locale, "console.login"),
                "login.ftlh",
                error,
                null,
                null,
                loginModel());
    }

    private Map<String, Object> loginModel() {
        Map<String, Object> extra = new HashMap<>();
        String sso = saml.loginLink();
        if (sso != null) {
            extra.put("ssoUrl", sso);
        }
        return extra;
    }

    private void passwordPage(
            HttpServletRequest req,
            HttpServletResponse resp,
            Locale locale,
            int status,
            String error,
            String info,
            Account account)
            throws IOException {
        page(
                req,
                resp,
                locale,
                status,
                Messages.get(locale, "console.password.title"),
                "password.ftlh",
                error,
                info,
                account,
                Map.of());
    }

    Optional<Account> current(HttpSession session) {
        String user = (String) session.getAttribute(USER);
        return user == null ? Optional.empty() : accounts.find(user);
    }

    private void page(
            HttpServletRequest req,
            HttpServletResponse resp,
            Locale locale,
            int status,
            String title,
            String template,
            String error,
            String info,
            Account account,
            Map<String, Object> extra)
            throws IOException {
        Map<String, Object> model = new HashMap<>(extra);
        model.put("m", Messages.all(locale));
        model.put("csrf", csrfToken(req.getSession(true)));
        layout(req, resp, locale, status, title, Templates.render(template, model), error, info, account, null);
    }

    void layout(
            HttpServletRequest req,
            HttpServletResponse resp,
            Locale locale,
            int status,
            String title,
            String body,
            String error,
            String info,
            Account account,
            String activePath)
            throws IOException {
        Map<String, Object> model = new HashMap<>();
        model.put("lang", Locale.ENGLISH.equals(locale) ? "en" : "zh-CN");
        model.put("otherLang", Locale.ENGLISH.equals(locale) ? "zh" : "en");
        model.put("languageLabel", Messages.get(locale, "console.language"));
        model.put("appName", Messages.get(locale, "app.name"));
        model.put("title", title);
        model.put("body", body);
        model.put(
                "node", identity.level().displayName(locale) + " · " + identity.name() + " (" + identity.code() + ")");
        if (error != null) {
            model.put("error", error);
        }
        if (info != null) {
            model.put("info", info);
        }
        List<Map<String, Object>> menu = new ArrayList<>();
        if (account != null && !account.mustChangePassword()) {
            model.put("user", account.username());
            model.put("userLabel", Messages.get(locale, "console.user"));
            model.put("logoutLabel", Messages.get(locale, "console.logout"));
            model.put("csrf", csrfToken(req.getSession(true)));
            for (ConsolePage p : menuOf(account)) {
                menu.add(Map.of(
                        "href",
                        "/console/" + p.path(),
                        "title",
                        p.title(locale),
                        "active",
                        p.path().equals(activePath)));
            }
        }
        model.put("menu", menu);
        String html = Templates.render("layout.ftlh", model);
        resp.setStatus(status);
        securityHeaders(resp);
        resp.setContentType("text/html;charset=UTF-8");
        resp.getWriter().write(html);
    }

    static void securityHeaders(HttpServletResponse resp) {
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Referrer-Policy", "same-origin");
        if (!resp.containsHeader("Content-Security-Policy")) {
            resp.setHeader(
                    "Content-Security-Policy",
                    "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'");
        }
    }

    /** The pages the account may see, in menu order. */
    private List<ConsolePage> menuOf(Account account) {
        List<ConsolePage> sorted = new ArrayList<>();
        for (ConsolePage p : pages) {
            if (accounts.isPermitted(account.username(), p.permission())) {
                sorted.add(p);
            }
        }
        sorted.sort(Comparator.comparingInt(ConsolePage::rank).thenComparing(ConsolePage::path));
        return sorted;
    }

    static void redirect(HttpServletResponse resp, String location) {
        securityHeaders(resp);
        resp.setStatus(303);
        resp.setHeader("Location", location);
    }

    private static String path(HttpServletRequest req) {
        String info = req.getPathInfo();
        if (info == null || info.equals("/")) {
            return "";
        }
        String p = info.startsWith("/") ? info.substring(1) : info;
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** English when asked ({@code ?lang=en}, remembered in a cookie); zh-CN otherwise. */
    private static Locale locale(HttpServletRequest req, HttpServletResponse resp) {
        String lang = req.getParameter("lang");
        if (lang != null) {
            Cookie c = new Cookie(LANG_COOKIE, "en".equals(lang) ? "en" : "zh");
            c.setPath("/");
            c.setHttpOnly(true);
            c.setMaxAge(365 * 24 * 3600);
            resp.addCookie(c);
            return "en".equals(lang) ? Locale.ENGLISH : Messages.ZH;
        }
        if (req.getCookies() != null) {
            for (Cookie c : req.getCookies()) {
                if (LANG_COOKIE.equals(c.getName())) {
                    return "en".equals(c.getValue()) ? Locale.ENGLISH : Messages.ZH;
                }
            }
        }
        return Messages.ZH;
    }

    private static String csrfToken(HttpSession session) {
        String token = (String) session.getAttribute(CSRF);
        if (token == null) {
            token = newToken();
            session.setAttribute(CSRF, token);
        }
        return token;
    }

    private static boolean validCsrf(HttpSession session, String given) {
        String expected = (String) session.getAttribute(CSRF);
        return expected != null
                && given != null
                && MessageDigest.isEqual(
                        expected.getBytes(StandardCharsets.US_ASCII), given.getBytes(StandardCharsets.US_ASCII));
    }

    private static String newToken() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static boolean isMultipart(HttpServletRequest req) {
        String type = req.getContentType();
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
    }

    /** What a page sees of the request. */
    private record Context(HttpServletRequest request, Locale locale, String username)
            implements ConsolePage.PageContext {
        /** A form field; a file field of a multipart form gives the file's bytes in base64 ("" when none chosen). */
        @Override
        public String parameter(String name) {
            String value = request.getParameter(name);
            if (value != null || !isMultipart(request)) {
                return value;
            }
            try {
                javax.servlet.http.Part part = request.getPart(name);
                if (part == null || part.getSubmittedFileName() == null) {
                    return null;
                }
                try (java.io.InputStream in = part.getInputStream()) {
                    return Base64.getEncoder().encodeToString(in.readAllBytes());
                }
            } catch (IOException | javax.servlet.ServletException | IllegalStateException e) {
                LOG.info("console upload {} not read: {}", name, e.getMessage());
                return null;
            }
        }

        @Override
        public String escape(String text) {
            return Html.escape(text);
        }

        @Override
        public String csrfField() {
            return "<input type=\"hidden\" name=\"csrf\" value=\"" + Html.escape(csrfToken(request.getSession(true)))
                    + "\">";
        }
    }
}
