package org.edufed.kernel.core.internal.security;

import static org.edufed.kernel.core.internal.storage.Queries.count;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Grant;
import org.edufed.kernel.api.storage.Storage;

/** SQL for accounts, roles and permissions; every statement prepared, every write in one transaction. */
final class AccountStore {

    /** An account row with what only the kernel sees. */
    record Row(
            Account account, String passwordHash, int failedLogins, Instant lastFailure, Instant passwordChangedAt) {}

    private final Storage storage;

    /**
     * How long what was read of an account (its row, roles, grants, a role's permissions) is reused. Every
     * request reads them to authenticate and authorise; a write through this store forgets them at once (after
     * its commit), so this bounds only what is changed in the database behind the node's back. Inherited role
     * definitions are reread as often ({@link InheritedRoles#TTL_MS}).
     */
    static final long READ_TTL_NANOS = 2_000_000_000L;

    private static final int MAX_CACHED = 10_000;

    /** Bumped after every write: what was read under an older generation is not reused. */
    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

    private record Read<T>(T value, long generation, long until) {}

    @FunctionalInterface
    private interface Reader<T> {
        T read() throws SQLException;
    }

    private final java.util.Map<String, Read<Optional<Row>>> rows = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, Read<Set<String>>> accountRoles =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, Read<List<Grant>>> accountGrants =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, Read<Set<String>>> permissionsOfRole =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** A read of {@code key} reused while no write came after it and it is younger than {@link #READ_TTL_NANOS}. */
    private <T> T reused(java.util.Map<String, Read<T>> cache, String key, Reader<T> reader) throws SQLException {
        long now = System.nanoTime();
        long gen = generation.get();
        Read<T> r = cache.get(key);
        if (r != null && r.generation() == gen && r.until() - now > 0) {
            return r.value();
        }
        T value = reader.read(); // read after taking the generation: a write committed meanwhile makes it stale
        if (cache.size() >= MAX_CACHED) {
            cache.clear();
        }
        cache.put(key, new Read<>(value, gen, now + READ_TTL_NANOS));
        return value;
    }

    /** Runs a write in one transaction and then forgets every read (also when it fails: it may have half-run). */
    private <T> T write(Storage.TransactionalWork<T> work) throws SQLException {
        try {
            return storage.inTransaction(work);
        } finally {
            generation.incrementAndGet();
        }
    }

    /** Forgets every read of accounts, for a change made to the role definitions elsewhere (inherited). */
    void forget() {
        generation.incrementAndGet();
    }

    AccountStore(Storage storage) {
        this.storage = storage;
    }

    Optional<Row> find(String username) throws SQLException {
        return reused(rows, username, () -> {
            try (Connection c = storage.dataSource().getConnection()) {
                return find(c, username);
            }
        });
    }

    private Optional<Row> find(Connection c, String username) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT username, display_name, password_hash, must_change, locked, failed_logins, last_failure,"
                        + " created_at, last_login, password_changed_at FROM edufed_account WHERE username = ?")) {
            ps.setString(1, username);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Account account = new Account(
                        rs.getString(1),
                        rs.getString(2),
                        roles(c, username),
                        rs.getBoolean(4),
                        rs.getBoolean(5),
                        instant(rs.getTimestamp(8)),
                        instant(rs.getTimestamp(9)));
                return Optional.of(new Row(
                        account,
                        rs.getString(3),
                        rs.getInt(6),
                        instant(rs.getTimestamp(7)),
                        instant(rs.getTimestamp(10))));
            }
        }
    }

    /** The account's own roles (over the whole node), without reading the account row. */
    Set<String> roles(String username) throws SQLException {
        return reused(accountRoles, username, () -> {
            try (Connection c = storage.dataSource().getConnection()) {
                return java.util.Collections.unmodifiableSet(roles(c, username));
            }
        });
    }

    /** The roles that apply: those given at this node and those an identity provider released. */
    Set<String> roles(Connection c, String username) throws SQLException {
        Set<String> roles = new LinkedHashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT role_name FROM edufed_account_role WHERE username = ?"
                + " UNION SELECT role_name FROM edufed_account_role_idp WHERE username = ? ORDER BY 1")) {
            ps.setString(1, username);
            ps.setString(2, username);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    roles.add(rs.getString(1));
                }
            }
        }
        return roles;
    }

    /** Creates an account with its roles, unless it exists; returns whether it was created. */
    boolean createIfAbsent(String username, String displayName, String hash, boolean mustChange, Set<String> roles)
            throws SQLException {
        return createIfAbsent(username, displayName, hash, mustChange, roles, List.of());
    }

    /** Creates an account with its roles and grants in one transaction, unless it exists. */
    boolean createIfAbsent(
            String username, String displayName, String hash, boolean mustChange, Set<String> roles, List<Grant> grants)
            throws SQLException {
        return write(c -> {
            if (find(c, username).isPresent()) {
                return false;
            }
            Timestamp now = Timestamp.from(Instant.now());
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO edufed_account (username, display_name,"
                    + " password_hash, must_change, locked, failed_logins, created_at, password_changed_at)"
                    + " VALUES (?, ?, ?, ?, ?, 0, ?, ?)")) {
                ps.setString(1, username);
                ps.setString(2, displayName);
                ps.setString(3, hash);
                ps.setBoolean(4, mustChange);
                ps.setBoolean(5, false);
                ps.setTimestamp(6, now);
                ps.setTimestamp(7, now);
                ps.executeUpdate();
            }
            insertRoles(c, username, roles);
            insertGrants(c, username, grants);
            return true;
        });
    }

    /** Where a layer of roles and grants is kept: given at this node, or released by an identity provider. */
    enum Layer {
        LOCAL("edufed_account_role", "edufed_grant"),
        RELEASED("edufed_account_role_idp", "edufed_grant_idp");

        final String roles;
        final String grants;

        Layer(String roles, String grants) {
            this.roles = roles;
            this.grants = grants;
        }
    }

    /** The roles of one layer. */
    Set<String> roles(String username, Layer layer) throws SQLException {
        Set<String> roles = new LinkedHashSet<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT role_name FROM " + layer.roles + " WHERE username = ? ORDER BY role_name")) {
            ps.setString(1, username);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    roles.add(rs.getString(1));
                }
            }
        }
        return roles;
    }

    /** The grants of one layer, ordered by unit and role. */
    List<Grant> grants(String username, Layer layer) throws SQLException {
        List<Grant> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT role_name, unit_code, subtree FROM " + layer.grants
                        + " WHERE username = ? ORDER BY unit_code, role_name")) {
            ps.setString(1, username);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Grant(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        return out;
    }

    /**
     * Creates or updates an account known through single sign-on, in one transaction: the display name, the
     * roles and the grants its identity provider released replaced by those given, the login recorded; the roles
     * and grants given at this node stay. Its password hash is {@code hash}, one that never verifies.
     */
    void upsertFederated(String username, String displayName, String hash, Set<String> roles, List<Grant> grants)
            throws SQLException {
        write(c -> {
            Timestamp now = Timestamp.from(Instant.now());
            if (find(c, username).isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO edufed_account (username, display_name,"
                        + " password_hash, must_change, locked, failed_logins, created_at, password_changed_at,"
                        + " last_login) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)")) {
                    ps.setString(1, username);
                    ps.setString(2, displayName);
                    ps.setString(3, hash);
                    ps.setBoolean(4, false);
                    ps.setBoolean(5, false);
                    ps.setTimestamp(6, now);
                    ps.setTimestamp(7, now);
                    ps.setTimestamp(8, now);
                    ps.executeUpdate();
                }
            } else {
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE edufed_account SET display_name = ?, last_login = ? WHERE username = ?")) {
                    ps.setString(1, displayName);
                    ps.setTimestamp(2, now);
                    ps.setString(3, username);
                    ps.executeUpdate();
                }
            }
            for (String table : new String[] {Layer.RELEASED.roles, Layer.RELEASED.grants}) {
                try (PreparedStatement del = c.prepareStatement("DELETE FROM " + table + " WHERE username = ?")) {
                    del.setString(1, username);
                    del.executeUpdate();
                }
            }
            insertRoles(c, username, roles, Layer.RELEASED);
            insertGrants(c, username, grants, Layer.RELEASED);
            return null;
        });
    }

    List<Account> list() throws SQLException {
        List<Account> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT username FROM edufed_account ORDER BY username");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                find(c, rs.getString(1)).ifPresent(r -> out.add(r.account()));
            }
        }
        return out;
    }

    List<AccountService.Role> roleDefinitions() throws SQLException {
        List<AccountService.Role> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT name, description FROM edufed_role ORDER BY name");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Set<String> perms = new LinkedHashSet<>();
                try (PreparedStatement p = c.prepareStatement(
                        "SELECT permission FROM edufed_role_permission WHERE role_name = ? ORDER BY permission")) {
                    p.setString(1, rs.getString(1));
                    try (ResultSet prs = p.executeQuery()) {
                        while (prs.next()) {
                            perms.add(prs.getString(1));
                        }
                    }
                }
                out.add(new AccountService.Role(rs.getString(1), rs.getString(2), perms));
            }
        }
        return out;
    }

    /** Replaces the roles of an existing account; false when there is no such account. */
    boolean replaceRoles(String username, Set<String> roles) throws SQLException {
        return write(c -> {
            if (find(c, username).isEmpty()) {
                return false;
            }
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_account_role WHERE username = ?")) {
                del.setString(1, username);
                del.executeUpdate();
            }
            insertRoles(c, username, roles);
            return true;
        });
    }

    /** Locks or unlocks; false when there is no such account. */
    boolean setLocked(String username, boolean locked) throws SQLException {
        return write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE edufed_account SET locked = ? WHERE username = ?")) {
                ps.setBoolean(1, locked);
                ps.setString(2, username);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** The account's earlier password hashes, newest first, at most {@code limit}. */
    List<String> history(String username, int limit) throws SQLException {
        List<String> out = new ArrayList<>();
        if (limit <= 0) {
            return out;
        }
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT password_hash FROM edufed_password_history"
                        + " WHERE username = ? ORDER BY changed_at DESC")) {
            ps.setString(1, username);
            ps.setMaxRows(limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /**
     * Sets a new password; the one it replaces goes into the history, of which the newest {@code keep} stay
     * (one-time passwords are not kept: they are never chosen by the user).
     */
    void setPassword(String username, String hash, boolean mustChange, int keep) throws SQLException {
        write(c -> {
            Optional<Row> before = find(c, username);
            if (before.isPresent() && !before.get().account().mustChangePassword() && keep > 0) {
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO edufed_password_history (username,"
                        + " changed_at, password_hash) VALUES (?, ?, ?)")) {
                    ins.setString(1, username);
                    ins.setTimestamp(2, Timestamp.from(Instant.now()));
                    ins.setString(3, before.get().passwordHash());
                    ins.executeUpdate();
                }
            }
            List<Timestamp> times = new ArrayList<>();
            try (PreparedStatement q = c.prepareStatement(
                    "SELECT changed_at FROM edufed_password_history WHERE username = ? ORDER BY changed_at DESC")) {
                q.setString(1, username);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        times.add(rs.getTimestamp(1));
                    }
                }
            }
            if (times.size() > keep) {
                try (PreparedStatement del = c.prepareStatement(
                        "DELETE FROM edufed_password_history WHERE username = ? AND changed_at <= ?")) {
                    del.setString(1, username);
                    del.setTimestamp(2, times.get(keep));
                    del.executeUpdate();
                }
            }
            try (PreparedStatement ps =
                    c.prepareStatement("UPDATE edufed_account SET password_hash = ?, must_change = ?,"
                            + " password_changed_at = ?, failed_logins = 0, last_failure = NULL WHERE username = ?")) {
                ps.setString(1, hash);
                ps.setBoolean(2, mustChange);
                ps.setTimestamp(3, Timestamp.from(Instant.now()));
                ps.setString(4, username);
                if (ps.executeUpdate() != 1) {
                    throw new SQLException("no account " + username, "02000");
                }
            }
            return null;
        });
    }

    void recordSuccess(String username) throws SQLException {
        write(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE edufed_account SET failed_logins = 0, last_failure = NULL, last_login = ? WHERE username = ?")) {
                ps.setTimestamp(1, Timestamp.from(Instant.now()));
                ps.setString(2, username);
                ps.executeUpdate();
            }
            return null;
        });
    }

    void recordFailure(String username) throws SQLException {
        write(c -> {
            try (PreparedStatement ps =
                    c.prepareStatement("UPDATE edufed_account SET failed_logins = failed_logins + 1,"
                            + " last_failure = ? WHERE username = ?")) {
                ps.setTimestamp(1, Timestamp.from(Instant.now()));
                ps.setString(2, username);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * The user's grants over organisation units that apply (given at this node and released by an identity
     * provider), ordered by unit and role.
     */
    List<Grant> grants(String username) throws SQLException {
        return reused(accountGrants, username, () -> List.copyOf(readGrants(username)));
    }

    private List<Grant> readGrants(String username) throws SQLException {
        List<Grant> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT role_name, unit_code, subtree FROM edufed_grant"
                        + " WHERE username = ? UNION SELECT role_name, unit_code, subtree FROM edufed_grant_idp"
                        + " WHERE username = ? ORDER BY 2, 1")) {
            ps.setString(1, username);
            ps.setString(2, username);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Grant(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        return out;
    }

    /** Replaces the grants of an existing account; false when there is no such account. */
    boolean replaceGrants(String username, List<Grant> grants) throws SQLException {
        return write(c -> {
            if (find(c, username).isEmpty()) {
                return false;
            }
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_grant WHERE username = ?")) {
                del.setString(1, username);
                del.executeUpdate();
            }
            insertGrants(c, username, grants);
            return true;
        });
    }

    /** The permissions of one role (empty when it has none or does not exist). */
    Set<String> rolePermissions(String role) throws SQLException {
        return reused(permissionsOfRole, role, () -> java.util.Collections.unmodifiableSet(readRolePermissions(role)));
    }

    private Set<String> readRolePermissions(String role) throws SQLException {
        Set<String> perms = new LinkedHashSet<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT permission FROM edufed_role_permission WHERE role_name = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    perms.add(rs.getString(1));
                }
            }
        }
        return perms;
    }

    /** Creates a role or replaces its description and permissions. */
    void defineRole(AccountService.Role role) throws SQLException {
        write(c -> {
            try (PreparedStatement up = c.prepareStatement("UPDATE edufed_role SET description = ? WHERE name = ?")) {
                up.setString(1, role.description());
                up.setString(2, role.name());
                if (up.executeUpdate() == 0) {
                    try (PreparedStatement ins =
                            c.prepareStatement("INSERT INTO edufed_role (name, description) VALUES (?, ?)")) {
                        ins.setString(1, role.name());
                        ins.setString(2, role.description());
                        ins.executeUpdate();
                    }
                }
            }
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_role_permission WHERE role_name = ?")) {
                del.setString(1, role.name());
                del.executeUpdate();
            }
            try (PreparedStatement ps =
                    c.prepareStatement("INSERT INTO edufed_role_permission (role_name, permission) VALUES (?, ?)")) {
                for (String p : role.permissions()) {
                    ps.setString(1, role.name());
                    ps.setString(2, p);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** Gives a role defined elsewhere (inherited) a row here, without permissions, so that others can name it. */
    void ensureRole(AccountService.Role role) throws SQLException {
        write(c -> {
            if (count(c, "SELECT COUNT(*) FROM edufed_role WHERE name = ?", role.name()) == 0) {
                try (PreparedStatement ins =
                        c.prepareStatement("INSERT INTO edufed_role (name, description) VALUES (?, ?)")) {
                    ins.setString(1, role.name());
                    ins.setString(2, role.description());
                    ins.executeUpdate();
                }
            }
            return null;
        });
    }

    /** Removes the row {@link #ensureRole} made for a role defined elsewhere (one without permissions here). */
    void removePlaceholder(String name) throws SQLException {
        write(c -> {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_role WHERE name = ? AND NOT EXISTS"
                    + " (SELECT 1 FROM edufed_role_permission WHERE role_name = ?)")) {
                del.setString(1, name);
                del.setString(2, name);
                del.executeUpdate();
            }
            return null;
        });
    }

    /** Throws {@code role.inUse} when an account or a grant holds the role. */
    void checkRoleUnused(String name) throws SQLException {
        try (Connection c = storage.dataSource().getConnection()) {
            checkRoleUnused(c, name);
        }
    }

    private static void checkRoleUnused(Connection c, String name) throws SQLException {
        if (count(c, "SELECT COUNT(*) FROM edufed_account_role WHERE role_name = ?", name)
                        + count(c, "SELECT COUNT(*) FROM edufed_grant WHERE role_name = ?", name)
                        + count(c, "SELECT COUNT(*) FROM edufed_account_role_idp WHERE role_name = ?", name)
                        + count(c, "SELECT COUNT(*) FROM edufed_grant_idp WHERE role_name = ?", name)
                > 0) {
            throw new IllegalArgumentException("role.inUse");
        }
    }

    /** Removes a role nobody holds; {@code role.notFound} or {@code role.inUse} otherwise. */
    void removeRole(String name) throws SQLException {
        write(c -> {
            if (count(c, "SELECT COUNT(*) FROM edufed_role WHERE name = ?", name) == 0) {
                throw new IllegalArgumentException("role.notFound");
            }
            checkRoleUnused(c, name);
            for (String sql : List.of(
                    "DELETE FROM edufed_role_permission WHERE role_name = ?",
                    "DELETE FROM edufed_role WHERE name = ?")) {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setString(1, name);
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    private static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }

    private static void insertRoles(Connection c, String username, Set<String> roles) throws SQLException {
        insertRoles(c, username, roles, Layer.LOCAL);
    }

    private static void insertRoles(Connection c, String username, Set<String> roles, Layer layer) throws SQLException {
        if (roles.isEmpty()) {
            return;
        }
        try (PreparedStatement ps =
                c.prepareStatement("INSERT INTO " + layer.roles + " (username, role_name) VALUES (?, ?)")) {
            for (String role : roles) {
                ps.setString(1, username);
                ps.setString(2, role);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void insertGrants(Connection c, String username, List<Grant> grants) throws SQLException {
        insertGrants(c, username, grants, Layer.LOCAL);
    }

    private static void insertGrants(Connection c, String username, List<Grant> grants, Layer layer)
            throws SQLException {
        if (grants.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO " + layer.grants + " (username, role_name, unit_code, subtree) VALUES (?, ?, ?, ?)")) {
            for (Grant g : grants) {
                ps.setString(1, username);
                ps.setString(2, g.role());
                ps.setString(3, g.unit());
                ps.setBoolean(4, g.subtree());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
