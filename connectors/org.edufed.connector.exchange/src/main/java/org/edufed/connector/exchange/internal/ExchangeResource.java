package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.sql.SQLException;
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
import javax.ws.rs.core.UriInfo;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.web.BodyLimit;
import org.edufed.kernel.api.web.PublicEndpoint;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Node-to-node endpoints under {@code /api/v1/federation/exchange}. No user logs in here: every request is
 * authenticated by its node signature instead (see {@link NodeAuthenticator}), and every answer is signed.
 */
@Component(service = RestResource.class)
@Path("/federation/exchange")
@PublicEndpoint
public final class ExchangeResource implements RestResource {

    /**
     * The largest push (and heartbeat) taken from a child: a push carries at most {@link UpwardComponent#PUSH_CHARS}
     * characters of payload (and one record beyond), which JSON writes in at most 6 bytes each (a control character
     * escaped), with 1,000 items' fields around them; a heartbeat's subtree of 100,000 nodes fits too. A child of an
     * older build batches by count only: a push of 1,000 records of several tens of KB each would be refused (413)
     * and retried until the child is upgraded.
     */
    static final long PUSH_LIMIT = 64L << 20;

    private final FederationComponent federation;
    private final NodeIdentity identity;
    private final UpwardComponent upward;
    private final Topics topics;
    private final Reconciler reconciler;

    @Activate
    public ExchangeResource(
            @Reference FederationComponent federation,
            @Reference NodeIdentity identity,
            @Reference UpwardComponent upward,
            @Reference Topics topics,
            @Reference Reconciler reconciler) {
        this.topics = topics;
        this.reconciler = reconciler;
        this.upward = upward;
        this.federation = federation;
        this.identity = identity;
    }

    private static NodeAuthenticator.Signed signed(HttpHeaders h) {
        return new NodeAuthenticator.Signed(
                h.getHeaderString(SignedMessages.NODE),
                h.getHeaderString(SignedMessages.TIME),
                h.getHeaderString(SignedMessages.NONCE),
                h.getHeaderString(SignedMessages.SIGNATURE));
    }

    private static String pathAndQuery(UriInfo uri) {
        URI u = uri.getRequestUri();
        return u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    }

    /** An answer signed by this node, with its latest key rotation statements for children that follow. */
    private Response signedAnswer(int status, String nonce, byte[] body) {
        Response.ResponseBuilder answer = Response.status(status)
                .type(MediaType.APPLICATION_JSON)
                .entity(body)
                .header(SignedMessages.SIGNATURE, federation.authenticator().signAnswer(status, nonce, body));
        String rotations = federation.rotationsHeader();
        if (rotations != null) {
            answer.header(KeyRotations.HEADER, rotations);
        }
        return answer.build();
    }

    /** A child enrolls with a one-time token, its identity and its public key. */
    @POST
    @Path("/enrollment")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response enrollment(@Context HttpHeaders headers, byte[] body) {
        NodeAuthenticator.Signed s = signed(headers);
        FederationComponent.EnrollmentAnswer answer = federation.acceptEnrollment(s, body);
        return Response.fromResponse(signedAnswer(200, s.nonce(), answer.body()))
                .header(SignedMessages.TOKEN_PROOF, answer.tokenProof())
                .build();
    }

    /** The change feed after {@code since}, at most {@code limit} items, for an enrolled child. */
    @GET
    @Path("/feed")
    @Produces(MediaType.APPLICATION_JSON)
    public Response feed(
            @Context HttpHeaders headers,
            @Context UriInfo uri,
            @QueryParam("since") @DefaultValue("0") long since,
            @QueryParam("limit") @DefaultValue("500") int limit)
            throws SQLException {
        NodeAuthenticator.Signed s = signed(headers);
        FederationStore.ChildRow child = federation.authenticator().verify("GET", pathAndQuery(uri), s, new byte[0]);
        ObjectNode page = FeedPages.serialisedPage(
                federation.store(),
                topics,
                Json.object().put("from", identity.code()),
                since,
                Math.max(1, Math.min(limit, 1000)),
                Level.parse(child.node().level()),
                FeedPages.branchOf(child));
        return signedAnswer(200, s.nonce(), Json.bytes(page));
    }

