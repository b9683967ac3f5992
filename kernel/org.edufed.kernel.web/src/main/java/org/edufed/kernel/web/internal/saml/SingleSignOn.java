package org.edufed.kernel.web.internal.saml;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.Topic;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Grant;
import org.edufed.kernel.api.security.Organisation;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SAML 2.0 single sign-on of this node. Every node is an SP; the province (or any node with {@code idp = true})
 * is also the IdP of the tree. Trust travels with the federation:
 * <ul>
 *   <li>the IdP publishes its metadata as the inheritable item {@value #IDP_KEY} of topic {@value #TOPIC}
 *       ({@code overridable}), so every node below trusts it; an operator who puts an external IdP's metadata
 *       there (Shibboleth, Keycloak, CARSI) replaces it for the subtree, and the IdP never overwrites a value
 *       it did not publish;
 *   <li>each node reports its SP metadata upward (topic {@value #SP_TOPIC}, signed by the exchange like any
 *       record), so the IdP knows every SP of its subtree, and which node each one is.
 * </ul>
 * Configuration {@code etc/org.edufed.sso.cfg}: {@code public.url} (the address browsers use for this node;
 * without it {@code http://127.0.0.1:<HTTP port>}, enough on one machine) and {@code idp} ({@code auto}: at the
 * province).
 */
@Component(
        service = SingleSignOn.class,
        immediate = true,
        configurationPid = SingleSignOn.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class SingleSignOn {

    static final String PID = "org.edufed.sso";
    public static final String TOPIC = "security.saml";
    public static final String IDP_KEY = "idp.metadata";
    public static final String SP_TOPIC = "security.saml.sp";
    private static final Logger LOG = LoggerFactory.getLogger(SingleSignOn.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TTL_MS = 3_000;
    private static final long RETRY_S = 30;

    private final NodeIdentity identity;
    private final Storage storage;
    private final AccountService accounts;
    private final Organisation organisation;
    private final SamlKeys keys;
    private final ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "edufed-sso-publish");
        t.setDaemon(true);
        return t;
    });

    private volatile boolean active = true;
    private volatile Inheritance inheritance;
    private volatile Upward upward;
    private volatile String baseUrl;
    private volatile boolean idpEnabled;
    private volatile IdentityProvider idp;
    private volatile ServiceProvider sp;
    private volatile Cached<Optional<Metadata.Idp>> trusted;
    private volatile Cached<Map<String, RegisteredSp>> registry;

    private record Cached<T>(T value, String source, long at) {}

    /**
     * An SP of the subtree: its metadata and the node it is; or an SP outside the tree registered here by name
     * ({@code name} set), which gets the attributes as they apply at this node.
     */
    public record RegisteredSp(Metadata.Sp metadata, String node, String name) {}

    /** An SP outside the tree registered here, as the REST API shows it. */
    public record ExternalSp(
            String name,
            String entityId,
            String acs,
            String singleLogout,
            List<String> certificates,
            String registeredBy,
            Instant registeredAt,
            boolean served) {}

    private final ExternalSps externalSps;

    @Activate
    public SingleSignOn(
            @Reference NodeIdentity identity,
            @Reference Storage storage,
            @Reference AccountService accounts,
            @Reference Organisation organisation,
            @Reference ConfigurationAdmin configAdmin,
            Map<String, Object> properties)
            throws IOException {
        this.identity = identity;
        this.storage = storage;
        this.accounts = accounts;
        this.organisation = organisation;
        String data = System.getProperty("karaf.data");
        Path dir = (data != null ? Paths.get(data) : Paths.get(System.getProperty("user.dir"), "data"))
                .resolve("edufed")
                .resolve("keys");
        this.keys = SamlKeys.loadOrCreate(dir, identity.name() + " (" + identity.code() + ")");
        try {
            this.externalSps = new ExternalSps(storage);
        } catch (java.sql.SQLException e) {
            throw new IOException("SSO: the registered service providers cannot be read: " + e.getMessage(), e);
        }
        OpenSaml.init();
        configure(properties, configAdmin);
    }

    @Modified
    void modified(Map<String, Object> properties) {
        configure(properties, null);
    }

    private void configure(Map<String, Object> properties, ConfigurationAdmin configAdmin) {
        String url = string(properties, "public.url", "");
        if (url.isBlank()) {
            url = baseUrl != null ? baseUrl : "http://127.0.0.1:" + httpPort(configAdmin);
            LOG.info("SSO: this node's address is {} (set public.url in etc/{}.cfg for other machines)", url, PID);
        }
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        String idpSetting = string(properties, "idp", "auto");
        this.idpEnabled =
                "true".equals(idpSetting) || ("auto".equals(idpSetting) && identity.level() == Level.PROVINCE);
        this.baseUrl = url;
        this.idp = idpEnabled ? new IdentityProvider(url + Metadata.IDP_METADATA, url + Metadata.IDP_SSO, keys) : null;
        ServiceProvider previous = sp;
        if (previous == null || !previous.entityId().equals(url + Metadata.SP_METADATA)) {
            this.sp = new ServiceProvider(url + Metadata.SP_METADATA, url + Metadata.SP_ACS, keys);
        }
        trusted = null;
        submit();
    }

    private void submit() {
        try {
            publisher.submit(this::publish);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // deactivated
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        active = false;
        publisher.shutdownNow();
        publisher.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindInheritance(Inheritance i) {
        inheritance = i;
        trusted = null;
        submit();
    }

    void unbindInheritance(Inheritance i) {
        if (inheritance == i) {
            inheritance = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindUpward(Upward u) {
        upward = u;
        submit();
    }

    void unbindUpward(Upward u) {
        if (upward == u) {
            upward = null;
        }
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** This node's IdP, when it is one. */
    public Optional<IdentityProvider> identityProvider() {
        return Optional.ofNullable(idp);
    }

    public ServiceProvider serviceProvider() {
        return sp;
    }

    SamlKeys keys() {
        return keys;
    }

    /** A signed LogoutRequest from this node (as IdP or SP) to {@code destination}. */
    public Logout.Outgoing logoutRequest(boolean asIdp, String destination, String nameId, String sessionIndex) {
        return Logout.request(asIdp ? idp.entityId() : sp.entityId(), destination, nameId, sessionIndex, keys, null);
    }

    /** A signed LogoutResponse from this node (as IdP or SP) to {@code destination}. */
    public String logoutResponse(boolean asIdp, String destination, String inResponseTo) {
        return Logout.response(asIdp ? idp.entityId() : sp.entityId(), destination, inResponseTo, keys, null);
    }

    public String idpMetadata() {
        return idpEnabled ? Metadata.idp(baseUrl, keys) : null;
    }

    public String spMetadata() {
        return Metadata.sp(baseUrl, keys);
    }

    /**
     * The IdP this node's SP trusts: the effective inherited metadata, unless it is this node's own IdP (a
     * node does not sign on to itself). Empty without one, or when the metadata cannot be read (logged).
     */
    public Optional<Metadata.Idp> trustedIdp() {
        Inheritance i = inheritance;
        if (i == null) {
            return Optional.empty();
        }
        Cached<Optional<Metadata.Idp>> c = trusted;
        if (c != null && System.currentTimeMillis() - c.at() < TTL_MS) {
            return c.value();
        }
        Optional<Metadata.Idp> out = Optional.empty();
        String xml = null;
        try {
            xml = i.effective(TOPIC, IDP_KEY).map(Inheritance.Item::value).orElse(null);
            if (c != null && xml != null && xml.equals(c.source())) {
                out = c.value();
            } else if (xml != null) {
                Metadata.Idp parsed = Metadata.parseIdp(xml);
                if (!parsed.entityId().equals(baseUrl + Metadata.IDP_METADATA)) {
                    out = Optional.of(parsed);
                }
            }
        } catch (SamlException e) {
            LOG.warn("SSO: the inherited IdP metadata cannot be used: {} ({})", e.key(), e.detail());
        } catch (RuntimeException e) {
            LOG.warn("SSO: the inherited IdP metadata cannot be read now: {}", e.getMessage());
        }
        trusted = new Cached<>(out, xml, System.currentTimeMillis());
        return out;
    }

    private volatile Cached<Boolean> reachable;

    /**
     * Whether the trusted IdP's SSO endpoint accepts a connection from here (1 s, remembered for 30 s): a browser
     * is sent there unasked only when it likely answers, so a school cut off from the province shows its own login.
     */
    public boolean idpReachable(Metadata.Idp idp) {
        Cached<Boolean> c = reachable;
        if (c != null && idp.ssoRedirect().equals(c.source()) && System.currentTimeMillis() - c.at() < 30_000) {
            return c.value();
        }
        boolean ok;
        try {
            java.net.URI u = java.net.URI.create(idp.ssoRedirect());
            int port = u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(u.getHost(), port), 1000);
                ok = true;
            }
        } catch (IOException | RuntimeException e) {
            ok = false;
        }
        reachable = new Cached<>(ok, idp.ssoRedirect(), System.currentTimeMillis());
        return ok;
    }

    private volatile Map<String, Optional<Metadata.Sp>> parsedSps = Map.of();

    private static Optional<Metadata.Sp> parseReported(Upward.Record r) {
        try {
            return Optional.of(
                    Metadata.parseSp(JSON.readTree(r.payload()).path("metadata").asText("")));
        } catch (IOException | SamlException e) {
            LOG.warn("SSO: SP metadata reported by {} cannot be used: {}", r.origin(), e.getMessage());
            return Optional.empty();
        }
    }

    private volatile Map<String, Optional<Metadata.Sp>> parsedExternal = Map.of();

    private static Optional<Metadata.Sp> parseExternal(ExternalSps.Entry e) {
        try {
            return Optional.of(Metadata.parseSp(e.metadata()));
        } catch (SamlException ex) {
            LOG.warn("SSO: the metadata of registered SP {} cannot be used: {}", e.name(), ex.detail());
            return Optional.empty();
        }
    }

    /** The SPs outside the tree registered at this IdP, by name. */
    public List<ExternalSp> externalSps() throws SQLException {
        Map<String, RegisteredSp> served = registeredSps();
        List<ExternalSp> out = new ArrayList<>();
        for (ExternalSps.Entry e : externalSps.list()) {
            Optional<Metadata.Sp> m = parseExternal(e);
            RegisteredSp s = served.get(e.entityId());
            out.add(new ExternalSp(
                    e.name(),
                    e.entityId(),
                    m.map(Metadata.Sp::acsPost).orElse(null),
                    m.map(Metadata.Sp::sloRedirect).orElse(null),
                    m.map(sp -> sp.signingCertificates().stream()
                                    .map(c -> c.getSubjectX500Principal().getName() + ", until "
                                            + c.getNotAfter().toInstant())
                                    .toList())
                            .orElse(List.of()),
                    e.registeredBy(),
                    e.registeredAt(),
                    s != null && e.name().equals(s.name())));
        }
        return out;
    }

    /** Names of registered SPs: lower-case letters, digits, {@code . _ -}, at most 64. */
    private static final java.util.regex.Pattern SP_NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /** The largest SP metadata document taken (characters). */
    public static final int MAX_METADATA = 32_000;

    /**
     * Registers (or replaces) an SP outside the tree at this node's IdP under {@code name}: its metadata must
     * describe a SAML 2.0 SP with an HTTP-POST assertion consumer service and a signing certificate, under an
     * entity ID that no node of the tree uses, nor this IdP, nor another registration. Returns whether it is new.
     *
     * @throws IllegalArgumentException with a message key: {@code sso.sp.notIdp}, {@code sso.sp.badName},
     *     {@code sso.sp.tooLarge}, {@code sso.sp.badMetadata}, {@code sso.sp.noCertificate}, {@code sso.sp.nodeEntity},
     *     {@code sso.sp.duplicate}
     */
    public boolean registerSp(String name, String metadata, String by) throws SQLException {
        if (!idpEnabled || idp == null) {
            throw new IllegalArgumentException("sso.sp.notIdp");
        }
        if (name == null || !SP_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("sso.sp.badName");
        }
        if (metadata == null || metadata.length() > MAX_METADATA) {
            throw new IllegalArgumentException("sso.sp.tooLarge");
        }
        Metadata.Sp parsed;
        try {
            parsed = Metadata.parseSp(metadata);
        } catch (SamlException e) {
            LOG.info("SSO: SP metadata for {} refused: {}", name, e.detail());
            throw new IllegalArgumentException(
                    "sso.noCertificate".equals(e.key()) ? "sso.sp.noCertificate" : "sso.sp.badMetadata");
        }
        if (parsed.entityId() == null
                || parsed.entityId().isBlank()
                || parsed.entityId().length() > 1024) {
            throw new IllegalArgumentException("sso.sp.badMetadata");
        }
        if (parsed.signingCertificates().isEmpty()) {
            throw new IllegalArgumentException("sso.sp.noCertificate");
        }
        RegisteredSp existing = registeredSps().get(parsed.entityId());
        if (parsed.entityId().equals(idp.entityId())
                || parsed.entityId().equals(sp.entityId())
                || (existing != null && existing.name() == null)
                || treeReports(parsed.entityId())) {
            throw new IllegalArgumentException("sso.sp.nodeEntity");
        }
        boolean created = externalSps.put(new ExternalSps.Entry(name, parsed.entityId(), metadata, by, Instant.now()));
        registry = null;
        return created;
    }

    /** Whether a node of the tree reports an SP with this entity ID (also when two of them do, and none is served). */
    private boolean treeReports(String entityId) {
        Upward u = upward;
        if (u == null) {
            return false;
        }
        Map<String, Optional<Metadata.Sp>> known = parsedSps;
        for (Upward.Record r : u.records(SP_TOPIC, 100_000)) {
            if (r.deleted()) {
                continue;
            }
            Optional<Metadata.Sp> m = known.get(r.payload());
            if (m == null) {
                m = parseReported(r);
            }
            if (m.isPresent() && m.get().entityId().equals(entityId)) {
                return true;
            }
        }
        return false;
    }

    /** Removes a registered SP; false when there is none by that name. */
    public boolean removeSp(String name) throws SQLException {
        boolean removed = name != null && externalSps.remove(name);
        registry = null;
        return removed;
    }

    /** The metadata of a registered SP of this IdP's subtree, or {@code null} when there is none by that ID. */
    public Metadata.Sp registeredSp(String entityId) {
        RegisteredSp r = registeredSps().get(entityId);
        return r == null ? null : r.metadata();
    }

    /** The SPs of this IdP's subtree, by entity ID (this node's own SP included). */
    public Map<String, RegisteredSp> registeredSps() {
        Cached<Map<String, RegisteredSp>> c = registry;
        if (c != null && System.currentTimeMillis() - c.at() < TTL_MS) {
            return c.value();
        }
        Map<String, RegisteredSp> out = new HashMap<>();
        Set<String> conflicts = new java.util.HashSet<>();
        Map<String, Optional<Metadata.Sp>> known = parsedSps;
        Map<String, Optional<Metadata.Sp>> seen = new HashMap<>();
        Upward u = upward;
        if (u != null) {
            for (Upward.Record r : u.records(SP_TOPIC, 100_000)) {
                if (r.deleted() || organisation.find(r.origin()).isEmpty()) {
                    continue; // withdrawn, or from a node revoked since (the tree leaves revoked nodes out)
                }
                // metadata is parsed once per payload seen, not at every refresh (nor logged again when bad)
                Optional<Metadata.Sp> m = known.get(r.payload());
                if (m == null) {
                    m = parseReported(r);
                }
                seen.put(r.payload(), m);
                if (m.isPresent()) {
                    RegisteredSp before =
                            out.putIfAbsent(m.get().entityId(), new RegisteredSp(m.get(), r.origin(), null));
                    if (before != null && !before.node().equals(r.origin())) {
                        conflicts.add(m.get().entityId());
                    }
                }
            }
        }
        parsedSps = seen;
        if (idpEnabled) {
            Map<String, Optional<Metadata.Sp>> knownExternal = parsedExternal;
            Map<String, Optional<Metadata.Sp>> seenExternal = new HashMap<>();
            try {
                for (ExternalSps.Entry e : externalSps.list()) {
                    Optional<Metadata.Sp> m = knownExternal.get(e.metadata());
                    if (m == null) {
                        m = parseExternal(e);
                    }
                    seenExternal.put(e.metadata(), m);
                    if (m.isPresent()) {
                        RegisteredSp before = out.putIfAbsent(
                                m.get().entityId(), new RegisteredSp(m.get(), identity.code(), e.name()));
                        if (before != null) {
                            conflicts.add(m.get().entityId()); // a node of the tree reported it since
                        }
                    }
                }
            } catch (SQLException e) {
                LOG.warn("SSO: the registered service providers cannot be read: {}", e.getMessage());
            }
            parsedExternal = seenExternal;
        }
        for (String entity : conflicts) {
            // two nodes claim one SP: neither gets assertions until an operator sorts it out
            LOG.warn("SSO: SP {} is reported by more than one node; no assertions for it", entity);
            out.remove(entity);
        }
        Map<String, RegisteredSp> view = Collections.unmodifiableMap(out);
        registry = new Cached<>(view, null, System.currentTimeMillis());
        return view;
    }

    /**
     * The attributes the IdP releases about {@code username} to the SP of node {@code spNode}: user id, name,
     * organisation unit (the node where the account lives) and the user's roles as they apply at that node —
     * roles held over this whole node and grants over a unit above the SP's node (with its subtree) become
     * roles over the SP's node ({@code role}); grants over the SP's node alone or over a unit inside it stay
     * grants ({@code role@unit}, {@code role@unit/*} with the subtree).
     */
    public Map<String, List<String>> attributesFor(Account account, String spNode) {
        Set<String> roles = new LinkedHashSet<>(account.roles());
        for (Grant g : accounts.grants(account.username())) {
            boolean spInside = organisation.within(spNode, g.unit());
            if (g.subtree() && spInside) {
                roles.add(g.role());
            } else if (g.unit().equals(spNode)) {
                roles.add(g.role() + "@" + g.unit());
            } else if (organisation.within(g.unit(), spNode)) {
                roles.add(g.role() + "@" + g.unit() + (g.subtree() ? "/*" : ""));
            }
        }
        Map<String, List<String>> out = new HashMap<>();
        out.put(IdentityProvider.ATTR_UID, List.of(account.username()));
        out.put(IdentityProvider.ATTR_DISPLAY_NAME, List.of(account.displayName()));
        out.put(IdentityProvider.ATTR_ORG_UNIT, List.of(identity.code()));
        out.put(IdentityProvider.ATTR_ROLES, new ArrayList<>(roles));
        return out;
    }

    /** The NameID this IdP gives a local account: unique in the tree, stable across logins. */
    public String nameIdFor(Account account) {
        return account.username() + "@" + identity.code();
    }

    /**
     * Admits a user the trusted IdP vouched for: the account {@code nameId} (qualified by the IdP, e.g.
     * {@code zhang@510000}), with the roles and grants released for this node.
     */
    public Account admit(ServiceProvider.Login login) throws SamlException {
        String username = login.nameId().trim().toLowerCase(java.util.Locale.ROOT);
        Set<String> roles = new LinkedHashSet<>();
        List<Grant> grants = new ArrayList<>();
        for (String v : login.attributes().getOrDefault(IdentityProvider.ATTR_ROLES, List.of())) {
            int at = v.indexOf('@');
            if (at < 0) {
                roles.add(v);
            } else {
                String unit = v.substring(at + 1);
                boolean subtree = unit.endsWith("/*");
                grants.add(
                        new Grant(v.substring(0, at), subtree ? unit.substring(0, unit.length() - 2) : unit, subtree));
            }
        }
        try {
            return accounts.federatedLogin(username, login.first(IdentityProvider.ATTR_DISPLAY_NAME), roles, grants);
        } catch (IllegalArgumentException e) {
            throw new SamlException(
                    "sso.badNameId", "NameID " + username + " cannot name an account: " + e.getMessage());
        }
    }

    /** Publishes this node's IdP metadata down and its SP metadata up, when they changed. */
    private void publish() {
        if (!active) {
            return;
        }
        try {
            Inheritance i = inheritance;
            if (idpEnabled && i != null) {
                String mine = Metadata.idp(baseUrl, keys);
                Optional<Inheritance.Item> current = i.effective(TOPIC, IDP_KEY);
                boolean ours = current.isEmpty()
                        || (current.get().provenance() != null
                                && current.get().provenance().setBy() != null
                                && identity.code()
                                        .equals(current.get()
                                                .provenance()
                                                .setBy()
                                                .code())
                                && entityIdOf(current.get().value()).equals(idp.entityId()));
                if (ours && (current.isEmpty() || !current.get().value().equals(mine))) {
                    i.change(TOPIC, List.of(new Inheritance.Change(IDP_KEY, mine, Mode.OVERRIDABLE)));
                    LOG.info("SSO: IdP metadata published for the subtree ({})", idp.entityId());
                }
            }
            Upward u = upward;
            if (u != null) {
                String payload =
                        JSON.createObjectNode().put("metadata", spMetadata()).toString();
                boolean known = u.records(SP_TOPIC, 100_000).stream()
                        .anyMatch(r -> identity.code().equals(r.origin()) && payload.equals(r.payload()));
                if (!known) {
                    storage.inTransaction(c -> {
                        u.enqueue(c, SP_TOPIC, "sp", System.currentTimeMillis(), payload, false);
                        return null;
                    });
                    LOG.info("SSO: SP metadata reported upward ({})", sp.entityId());
                }
            }
        } catch (LockedException e) {
            LOG.info("SSO: IdP metadata is locked above; this node's IdP is not published");
        } catch (SQLException | RuntimeException e) {
            if (active) {
                LOG.warn("SSO: metadata cannot be published now, again in {} s: {}", RETRY_S, e.getMessage());
                try {
                    publisher.schedule(this::publish, RETRY_S, TimeUnit.SECONDS);
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    // deactivated meanwhile
                }
            }
        }
    }

    private static String entityIdOf(String xml) {
        try {
            return Metadata.parseIdp(xml).entityId();
        } catch (SamlException e) {
            return "";
        }
    }

    private static String string(Map<String, Object> props, String key, String fallback) {
        Object v = props == null ? null : props.get(key);
        return v == null ? fallback : v.toString().trim();
    }

    private static String httpPort(ConfigurationAdmin configAdmin) {
        if (configAdmin != null) {
            try {
                Configuration c = configAdmin.getConfiguration("org.ops4j.pax.web", null);
                Dictionary<String, Object> p = c.getProperties();
                Object port = p == null ? null : p.get("org.osgi.service.http.port");
                if (port != null) {
                    return port.toString().trim();
                }
            } catch (IOException e) {
                LOG.warn("SSO: the HTTP port cannot be read: {}", e.getMessage());
            }
        }
        return System.getProperty("org.osgi.service.http.port", "8181");
    }

    /** Declares the downward topic that carries the trusted IdP's metadata. */
    @Component(service = Topic.class)
    public static final class IdpTopic implements Topic {
        @Override
        public String name() {
            return TOPIC;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public void validate(String key, String value) {
            if (!IDP_KEY.equals(key)) {
                throw new IllegalArgumentException("sso.badKey");
            }
            try {
                Metadata.parseIdp(value);
            } catch (SamlException e) {
                throw new IllegalArgumentException("sso.sp.badMetadata");
            }
        }

        @Override
        public String description() {
            return "统一身份认证（SAML 2.0）身份提供者元数据";
        }
    }

    /** Declares the upward topic that carries each node's SP metadata to the IdP. */
    @Component(service = Topic.class)
    public static final class SpTopic implements Topic {
        @Override
        public String name() {
            return SP_TOPIC;
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public String description() {
            return "各节点的 SAML 服务提供者元数据";
        }
    }
}
