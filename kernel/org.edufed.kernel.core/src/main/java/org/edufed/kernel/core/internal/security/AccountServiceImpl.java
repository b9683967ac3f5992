package org.edufed.kernel.core.internal.security;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.shiro.authc.AuthenticationException;
import org.apache.shiro.authc.AuthenticationInfo;
import org.apache.shiro.authc.AuthenticationToken;
import org.apache.shiro.authc.SimpleAuthenticationInfo;
import org.apache.shiro.authc.UsernamePasswordToken;
import org.apache.shiro.authz.AuthorizationInfo;
import org.apache.shiro.authz.SimpleAuthorizationInfo;
import org.apache.shiro.authz.permission.WildcardPermission;
import org.apache.shiro.mgt.DefaultSecurityManager;
import org.apache.shiro.realm.AuthorizingRealm;
import org.apache.shiro.subject.PrincipalCollection;
import org.apache.shiro.subject.SimplePrincipalCollection;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.Settings;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Grant;
import org.edufed.kernel.api.security.Organisation;
import org.edufed.kernel.api.security.Scope;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local accounts in the node's database, authenticated and authorised through an Apache Shiro security
 * manager with a JDBC realm. On first start it creates {@code admin} with a random one-time password, prints
 * it once, and requires a change at first login.
 */
@Component(service = AccountService.class, immediate = true)
public final class AccountServiceImpl implements AccountService {

    private static final Logger LOG = LoggerFactory.getLogger(AccountServiceImpl.class);
    static final String OWNER = "org.edufed.kernel.core";
    /** Failed logins allowed before back-off starts; then 2, 4, 8 … seconds, at most 15 minutes. */
    static final int FREE_FAILURES = 5;

    static final Duration MAX_BACKOFF = Duration.ofMinutes(15);

    private final AccountStore store;
    private final PasswordHashing hashing = new PasswordHashing();
    private final VerifiedCredentials verified = new VerifiedCredentials();
    private final DefaultSecurityManager securityManager;

    private final String node;
    private final String nodeCode;
    private final AuditLog audit;
    private final Organisation organisation;
    private final InheritedRoles inheritedRoles = new InheritedRoles();

