/** Encryption of personal data at rest (SM4), with keys kept outside the database. */
@Version("1.2.0")
@Export
package org.edufed.kernel.api.crypto;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
