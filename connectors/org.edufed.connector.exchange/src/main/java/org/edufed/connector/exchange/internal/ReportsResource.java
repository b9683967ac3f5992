package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.security.Scope;
import org.edufed.kernel.api.storage.Storage;
import org.edufed.kernel.api.web.BodyLimit;
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

    private final UpwardComponent upward;
    private final AccountService accounts;
    private final Storage storage;
    private final NodeIdentity identity;
    private final NodeRef self;

    @Activate
    public ReportsResource(
            @Reference UpwardComponent upward,
            @Reference Storage storage,
            @Reference NodeIdentity identity,
            @Reference AccountService accounts) {
        this.upward = upward;
        this.accounts = accounts;
        this.storage = storage;
        this.identity = identity;
        this.self = new NodeRef(identity.level().id(), identity.code(), identity.name());
    }

    /** A new report. */
    public record NewReport(String title, JsonNode content) {}

    /** A report as held here. */
    public record Report(String id, String origin, long version, Instant receivedAt, JsonNode body) {}

    /** Many reports at once: {@code {"items":[{"title","content"}, …]}}, at most 1,000, all or nothing. */
    public record Batch(List<NewReport> items) {}

    /** How many reports a batch wrote. */
    public record Written(int count) {}

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(WRITE)
    public Response create(@Context HttpHeaders headers, @Context SecurityContext security, NewReport report)
            throws SQLException {
        List<Report> written = write(headers, security, List.of(report == null ? new NewReport(null, null) : report));
        return Response.status(201).entity(written.get(0)).build();
    }

    @POST
    @BodyLimit(InheritedResource.BATCH_LIMIT)
    @Path("/batch")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(WRITE)
    public Response createMany(@Context HttpHeaders headers, @Context SecurityContext security, Batch batch)
            throws SQLException {
        if (batch == null
                || batch.items() == null
                || batch.items().isEmpty()
                || batch.items().size() > 1000) {
            throw new ProblemException(
                    400, "bad-request", Texts.get(Texts.of(headers.getAcceptableLanguages()), "item.badBatch"));
        }
        return Response.status(201)
                .entity(new Written(write(headers, security, batch.items()).size()))
                .build();
    }

    /** Checks every report first, then writes them all and queues them for the parent in one transaction. */
    private List<Report> write(HttpHeaders headers, SecurityContext security, List<NewReport> reports)
            throws SQLException {
        for (NewReport report : reports) {
            if (report == null
                    || report.title() == null
                    || report.title().isBlank()
                    || report.title().length() > 200
                    || report.content() == null
                    || report.content().toString().length() > 20_000) {
                throw new ProblemException(
                        400, "bad-request", Texts.get(Texts.of(headers.getAcceptableLanguages()), "report.bad"));
            }
        }
        String user = security.getUserPrincipal().getName();
        Instant now = Instant.now();
        return storage.inTransaction(c -> {
            List<Report> out = new ArrayList<>(reports.size()); // inside: a retried transaction starts afresh
            List<Upward.Entry> entries = new ArrayList<>(reports.size());
            for (NewReport report : reports) {
                String localId = UUID.randomUUID().toString();
                ObjectNode body = Json.object()
                        .put("title", report.title().trim())
                        .put("createdBy", user)
                        .put("createdAt", now.toString());
                body.set("node", InheritanceComponent.refJson(self));
                body.set("content", report.content());
                entries.add(new Upward.Entry(localId, 1, Json.text(body), false));
                out.add(new Report(identity.code() + ":" + localId, identity.code(), 1, now, body));
            }
            upward.enqueueCreated(c, TOPIC, entries); // fresh random ids: nothing held to compare with
            return out;
        });
    }

    /**
     * The reports held here from the units where the user may read them (all of them with a role over the whole
     * node), or from one {@code origin} node in scope; filtered in the query.
     */
    @GET
    @RequiresPermission(value = Permissions.NODE_READ, unit = RequiresPermission.ANY_UNIT)
    public List<Report> list(
            @Context HttpHeaders headers,
            @Context SecurityContext security,
            @QueryParam("origin") String origin,
            @QueryParam("limit") @DefaultValue("200") int limit) {
        Scope scope = accounts.scope(security.getUserPrincipal().getName(), Permissions.NODE_READ);
        if (origin != null) {
            if (!scope.covers(origin)) {
                throw new ProblemException(
                        403, "forbidden", Texts.get(Texts.of(headers.getAcceptableLanguages()), "report.outOfScope"));
            }
            scope = Scope.of(java.util.Set.of(origin));
        }
        List<Report> out = new ArrayList<>();
        for (Upward.Record r : upward.records(TOPIC, scope, limit)) {
            out.add(new Report(r.globalId(), r.origin(), r.version(), r.receivedAt(), Json.parse(r.payload())));
        }
        return out;
    }
}
