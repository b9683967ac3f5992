package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.ws.rs.Consumes;
import javax.ws.rs.DefaultValue;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.SecurityContext;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.storage.Storage;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/reports}: reports a node sends up the tree (statistics, notices to the level above). A
 * report is written and queued for the parent in one transaction; every level above keeps it, so the
 * province sees the reports of its whole tree. The first upward topic, and the pattern plugins follow.
 */
@Component(service = RestResource.class)
@Path("/reports")
@Produces(MediaType.APPLICATION_JSON)
public final class ReportsResource implements RestResource {

    static final String TOPIC = "reports";
    static final String WRITE = "reports:write";

    private final Upward upward;
    private final Storage storage;
    private final NodeIdentity identity;

    @Activate
    public ReportsResource(@Reference Upward upward, @Reference Storage storage, @Reference NodeIdentity identity) {
        this.upward = upward;
        this.storage = storage;
        this.identity = identity;
    }

    /** A new report. */
    public record NewReport(String title, JsonNode content) {}

    /** A report as held here. */
    public record Report(String id, String origin, long version, Instant receivedAt, JsonNode body) {}

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(WRITE)
    public Response create(@Context HttpHeaders headers, @Context SecurityContext security, NewReport report)
            throws SQLException {
        if (report == null
                || report.title() == null
                || report.title().isBlank()
                || report.title().length() > 200
                || report.content() == null
                || report.content().toString().length() > 20_000) {
            throw new ProblemException(
                    400, "bad-request", Texts.get(Texts.of(headers.getAcceptableLanguages()), "report.bad"));
        }
        String localId = UUID.randomUUID().toString();
        com.fasterxml.jackson.databind.node.ObjectNode body = Json.object()
                .put("title", report.title().trim())
                .put("createdBy", security.getUserPrincipal().getName())
                .put("createdAt", Instant.now().toString());
        body.set(
                "node",
                SettingsComponent.refJson(new org.edufed.kernel.api.federation.NodeRef(
                        identity.level().id(), identity.code(), identity.name())));
        body.set("content", report.content());
        storage.inTransaction(c -> {
            upward.enqueue(c, TOPIC, localId, 1, Json.text(body), false);
            return null;
        });
        return Response.status(201)
                .entity(new Report(identity.code() + ":" + localId, identity.code(), 1, Instant.now(), body))
                .build();
    }

    @GET
    @RequiresPermission(Permissions.NODE_READ)
    public List<Report> list(@QueryParam("limit") @DefaultValue("200") int limit) {
        List<Report> out = new ArrayList<>();
        for (Upward.Record r : upward.records(TOPIC, limit)) {
            out.add(new Report(r.globalId(), r.origin(), r.version(), r.receivedAt(), Json.parse(r.payload())));
        }
        return out;
    }
}
