package org.edufed.kernel.api.security;

/** Permissions the kernel itself checks. Plugins declare their own in the same {@code domain:action} form. */
public final class Permissions {
    /** See this node's identity, features and status. */
    public static final String NODE_READ = "node:read";
    /** Manage accounts of this node. */
    public static final String ACCOUNT_ADMIN = "account:admin";
    /** Issue enrollment tokens, enroll this node, revoke children. */
    public static final String FEDERATION_ADMIN = "federation:admin";
    /** Add and remove the organisation units inside this node (departments, grades, classes). */
    public static final String ORG_ADMIN = "org:admin";
    /** Set and remove this node's inheritable settings. */
    public static final String SETTINGS_WRITE = "settings:write";

    /**
     * Register and remove the service providers outside the tree (a portal) at this node's SAML identity provider.
     *
     * @since 1.4
     */
    public static final String SSO_ADMIN = "sso:admin";

    /** Reading and verifying the audit trail (a security officer's permission, 安全审计员). */
    public static final String AUDIT_READ = "audit:read";

    private Permissions() {}
}
