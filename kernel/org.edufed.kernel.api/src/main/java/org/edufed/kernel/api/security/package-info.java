/**
 * Accounts, the organisation tree and permission checks. Permissions are strings {@code domain:action} (Shiro
 * wildcard permissions); a role held by an account applies to the whole node, a {@link
 * org.edufed.kernel.api.security.Grant} gives one over an organisation unit (and its subtree), and {@link
 * org.edufed.kernel.api.security.Scope} tells a resource which rows a user may see.
 */
@Version("1.4.0")
@Export
package org.edufed.kernel.api.security;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
