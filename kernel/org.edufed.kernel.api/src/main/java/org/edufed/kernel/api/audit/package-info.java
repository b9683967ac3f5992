/**
 * The audit trail: who did what, where, when and with which result — logins, permission and configuration
 * changes, federation and plugin changes, exports and views of personal data — append-only and hash-chained
 * (SM3), with a verification that finds any entry changed or removed.
 */
@Version("1.0.0")
@Export
package org.edufed.kernel.api.audit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
