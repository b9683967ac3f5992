/** Node identity, levels and health: the kernel API every bundle and plugin may use. */
@Version("1.3.0")
@Export
package org.edufed.kernel.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
