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
    private final Sync sync;
    private final Reconciler reconciler;

    @Activate
    public FederationResource(
            @Reference FederationComponent federation,
            @Reference UpwardComponent upward,
            @Reference Sync sync,
            @Reference Reconciler reconciler) {
        this.reconciler = reconciler;
        this.federation = federation;
        this.upward = upward;
        this.sync = sync;
    }

    /** How long a new token is valid. */
    public record TokenRequest(Integer validityMinutes) {}

    /** Where to enroll, with which token. */
    public record EnrollRequest(String parentUrl, String token) {}

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
    public SyncStatus status() throws SQLException {
        return sync.status();
    }

    /**
     * Compares a topic with the parent: items missing here, items here the parent no longer has, items that
     * differ (down); records the parent lacks (up). {@code ?repair=true} also repairs through the normal paths.
     */
    @POST
    @Path("/reconcile/{topic}")
    @RequiresPermission(Permissions.FEDERATION_ADMIN)
    public Reconciler.Report reconcile(
            @Context HttpHeaders headers,
            @PathParam("topic") String topic,
            @javax.ws.rs.QueryParam("repair") @javax.ws.rs.DefaultValue("false") boolean repair)
            throws SQLException {
        try {
            return reconciler.reconcile(topic, repair);
        } catch (IllegalArgumentException e) {
            throw new ProblemException(
                    "parent.none".equals(e.getMessage()) ? 409 : 404,
                    "parent.none".equals(e.getMessage()) ? "no-parent" : "not-found",
                    Texts.get(locale(headers), e.getMessage()));
        } catch (ParentClient.ExchangeException e) {
            throw new ProblemException(
                    502, "parent-unreachable", Texts.get(locale(headers), "reconcile.failed", e.getMessage()));
        }
    }

    /** Replaces this node's key pair; the parent and the children follow the signed rotation statement. */
    @POST
    @Path("/key/rotate")
    @RequiresPermission(Permissions.FEDERATION_ADMIN)
    public ObjectNode rotateKey(@Context HttpHeaders headers) {
        try {
            return Json.object().put("publicKey", federation.rotateKey());
        } catch (IllegalStateException e) {
            throw new ProblemException(
                    409, "rotation-failed", Texts.get(locale(headers), "rotation.failed", e.getMessage()));
        }
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