    /** Reconciliation, down: a digest of every item of a topic the child should have inherited. */
    @GET
    @Path("/state")
    @Produces(MediaType.APPLICATION_JSON)
    public Response downState(
            @Context HttpHeaders headers, @Context UriInfo uri, @QueryParam("topic") @DefaultValue("") String topic)
            throws SQLException {
        NodeAuthenticator.Signed s = signed(headers);
        FederationStore.ChildRow child = federation.authenticator().verify("GET", pathAndQuery(uri), s, new byte[0]);
        return signedAnswer(
                200,
                s.nonce(),
                Json.bytes(reconciler.downState(topic, Level.parse(child.node().level()), FeedPages.branchOf(child))));
    }

    /** Reconciliation, up: which of the child's records (ids and versions) this node lacks. */
    @POST
    @Path("/state")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response upState(@Context HttpHeaders headers, @Context UriInfo uri, byte[] body) throws SQLException {
        NodeAuthenticator.Signed s = signed(headers);
        FederationStore.ChildRow child = federation.authenticator().verify("POST", pathAndQuery(uri), s, body);
        JsonNode request = Json.parse(body);
        if (request == null
                || !request.path("records").isArray()
                || request.path("records").size() > Reconciler.CHUNK) {
            throw federation
                    .authenticator()
                    .refuse(child.node().code(), pathAndQuery(uri), 400, "malformed", "not a reconciliation request");
        }
        return signedAnswer(200, s.nonce(), Json.bytes(reconciler.upState(request)));
    }

    /** A child rotates its key: a statement signed by its old key and its new one, sent with the old key. */
    @POST
    @Path("/rotate")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response rotate(@Context HttpHeaders headers, @Context UriInfo uri, byte[] body) {
        NodeAuthenticator.Signed s = signed(headers);
        FederationStore.ChildRow child = federation.authenticator().verify("POST", pathAndQuery(uri), s, body);
        JsonNode envelope = Json.parse(body);
        if (envelope == null) {
            throw federation
                    .authenticator()
                    .refuse(child.node().code(), pathAndQuery(uri), 400, "malformed", "not a rotation statement");
        }
        federation.acceptRotation(child, envelope, pathAndQuery(uri));
        return signedAnswer(200, s.nonce(), Json.bytes(Json.object().put("ok", true)));
    }

    /** A child pushes records up: each acknowledged, de-duplicated, kept and passed on (see UpwardComponent). */
    @POST
    @BodyLimit(ExchangeResource.PUSH_LIMIT)
    @Path("/up")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response up(@Context HttpHeaders headers, @Context UriInfo uri, byte[] body) throws SQLException {
        NodeAuthenticator.Signed s = signed(headers);
        FederationStore.ChildRow child = federation.authenticator().verify("POST", pathAndQuery(uri), s, body);
        JsonNode batch = Json.parse(body);
        if (batch == null || !batch.path("items").isArray()) {
            throw federation
                    .authenticator()
                    .refuse(child.node().code(), pathAndQuery(uri), 400, "malformed", "the push is not a batch");
        }
        return signedAnswer(200, s.nonce(), Json.bytes(upward.accept(child, batch)));
    }

    /** A child's heartbeat: its version, readiness and subtree. */
    @POST
    @BodyLimit(ExchangeResource.PUSH_LIMIT) // a large subtree
    @Path("/heartbeat")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response heartbeat(@Context HttpHeaders headers, @Context UriInfo uri, byte[] body) throws SQLException {
        NodeAuthenticator.Signed s = signed(headers);
        FederationStore.ChildRow child = federation.authenticator().verify("POST", pathAndQuery(uri), s, body);
        JsonNode beat = Json.parse(body);
        if (beat == null) {
            throw federation
                    .authenticator()
                    .refuse(child.node().code(), pathAndQuery(uri), 400, "malformed", "the heartbeat is not JSON");
        }
        String version = beat.path("version").asText("");
        federation
                .store()
                .recordHeartbeat(
                        child.node().code(),
                        version.length() > 40 ? version.substring(0, 40) : version,
                        beat.path("children").toString());
        return signedAnswer(200, s.nonce(), Json.bytes(Json.object().put("ok", true)));
    }
}
