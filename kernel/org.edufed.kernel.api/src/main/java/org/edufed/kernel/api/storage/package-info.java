/** Storage: the node's DataSource and per-bundle schema migrations. */
@Version("1.2.0")
@Export
package org.edufed.kernel.api.storage;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
