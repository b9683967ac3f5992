package org.edufed.kernel.api.security;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** Local accounts of this node: authentication, permission checks and password changes. */
@ProviderType
public interface AccountService {

    /** The bootstrap administrator created on first start. */
    String ADMIN = "admin";

    /** What a local account's name may be (a regular expression): 2 to 64 of {@code a-z 0-9 . _ -}. @since 1.3 */
    String USERNAME_PATTERN = "[a-z0-9][a-z0-9._-]{1,63}";

    /**
     * Checks a username and password. Returns the account when they match; empty otherwise (unknown user,
     * wrong password and locked account are not told apart to the caller).
     */
    Optional<Account> authenticate(String username, char[] password);

    Optional<Account> find(String username);

    /**
     * Whether the user holds the permission over the whole node (Shiro wildcard semantics): through a role of
     * the account, or a grant over this node's own unit with its subtree.
     */
    boolean isPermitted(String username, String permission);

    /**
     * Whether the user holds the permission over the organisation unit {@code unit}: over the whole node, or
     * through a grant over that unit (or one above it, with its subtree).
     */
    boolean isPermitted(String username, String permission, String unit);

    /** Where the user holds the permission, for filtering data by scope in the query itself. */
    Scope scope(String username, String permission);

    /** The user's grants over organisation units (roles over the whole node are {@link Account#roles()}). */
    java.util.List<Grant> grants(String username);

    /**
     * Replaces the user's grants over organisation units.
     *
     * @throws IllegalArgumentException {@code account.notFound}, {@code account.badRole} or {@code org.notFound}
     */
    void setGrants(String username, java.util.List<Grant> grants);

    /**
     * Changes a password after checking the current one and the password policy.
     *
     * @throws PasswordPolicyException when the new password is refused; its message says why
     */
    void changePassword(String username, char[] current, char[] replacement) throws PasswordPolicyException;

    /**
     * Gives the user a new random one-time password that must be changed at the next login, and returns it.
     * For operators with shell access ({@code edufed:admin-reset}).
     */
    String resetPassword(String username);

    /** A role: a name and the permissions (Shiro wildcard strings) it grants. */
    record Role(String name, String description, java.util.Set<String> permissions) {}

    /** The roles defined at this node. */
    java.util.List<Role> roles();

    /**
     * Defines a role, or replaces the description and permissions of one (accounts and grants holding it keep
     * it).
     *
     * @throws IllegalArgumentException {@code role.bad} when the name or a permission is not valid, {@code
     *     role.builtIn} for {@code admin}
     */
    void defineRole(Role role);

    /**
     * Defines a role as an inheritable item of this node with the mode given: {@code locked} or {@code
     * overridable} definitions reach every node below (a province defines its standard roles once), {@code
     * local} ones stay here. Without the federation it is kept here only, as {@link #defineRole(Role)} does.
     *
     * @throws IllegalArgumentException as {@link #defineRole(Role)}, or {@code role.locked} when a level above
     *     has locked the role's definition
     */
    void defineRole(Role role, org.edufed.kernel.api.federation.Mode mode);

    /**
     * Removes a role no account or grant holds.
     *
     * @throws IllegalArgumentException {@code role.notFound}, {@code role.inUse}, {@code role.builtIn}
     */
    void removeRole(String name);

    /** Every local account, ordered by name. */
    java.util.List<Account> list();

    /**
     * Creates an account holding existing roles and returns its one-time password, to be handed over and
     * changed at the first login.
     *
     * @throws IllegalArgumentException with a message key ({@code account.badName}, {@code account.exists},
     *     {@code account.badRole})
     */
    String create(String username, String displayName, java.util.Set<String> roles);

    /**
     * Admits a user whom a trusted identity provider has authenticated (SAML single sign-on): creates or updates
     * the local account {@code username} ({@code name@qualifier}, which cannot log in with a password), in one
     * transaction. The roles and grants given replace those the identity provider released at the last sign-on
     * (those that do not exist at this node are dropped); roles and grants given at this node ({@link #setRoles},
     * {@link #setGrants}) stay. The caller has verified the assertion and records the login in the audit trail.
     *
     * @return the account as it is now
     * @throws IllegalArgumentException {@code account.badName} when the name is not {@code name@qualifier}
     * @since 1.3
     */
    Account federatedLogin(
            String username, String displayName, java.util.Set<String> roles, java.util.List<Grant> grants);

    /**
     * Creates an account as {@link #create(String, String, java.util.Set)} does, with grants over organisation
     * units too, all in one transaction (a refused grant creates nothing).
     *
     * @throws IllegalArgumentException as {@link #create(String, String, java.util.Set)} and {@link #setGrants}
     * @since 1.3
     */
    String create(String username, String displayName, java.util.Set<String> roles, java.util.List<Grant> grants);

    /**
     * Replaces the roles given to an account at this node (for a federated account, those released by its
     * identity provider stay apart: see {@link #layers}).
     *
     * @throws IllegalArgumentException {@code account.notFound} or {@code account.badRole}
     */
    void setRoles(String username, java.util.Set<String> roles);

    /**
     * The two layers of an account's roles and grants: those given at this node ({@link #setRoles}, {@link
     * #setGrants}; kept), and those its identity provider released at the last sign-on ({@link #federatedLogin};
     * replaced at each). What applies ({@link Account#roles()}, {@link #grants}) is both.
     *
     * @throws IllegalArgumentException {@code account.notFound}
     * @since 1.4
     */
    Layers layers(String username);

    /**
     * An account's roles and grants by where they come from.
     *
     * @param roles the roles given at this node
     * @param grants the grants given at this node
     * @param releasedRoles the roles an identity provider released at the last sign-on
     * @param releasedGrants the grants an identity provider released at the last sign-on
     * @since 1.4
     */
    record Layers(
            java.util.Set<String> roles,
            java.util.List<Grant> grants,
            java.util.Set<String> releasedRoles,
            java.util.List<Grant> releasedGrants) {}

    /** Locks or unlocks an account; a locked account cannot log in. @throws IllegalArgumentException if unknown */
    void setLocked(String username, boolean locked);

    /**
     * Refused password change: the message is a stable key ({@code password.tooShort}, …), with the values its
     * text names (the minimum length, …).
     */
    final class PasswordPolicyException extends Exception {
        private static final long serialVersionUID = 1L;

        private final transient Object[] args;

        public PasswordPolicyException(String key, Object... args) {
            super(key);
            this.args = args.clone();
        }

        /** The values the message's text names, in order. */
        public Object[] args() {
            return args.clone();
        }
    }
}
