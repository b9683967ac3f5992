package org.edufed.kernel.api.web;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Marker for a JAX-RS root resource (a class annotated with {@code @Path}) registered as an OSGi service.
 * The kernel publishes every such service under {@code /api/v1}, documents it in the OpenAPI document, and
 * checks every request: a method without {@link RequiresPermission} or {@link PublicEndpoint} needs an
 * authenticated user.
 */
@ConsumerType
public interface RestResource {}
