package org.edufed.kernel.web.internal.rest;

import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import org.edufed.kernel.api.HealthService;
import org.edufed.kernel.api.web.PublicEndpoint;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code GET /api/v1/health}: liveness and readiness, without authentication. 200 when ready, 503 when not. */
@Component(service = RestResource.class)
@Path("/health")
public final class HealthResource implements RestResource {

    private final HealthService health;

    @Activate
    public HealthResource(@Reference HealthService health) {
        this.health = health;
    }

    /** What health reports: {@code live} is always true when the node answers at all. */
    public record HealthBody(
            String status,
            boolean live,
            boolean ready,
            long uptimeSeconds,
            java.util.List<HealthService.Check> checks) {}

    @GET
    @PublicEndpoint
    @Produces(MediaType.APPLICATION_JSON)
    public Response get() {
        HealthService.Report r = health.report();
        HealthBody body = new HealthBody(r.ready() ? "UP" : "DOWN", true, r.ready(), r.uptimeSeconds(), r.checks());
        return Response.status(r.ready() ? 200 : 503).entity(body).build();
    }
}
