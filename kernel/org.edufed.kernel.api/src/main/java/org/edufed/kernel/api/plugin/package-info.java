/**
 * The plugin platform as the rest of the kernel sees it: which installed plugin a bundle belongs to and what
 * its certified descriptor lets it use. Plugins themselves need nothing from this package.
 */
@Version("1.1.0")
@Export
package org.edufed.kernel.api.plugin;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
