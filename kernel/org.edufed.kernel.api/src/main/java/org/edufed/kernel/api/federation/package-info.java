/**
 * The federation: enrollment of a node under its parent, the inheritance of items down the tree (with
 * {@link org.edufed.kernel.api.federation.Mode locked / overridable / local} and provenance), and the
 * tree as the upper levels see it.
 */
@Version("1.5.0")
@Export
package org.edufed.kernel.api.federation;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