    /** Role definitions inherited from above (and this node's own inheritable ones) come through it. */
    @Reference(
            cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Inheritance inheritance;

    /** The password policy comes from the inheritable settings {@code security.password.*} where there are any. */
    @Reference(
            cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Settings settings;

    private record CachedPolicy(PasswordPolicy policy, long at) {}

    private volatile CachedPolicy policy;

    /**
     * Accounts belong to a node whose identity is valid: without it (a wrong {@code org.edufed.node.cfg})
     * this component does not start, and no account or password is created on a node that is stopping.
     */
    @Activate
    public AccountServiceImpl(
            @Reference NodeIdentity identity,
            @Reference Storage storage,
            @Reference AuditLog audit,
            @Reference Organisation organisation)
            throws SQLException {
        this(identity.level().id() + " " + identity.code(), identity.code(), storage, audit, organisation);
    }

    AccountServiceImpl(String node, String nodeCode, Storage storage, AuditLog audit, Organisation organisation)
            throws SQLException {
        this.node = node;
        this.nodeCode = nodeCode;
        this.audit = audit;
        this.organisation = organisation;
        storage.migrate(OWNER, AccountServiceImpl.class.getClassLoader(), "org/edufed/kernel/core/db");
        this.store = new AccountStore(storage);
        JdbcRealm realm = new JdbcRealm();
        realm.setCredentialsMatcher(hashing);
        this.securityManager = new DefaultSecurityManager(realm);
        bootstrapAdmin();
    }

    /** Binds the settings the policy is read from (DS binds the reference itself; tests call this). */
    void settings(Settings s) {
        this.settings = s;
        this.policy = null;
    }

    /** The password policy now (read from the settings at most every 5 s). */
    PasswordPolicy policy() {
        CachedPolicy c = policy;
        if (c != null && System.currentTimeMillis() - c.at() < 5_000) {
            return c.policy();
        }
        Settings from = settings;
        PasswordPolicy p = from == null
                ? PasswordPolicy.DEFAULT
                : PasswordPolicy.from(key -> {
                    try {
                        return from.effective(key).map(EffectiveSetting::value);
                    } catch (RuntimeException e) {
                        return Optional.empty();
                    }
                });
        policy = new CachedPolicy(p, System.currentTimeMillis());
        return p;
    }

    /** The account as the rest of the kernel sees it: a password older than the policy allows must be changed. */
    private Account effective(AccountStore.Row row) {
        Account a = row.account();
        int maxAge = policy().maxAgeDays();
        if (!a.mustChangePassword()
                && maxAge > 0
                && row.passwordChangedAt() != null
                && row.passwordChangedAt().plus(Duration.ofDays(maxAge)).isBefore(Instant.now())) {
            return new Account(a.username(), a.displayName(), a.roles(), true, a.locked(), a.created(), a.lastLogin());
        }
        return a;
    }

    private void bootstrapAdmin() throws SQLException {
        char[] password = policy().generate();
        if (store.createIfAbsent(ADMIN, "管理员 Administrator", PasswordHashing.hash(password), true, Set.of("admin"))) {
            String line = "EduFed first start of " + node + ": one-time admin password / 管理员一次性密码: admin / "
                    + new String(password)
                    + "  (must be changed at first login; shown only this once / 首次登录时必须修改，仅显示这一次)";
            System.out.println(line);
            LOG.info(line);
        }
        Arrays.fill(password, '\0');
    }

    @Override
    public Optional<Account> authenticate(String username, char[] password) {
        if (username == null || password == null || username.isBlank()) {
            return Optional.empty();
        }
        if (username.indexOf('@') >= 0) {
            // federated accounts log in through their identity provider only
            hashing.spendDecoyTime(password);
            return Optional.empty();
        }
        try {
            Optional<AccountStore.Row> row = store.find(username);
            if (verified.get(username, password) != null) {
                // verified in the last minute: no Argon2 again, but the account as it is now (roles, expiry)
                if (row.isPresent() && !row.get().account().locked()) {
                    return Optional.of(effective(row.get()));
                }
                verified.forget(username);
            }
            return verified.once(username, password, () -> verify(username, password, row));
        } catch (SQLException e) {
            LOG.error("authentication of {} failed on storage: {}", username, e.getMessage());
            return Optional.empty();
        }
    }

    /** The Argon2 verification of a password not verified in the last minute (see {@link #authenticate}). */
    private Optional<Account> verify(String username, char[] password, Optional<AccountStore.Row> row) {
        try {
            if (row.isEmpty()) {
                hashing.spendDecoyTime(password);
                return Optional.empty();
            }
            if (row.get().account().locked() || inBackoff(row.get())) {
                hashing.spendDecoyTime(password);
                return Optional.empty();
            }
            try {
                securityManager.authenticate(new UsernamePasswordToken(username, password));
            } catch (AuthenticationException e) {
                store.recordFailure(username);
                return Optional.empty();
            }
            store.recordSuccess(username);
            Account account = effective(row.get());
            verified.put(username, password, account);
            return Optional.of(account);
        } catch (SQLException e) {
            LOG.error("authentication of {} failed on storage: {}", username, e.getMessage());
            return Optional.empty();
        }
    }

    static boolean inBackoff(AccountStore.Row row) {
        return backoffUntil(row.failedLogins(), row.lastFailure()).isAfter(Instant.now());
    }

    /** When the next attempt is allowed after {@code failures} consecutive failures, the last at {@code last}. */
    static Instant backoffUntil(int failures, Instant last) {
        if (failures < FREE_FAILURES || last == null) {
            return Instant.MIN;
        }
        int exponent = Math.min(failures - FREE_FAILURES + 1, 20);
        Duration wait = Duration.ofSeconds(1L << exponent);
        return last.plus(wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait);
    }

    @Override
    public Optional<Account> find(String username) {
        try {
            return store.find(username).map(this::effective);
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isPermitted(String username, String permission) {
        return nodeWide(username, permission)
                || grantsFor(username, permission).stream()
                        .anyMatch(g -> g.subtree() && g.unit().equals(nodeCode));
    }

    /** Through a role of the account itself: over the whole node. */
    private boolean nodeWide(String username, String permission) {
        return securityManager.isPermitted(new SimplePrincipalCollection(username, JdbcRealm.NAME), parsed(permission));
    }

    /**
     * The permissions asked for, parsed once: they are the constants of the REST resources and console pages (a
     * few dozen), and Shiro would otherwise parse the text into a new {@link WildcardPermission} on every request.
     * Bounded all the same (cleared when full), since a caller could ask with any text.
     */
    private final Map<String, WildcardPermission> parsedPermissions = new java.util.concurrent.ConcurrentHashMap<>();

    private WildcardPermission parsed(String permission) {
        if (permission == null) {
            throw new IllegalArgumentException("no permission named"); // as Shiro refuses one
        }
        WildcardPermission p = parsedPermissions.get(permission);
        if (p == null) {
            p = new WildcardPermission(permission); // the realm's resolver: case-insensitive wildcard, the same
            if (parsedPermissions.size() >= 512) {
                parsedPermissions.clear();
            }
            parsedPermissions.put(permission, p);
        }
        return p;
    }

    @Override
    public boolean isPermitted(String username, String permission, String unit) {
        if (unit == null || organisation.find(unit).isEmpty()) {
            return false;
        }
        if (nodeWide(username, permission)) {
            return true;
        }
        for (Grant g : grantsFor(username, permission)) {
            if (g.unit().equals(unit) || (g.subtree() && organisation.within(unit, g.unit()))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Scope scope(String username, String permission) {
        if (nodeWide(username, permission)) {
            return Scope.ALL;
        }
        Set<String> units = new java.util.LinkedHashSet<>();
        for (Grant g : grantsFor(username, permission)) {
            if (g.subtree() && g.unit().equals(nodeCode)) {
                return Scope.ALL;
            }
            if (g.subtree()) {
                units.addAll(organisation.subtree(g.unit()));
            } else if (organisation.find(g.unit()).isPresent()) {
                units.add(g.unit());
            }
        }
        return Scope.of(units);
    }

    /** The user's grants whose role implies the permission (Shiro wildcard implication). */
    private List<Grant> grantsFor(String username, String permission) {
        if (username == null || permission == null) {
            return List.of();
        }
        WildcardPermission wanted = parsed(permission);
        List<Grant> out = new java.util.ArrayList<>();
        try {
            Map<String, Boolean> implied = new java.util.HashMap<>();
            for (Grant g : store.grants(username)) {
                Boolean yes = implied.get(g.role());
                if (yes == null) {
                    yes = false;
                    for (org.apache.shiro.authz.Permission p : resolved(rolePermissions(g.role()))) {
                        yes |= p.implies(wanted);
                    }
                    implied.put(g.role(), yes);
                }
                if (yes) {
                    out.add(g);
                }
            }
        } catch (SQLException e) {
            LOG.error("grants of {} cannot be read: {}", username, e.getMessage());
            return List.of();
        }
        return out;
    }

    @Override
    public List<Grant> grants(String username) {
        try {
            return store.grants(username);
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public Layers layers(String username) {
        try {
            if (store.find(username).isEmpty()) {
                throw new IllegalArgumentException("account.notFound");
            }
            return new Layers(
                    store.roles(username, AccountStore.Layer.LOCAL),
                    store.grants(username, AccountStore.Layer.LOCAL),
                    store.roles(username, AccountStore.Layer.RELEASED),
                    store.grants(username, AccountStore.Layer.RELEASED));
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public void setGrants(String username, List<Grant> grants) {
        checkGrants(grants);
        try {
            if (!store.replaceGrants(username, grants)) {
                throw new IllegalArgumentException("account.notFound");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        audit.record(AuditLog.Event.of("account.grants", username, AuditLog.Result.SUCCESS, describe(grants)));
    }

    /** Checks grants to give: at most 1000, each of a known role over a known unit, once. */
    private void checkGrants(List<Grant> grants) {
        if (grants == null || grants.size() > 1000 || grants.stream().anyMatch(g -> g == null || g.unit() == null)) {
            throw new IllegalArgumentException("grant.bad");
        }
        Set<String> roles = new java.util.HashSet<>();
        Set<String> seen = new java.util.HashSet<>();
        for (Grant g : grants) {
            roles.add(g.role());
            if (organisation.find(g.unit()).isEmpty()) {
                throw new IllegalArgumentException("org.notFound");
            }
            if (!seen.add(g.role() + "@" + g.unit())) {
                throw new IllegalArgumentException("grant.bad");
            }
        }
        checkRoles(roles);
    }

    private static String describe(List<Grant> grants) {
        StringBuilder detail = new StringBuilder();
        for (Grant g : grants) {
            detail.append(detail.length() == 0 ? "" : ", ")
                    .append(g.role())
                    .append('@')
                    .append(g.unit())
                    .append(g.subtree() ? "/*" : "");
        }
        return detail.length() > 900 ? detail.substring(0, 900) + "…" : detail.toString();
    }

    @Override
    public void defineRole(Role role) {
        defineRole(role, null);
    }

    @Override
    public void defineRole(Role role, Mode mode) {
        InheritedRoles.check(role);
        Role clean = new Role(role.name(), role.description().trim(), new java.util.TreeSet<>(role.permissions()));
        Inheritance through = inheritance;
        if (mode != null && through != null) {
            try {
                through.change(
                        InheritedRoles.TOPIC,
                        List.of(new Inheritance.Change(clean.name(), InheritedRoles.json(clean), mode)));
            } catch (LockedException e) {
                throw new IllegalArgumentException("role.locked");
            }
            inheritedRoles.invalidate();
        } else {
            try {
                store.defineRole(clean);
            } catch (SQLException e) {
                throw new IllegalStateException("storage: " + e.getMessage(), e);
            }
        }
        audit.record(AuditLog.Event.of(
                "role.define",
                clean.name(),
                AuditLog.Result.SUCCESS,
                (mode == null ? "this node" : mode.id()) + ", permissions " + clean.permissions()));
    }

    @Override
    public void removeRole(String name) {
        if (ADMIN.equals(name)) {
            throw new IllegalArgumentException("role.builtIn");
        }
        Inheritance through = inheritance;
        Optional<Inheritance.Item> own = through == null
                ? Optional.empty()
                : through.effective(InheritedRoles.TOPIC, name)
                        .filter(i -> i.provenance().overriddenBy() == null
                                ? i.provenance().setBy().code().equals(nodeCode)
                                : i.provenance().overriddenBy().code().equals(nodeCode));
        try {
            if (own.isPresent()) {
                store.checkRoleUnused(name);
                through.change(InheritedRoles.TOPIC, List.of(Inheritance.Change.remove(name)));
                inheritedRoles.invalidate();
                store.removePlaceholder(name);
            } else {
                store.removeRole(name);
            }
        } catch (LockedException e) {
            throw new IllegalArgumentException("role.locked");
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        audit.record(AuditLog.Event.of("role.remove", name, AuditLog.Result.SUCCESS, null));
    }

    @Override
    public void changePassword(String username, char[] current, char[] replacement) throws PasswordPolicyException {
        try {
            Optional<AccountStore.Row> row = store.find(username);
            if (row.isEmpty() || !PasswordHashing.matches(row.get().passwordHash(), current)) {
                audit.record(AuditLog.Event.of("password.change", username, AuditLog.Result.FAILURE, "wrong current"));
                throw new PasswordPolicyException("password.wrongCurrent");
            }
            if (Arrays.equals(current, replacement)) {
                throw new PasswordPolicyException("password.sameAsOld");
            }
            PasswordPolicy p = policy();
            p.check(username, replacement);
            for (String earlier : store.history(username, p.history())) {
                if (PasswordHashing.matches(earlier, replacement)) {
                    throw new PasswordPolicyException("password.reused", p.history());
                }
            }
            store.setPassword(username, PasswordHashing.hash(replacement), false, p.history());
            verified.forget(username);
            LOG.info("Password of {} changed", username);
            audit.record(AuditLog.Event.of("password.change", username, AuditLog.Result.SUCCESS, null));
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    static final java.util.regex.Pattern USERNAME = java.util.regex.Pattern.compile(USERNAME_PATTERN);

    /**
     * The roles of this node: the built-in ones and those defined here only, overlaid by the inheritable
     * definitions (from above, or this node's own), ordered by name. {@code admin} is always the built-in one.
     */
    @Override
    public List<Role> roles() {
        Map<String, Role> out = new java.util.TreeMap<>();
        try {
            store.roleDefinitions().forEach(r -> out.put(r.name(), r));
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        inheritedRoles.get(inheritance).forEach((name, r) -> {
            if (!ADMIN.equals(name)) {
                out.put(name, r);
            }
        });
        return List.copyOf(out.values());
    }

    /** A role's permissions: its inheritable definition where there is one, else the one kept here. */
    Set<String> rolePermissions(String role) throws SQLException {
        Role inherited =
                ADMIN.equals(role) ? null : inheritedRoles.get(inheritance).get(role);
        return inherited != null ? inherited.permissions() : store.rolePermissions(role);
    }

    /** Parsed permissions, by the strings they were parsed from (a handful of distinct sets on a node). */
    private final Map<Set<String>, Set<org.apache.shiro.authz.Permission>> resolved =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** The permissions parsed once for every request that needs them, instead of at each check. */
    private Set<org.apache.shiro.authz.Permission> resolved(Set<String> permissions) {
        Set<org.apache.shiro.authz.Permission> out = resolved.get(permissions);
        if (out == null) {
            Set<org.apache.shiro.authz.Permission> parsed = new java.util.LinkedHashSet<>();
            permissions.forEach(p -> parsed.add(new WildcardPermission(p)));
            out = java.util.Collections.unmodifiableSet(parsed);
            if (resolved.size() >= 1_000) {
                resolved.clear();
            }
            resolved.put(Set.copyOf(permissions), out);
        }
        return out;
    }

    /**
     * Forgets what was read of accounts, roles and grants, for a change made to their tables outside this service
     * (an operator's SQL): otherwise it is seen within {@link AccountStore#READ_TTL_NANOS}.
     */
    void forgetReads() {
        store.forget();
    }

    /** Every permission the account's own roles give (over the whole node). */
    Set<String> permissions(String username) throws SQLException {
        Set<String> out = new java.util.LinkedHashSet<>();
        for (String role : store.roles(username)) {
            out.addAll(rolePermissions(role));
        }
        return out;
    }

    @Override
    public List<Account> list() {
        try {
            return store.list();
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that the roles exist here, and gives each one defined only by inheritance a row of its own, so
     * that accounts and grants can name it.
     */
    private void checkRoles(Set<String> roles) {
        if (roles == null) {
            throw new IllegalArgumentException("account.badRole");
        }
        Map<String, Role> known = new java.util.HashMap<>();
        roles().forEach(r -> known.put(r.name(), r));
        if (!known.keySet().containsAll(roles)) {
            throw new IllegalArgumentException("account.badRole");
        }
        try {
            for (String r : roles) {
                store.ensureRole(known.get(r));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public String create(String username, String displayName, Set<String> roles) {
        return create(username, displayName, roles, List.of());
    }

    @Override
    public String create(String username, String displayName, Set<String> roles, List<Grant> grants) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw new IllegalArgumentException("account.badName");
        }
        if (displayName == null || displayName.isBlank() || displayName.length() > 100) {
            throw new IllegalArgumentException("account.badName");
        }
        checkRoles(roles);
        checkGrants(grants);
        char[] password = policy().generate();
        try {
            if (!store.createIfAbsent(
                    username, displayName.trim(), PasswordHashing.hash(password), true, roles, grants)) {
                throw new IllegalArgumentException("account.exists");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        audit.record(AuditLog.Event.of(
                "account.create",
                username,
                AuditLog.Result.SUCCESS,
                "roles " + roles + (grants.isEmpty() ? "" : ", grants " + describe(grants))));
        String out = new String(password);
        Arrays.fill(password, '\0');
        return out;
    }

    /** Accounts known through single sign-on: {@code <name>@<where the IdP knows them>}. */
    static final java.util.regex.Pattern FEDERATED =
            java.util.regex.Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}@[a-z0-9][a-z0-9.-]{0,62}");

    /** The password hash of a federated account: not a hash format, so no password ever matches it. */
    static final String NO_PASSWORD = "!federated";

    @Override
    public Account federatedLogin(String username, String displayName, Set<String> roles, List<Grant> grants) {
        if (username == null || !FEDERATED.matcher(username).matches()) {
            throw new IllegalArgumentException("account.badName");
        }
        String name = displayName == null || displayName.isBlank() ? username : displayName.strip();
        name = name.length() > 100 ? name.substring(0, 100) : name;
        Map<String, Role> known = new java.util.HashMap<>();
        roles().forEach(r -> known.put(r.name(), r));
        Set<String> kept = new java.util.TreeSet<>();
        (roles == null ? Set.<String>of() : roles)
                .stream().filter(known::containsKey).forEach(kept::add);
        List<Grant> keptGrants = (grants == null ? List.<Grant>of() : grants)
                .stream()
                        .filter(g -> g != null && known.containsKey(g.role()) && g.unit() != null)
                        .filter(g -> organisation.find(g.unit()).isPresent())
                        .distinct()
                        .limit(1000)
                        .toList();
        boolean changed;
        try {
            for (String r : kept) {
                store.ensureRole(known.get(r));
            }
            for (Grant g : keptGrants) {
                store.ensureRole(known.get(g.role()));
            }
            changed = !store.roles(username, AccountStore.Layer.RELEASED).equals(kept)
                    || !new java.util.HashSet<>(store.grants(username, AccountStore.Layer.RELEASED))
                            .equals(new java.util.HashSet<>(keptGrants));
            store.upsertFederated(username, name, NO_PASSWORD, kept, keptGrants);
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        if (changed) {
            // what the identity provider released changed (the first sign-on too): who may do what here changed
            audit.record(AuditLog.Event.of(
                    "account.released",
                    username,
                    AuditLog.Result.SUCCESS,
                    "roles " + kept + (keptGrants.isEmpty() ? "" : ", grants " + describe(keptGrants))));
        }
        verified.forget(username);
        return find(username).orElseThrow(() -> new IllegalStateException("federated account vanished"));
    }

    @Override
    public void setRoles(String username, Set<String> roles) {
        checkRoles(roles);
        try {
            if (!store.replaceRoles(username, roles)) {
                throw new IllegalArgumentException("account.notFound");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        verified.forget(username);
        audit.record(AuditLog.Event.of("account.roles", username, AuditLog.Result.SUCCESS, "roles " + roles));
    }

    @Override
    public void setLocked(String username, boolean locked) {
        try {
            if (!store.setLocked(username, locked)) {
                throw new IllegalArgumentException("account.notFound");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        verified.forget(username);
        audit.record(
                AuditLog.Event.of(locked ? "account.lock" : "account.unlock", username, AuditLog.Result.SUCCESS, null));
    }

    @Override
    public String resetPassword(String username) {
        char[] password = policy().generate();
        try {
            store.setPassword(username, PasswordHashing.hash(password), true, policy().history());
            verified.forget(username);
        } catch (SQLException e) {
            throw new IllegalArgumentException("cannot reset the password of " + username + ": " + e.getMessage(), e);
        }
        LOG.info("One-time password issued for {} (must be changed at next login)", username);
        audit.record(
                AuditLog.Event.of("password.reset", username, AuditLog.Result.SUCCESS, "one-time password issued"));
        return new String(password);
    }

    /** Shiro realm over the account tables. */
    private final class JdbcRealm extends AuthorizingRealm {
        static final String NAME = "edufed-local";

        JdbcRealm() {
            setName(NAME);
            setAuthorizationCachingEnabled(false);
            setAuthenticationCachingEnabled(false);
        }

        @Override
        protected AuthenticationInfo doGetAuthenticationInfo(AuthenticationToken token) {
            String username = ((UsernamePasswordToken) token).getUsername();
            try {
                AccountStore.Row row =
                        store.find(username).orElseThrow(() -> new AuthenticationException("unknown account"));
                return new SimpleAuthenticationInfo(username, row.passwordHash(), getName());
            } catch (SQLException e) {
                throw new AuthenticationException("storage", e);
            }
        }

        @Override
        protected AuthorizationInfo doGetAuthorizationInfo(PrincipalCollection principals) {
            String username = (String) principals.getPrimaryPrincipal();
            try {
                SimpleAuthorizationInfo info = new SimpleAuthorizationInfo();
                info.setObjectPermissions(resolved(permissions(username)));
                return info;
            } catch (SQLException e) {
                throw new AuthenticationException("storage", e);
            }
        }
    }
}
