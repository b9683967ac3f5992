/** Accounts and permission checks. Permissions are strings {@code domain:action[:scope]} (Shiro wildcard permissions) so that org scopes can be added as a third part. */
@Version("1.1.0")
@Export
package org.edufed.kernel.api.security;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
