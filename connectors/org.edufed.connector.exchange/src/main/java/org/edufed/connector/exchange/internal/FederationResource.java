package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code /api/v1/federation}: enrollment tokens, enrolling this node, children, the tree, sync status. */
@Component(service = RestResource.class)
@Path("/federation")
@Produces(MediaType.APPLICATION_JSON)
public final class FederationResource implements RestResource {

    private final FederationComponent federation;
    private final UpwardComponent upward;
    private final Topics topics;

    @Activate
    public FederationResource(
            @Reference FederationComponent federation, @Reference UpwardComponent upward, @Reference Topics topics) {
        this.federation = federation;
        this.upward = upward;
        this.topics = topics;
    }

    /** How long a new token is valid. */
    public record TokenRequest(Integer validityMinutes) {}

    /** Where to enroll, with which token. */
    public record EnrollRequest(String parentUrl, String token) {}

    /** Sync status of this node. */
    public record Status(
            Federation.Parent parent,
            long feedHead,
            int rejectedMessages,
            int outboxDepth,
            int deadLetters,
            java.util.Map<String, String> topics,
            List<FederationStore.Watermark> watermarks) {}

    private static Locale locale(HttpHeaders h) {
        return Texts.of(h.getAcceptableLanguages());
    }

    @POST
    @Path("/tokens")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(Permissions.FEDERATION_ADMIN)
    public Response issueToken(@Context HttpHeaders headers, TokenRequest request) {
        int minutes = request == null || request.validityMinutes() == null ? 60 * 24 : request.validityMinutes();
        if (minutes < 1 || minutes > 7 * 24 * 60) {
            throw new ProblemException(400, "bad-request", Texts.get(locale(headers), "token.badValidity"));
        }
        return Response.status(201)
                .entity(federation.issueToken(Duration.ofMinutes(minutes)))
                .build();
    }

    @POST
    @Path("/enroll")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(Permissions.FEDERATION_ADMIN)
    public Federation.Parent enroll(@Context HttpHeaders headers, EnrollRequest request) {
        if (request == null || request.parentUrl() == null || request.token() == null) {
            throw new ProblemException(400, "bad-request", Texts.get(locale(headers), "enroll.bad"));
        }
        try {
            return federation.enroll(request.parentUrl(), request.token());
        } catch (Federation.EnrollmentException e) {
            throw new ProblemException(
                    422, "enrollment-failed", Texts.get(locale(headers), "enroll.failed", e.getMessage()));
        }
    }

    @GET
    @Path("/parent")
    @RequiresPermission(Permissions.NODE_READ)
    public Federation.Parent parent(@Context HttpHeaders headers) {
        return federation
                .parent()
                .orElseThrow(() -> new ProblemException(404, "not-found", Texts.get(locale(headers), "parent.none")));
    }

    @GET
    @Path("/children")
    @RequiresPermission(Permissions.NODE_READ)
    public List<Federation.Child> children() {
        return federation.children();
    }

    @DELETE
    @Path("/children/{code}")
    @RequiresPermission(Permissions.FEDERATION_ADMIN)
    public Response revoke(@Context HttpHeaders headers, @PathParam("code") String code) {
        if (!federation.revoke(code)) {
            throw new ProblemException(404, "not-found", Texts.get(locale(headers), "child.notFound", code));
        }
        return Response.noContent().build();
    }

    @GET
    @Path("/tree")
    @RequiresPermission(Permissions.NODE_READ)
    public Federation.TreeNode tree() {
        return federation.tree();
    }

    @GET
    @Path("/status")
    @RequiresPermission(Permissions.NODE_READ)
    public Status status() throws SQLException {
        FederationStore store = federation.store();
        Upward.Queue queue = upward.queue();
        return new Status(
                federation.parent().orElse(null),
                store.feedHead(),
                store.rejectedCount(),
                queue.pending(),
                queue.dead(),
                topics.all(),
                store.watermarks());
    }

    /** Records the parent refused for good. */
    @GET
    @Path("/dead")
    @RequiresPermission(Permissions.NODE_READ)
    public List<ObjectNode> dead() throws SQLException {
        return upward.deadLetters();
    }

    /** An operator sends a dead letter again. */
    @POST
    @Path("/dead/{id}/retry")
    @RequiresPermission(Permissions.FEDERATION_ADMIN)
    public Response retry(@Context HttpHeaders headers, @PathParam("id") long id) throws SQLException {
        if (!upward.retry(id)) {
            throw new ProblemException(404, "not-found", Texts.get(locale(headers), "dead.notFound", id));
        }
        return Response.noContent().build();
    }
}
