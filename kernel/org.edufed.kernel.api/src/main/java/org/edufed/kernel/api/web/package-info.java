/**
 * Web contributions: REST resources and console pages are OSGi services the kernel picks up, so a plugin
 * never starts an HTTP server of its own.
 */
@Version("1.4.0")
@Export
package org.edufed.kernel.api.web;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
