package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
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
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.Signatures;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.BodyLimit;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/federation/offline}: the exchange without a link (a school with none, a USB stick). The same
 * content as online — a page of the parent's feed for one child going down, the outbox going up — in a file
 * sealed for the node it is for ({@link Signatures#seal}: only that node's key opens it, so the ID numbers and
 * phones of registrations on a lost stick are not readable) and signed by the node that wrote it, over the sealed
 * bytes. Importing verifies the signature against the enrolled key, opens the content with this node's key and
 * applies it exactly as the routes would: feed pages idempotently from the watermark, upward records
 * de-duplicated by the inbox (the next online push, or the next bundle, clears them from the child's outbox as
 * duplicates).
 */
@Component(service = RestResource.class)
@Path("/federation/offline")
public final class OfflineResource implements RestResource {

    static final String FORMAT = "edufed-bundle/2";
    /** Bundles of the first format were signed, not sealed: refused with a message to export them again. */
    static final String UNSEALED_FORMAT = "edufed-bundle/1";

    static final int MAX_ITEMS = 50_000;
    /** The header of a feed bundle that is not all: the {@code since} of the next one. */
    static final String MORE_SINCE = "EduFed-More-Since";
    /** The payload characters a bundle carries at most (and one record or item beyond). */
    static final long BUNDLE_CHARS = 16_000_000;
    /**
     * The largest bundle imported: an outbox bundle of {@link #BUNDLE_CHARS} characters written as JSON (at most 6
     * bytes each), sealed and in base64 (4 bytes for 3), with its items' fields; a feed bundle ends at as many
     * characters too (the next one starts at its {@code next}).
     */
    static final long BUNDLE_LIMIT = 256L << 20;

    private final FederationComponent federation;
    private final UpwardComponent upward;
    private final Sync sync;
    private final NodeIdentity identity;
    private final Signatures signatures;
    private final Topics topics;
    private final AuditLog audit;

    @Activate
    public OfflineResource(
            @Reference FederationComponent federation,
            @Reference UpwardComponent upward,
            @Reference Sync sync,
            @Reference NodeIdentity identity,
            @Reference Signatures signatures,
            @Reference Topics topics,
            @Reference AuditLog audit) {
        this.topics = topics;
        this.audit = audit;
        this.federation = federation;
        this.upward = upward;
        this.sync = sync;
        this.identity = identity;
        this.signatures = signatures;
    }

    /**
     * This node's feed after {@code since} for one enrolled child without a link: what that child would pull (items
     * addressed to other branches left out), sealed for its key.
     */
    @GET
    @Path("/feed")
    @Produces(MediaType.APPLICATION_JSON)
    @RequiresPermission(Permissions.FEDERATION_ADMIN)
    public Response exportFeed(
            @Context HttpHeaders headers,
            @QueryParam("child") String childCode,
            @QueryParam("since") @DefaultValue("0") long since)
            throws SQLException {
        Locale locale = Texts.of(headers.getAcceptableLanguages());
        FederationStore.ChildRow child =
                childCode == null ? null : federation.store().child(childCode).orElse(null);
        if (child == null || !"active".equals(child.status())) {
            throw new ProblemException(400, "bad-child", Texts.get(locale, "bundle.child"));
        }
        audit.record(AuditLog.Event.of(
                "data.export",
                "feed",
                AuditLog.Result.SUCCESS,
                "for " + child.node().code() + " since " + since));
        ObjectNode content = FeedPages.page(
                federation.store(),
                topics,
                header("feed", child.node().code()),
                since,
                MAX_ITEMS,
                BUNDLE_CHARS,
                Level.parse(child.node().level()),
                FeedPages.branchOf(child));
        Response file = file(
                content,
                child.algorithm(),
                child.publicKey(),
                "edufed-feed-" + identity.code() + "-" + child.node().code() + "-" + since + "-"
                        + content.path("next").asLong() + ".json");
        // the bundle is sealed for the child: say outside it where the next one starts when this one is not all
        return content.path("more").asBoolean()
                ? Response.fromResponse(file)
                        .header(MORE_SINCE, content.path("next").asLong())
                        .build()
                : file;
    }

    /** This node's outbox, for a parent without a link. */
    @GET
    @Path("/outbox")
    @Produces(MediaType.APPLICATION_JSON)
    @RequiresPermission(Permissions.FEDERATION_ADMIN)
    public Response exportOutbox(@Context HttpHeaders headers) throws SQLException {
        Optional<FederationStore.ParentRow> parent = federation.store().parent();
        if (parent.isEmpty()) {
            throw new ProblemException(
                    409, "no-parent", Texts.get(Texts.of(headers.getAcceptableLanguages()), "bundle.noParent"));
        }
        audit.record(AuditLog.Event.of(
                "data.export",
                "outbox",
                AuditLog.Result.SUCCESS,
                "for " + parent.get().node().code()));
        ObjectNode content = header("up", parent.get().node().code());
        content.setAll(upward.toJson(
                upward.pending(MAX_ITEMS, BUNDLE_CHARS),
                Level.parse(parent.get().node().level())));
        return file(
                content,
                parent.get().algorithm(),
                parent.get().publicKey(),
                "edufed-up-" + identity.code() + "-" + Instant.now().getEpochSecond() + ".json");
    }

    /** Imports a bundle written by this node's parent (feed) or by one of its children (records up). */
    @POST
    @BodyLimit(OfflineResource.BUNDLE_LIMIT)
    @Path("/import")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @RequiresPermission(Permissions.FEDERATION_ADMIN)
    public ObjectNode importBundle(@Context HttpHeaders headers, byte[] file) throws SQLException {
        Locale locale = Texts.of(headers.getAcceptableLanguages());
        JsonNode bundle = Json.parse(file);
        if (bundle != null && UNSEALED_FORMAT.equals(bundle.path("format").asText())) {
            throw bad(locale, "bundle.unsealed");
        }
        if (bundle == null || !FORMAT.equals(bundle.path("format").asText())) {
            throw bad(locale, "bundle.format");
        }
        byte[] sealed;
        byte[] signature;
        try {
            sealed = Base64.getDecoder().decode(bundle.path("content").asText());
            signature = Base64.getDecoder().decode(bundle.path("signature").asText());
        } catch (IllegalArgumentException e) {
            throw bad(locale, "bundle.format");
        }
        String signer = bundle.path("signer").asText();
        String kind = bundle.path("kind").asText();
        // the signature first (over the sealed bytes), so nothing but a known node's file is opened
        FederationStore.ChildRow child = null;
        if ("feed".equals(kind)) {
            Optional<FederationStore.ParentRow> parent = federation.store().parent();
            if (parent.isEmpty()
                    || !parent.get().node().code().equals(signer)
                    || !signedByParent(parent.get(), bundle, sealed, signature)) {
                throw refuse(signer, "bundle.notFromParent", locale);
            }
        } else if ("up".equals(kind)) {
            child = federation.store().child(signer).orElse(null);
            if (child == null
                    || !"active".equals(child.status())
                    || !signatures.verify(child.algorithm(), child.publicKey(), sealed, signature)) {
                throw refuse(signer, "bundle.notFromChild", locale);
            }
        } else {
            throw bad(locale, "bundle.format");
        }
        JsonNode body;
        try {
            body = Json.parse(identity.unseal(sealed));
        } catch (IllegalArgumentException e) {
            throw refuse(signer, "bundle.notForUs", locale);
        }
        if (body == null
                || !signer.equals(body.path("from").asText())
                || !kind.equals(body.path("kind").asText())
                || !identity.code().equals(body.path("to").asText())) {
            throw refuse(signer, "bundle.notForUs", locale);
        }
        if ("feed".equals(kind)) {
            int applied;
            try {
                applied = sync.apply(body.path("since").asLong(), body);
            } catch (SQLException e) {
                if ("22000".equals(e.getSQLState())) {
                    throw new ProblemException(409, "feed-gap", Texts.get(locale, "bundle.gap"));
                }
                throw e;
            }
            audit.record(
                    AuditLog.Event.of("data.import", signer, AuditLog.Result.SUCCESS, "feed: " + applied + " applied"));
            return Json.object()
                    .put("kind", kind)
                    .put("applied", applied)
                    .put("next", body.path("next").asLong());
        }
        ObjectNode answer = upward.accept(child, body);
        audit.record(AuditLog.Event.of(
                "data.import",
                signer,
                AuditLog.Result.SUCCESS,
                "records up: " + body.path("items").size()));
        answer.put("kind", kind);
        return answer;
    }

    /**
     * Whether the parent signed the bundle: with the key recorded here, or with a key reached by following the
     * rotation statements the bundle carries (then recorded as the parent's key).
     */
    private boolean signedByParent(FederationStore.ParentRow parent, JsonNode bundle, byte[] content, byte[] signature)
            throws SQLException {
        if (signatures.verify(parent.algorithm(), parent.publicKey(), content, signature)) {
            return true;
        }
        String rotated =
                KeyRotations.follow(parent.publicKey(), parent.node().code(), bundle.path("keyRotations"), signatures);
        if (rotated == null || !signatures.verify(parent.algorithm(), rotated, content, signature)) {
            return false;
        }
        federation.store().setParentKey(rotated);
        return true;
    }

    private ObjectNode header(String kind, String to) {
        return Json.object()
                .put("kind", kind)
                .put("from", identity.code())
                .put("to", to)
                .put("createdAt", Instant.now().toString());
    }

    /**
     * The file: the content sealed for its recipient's key, and this node's signature over exactly the sealed
     * bytes. Who signed it and what kind it is are outside too (to verify before opening), and inside again.
     */
    private Response file(ObjectNode content, String recipientAlgorithm, String recipientKey, String name)
            throws SQLException {
        byte[] sealed = signatures.seal(recipientAlgorithm, recipientKey, Json.bytes(content));
        ObjectNode bundle = Json.object()
                .put("format", FORMAT)
                .put("kind", content.path("kind").asText())
                .put("signer", identity.code())
                .put("recipient", content.path("to").asText())
                .put("algorithm", identity.signatureAlgorithm())
                .put("content", Base64.getEncoder().encodeToString(sealed))
                .put("signature", Base64.getEncoder().encodeToString(identity.sign(sealed)));
        ArrayNode rotations = bundle.putArray("keyRotations");
        federation.store().keyRotations(KeyRotations.CARRIED).forEach(e -> rotations.add(Json.parse(e)));
        return Response.ok(Json.bytes(bundle), MediaType.APPLICATION_JSON)
                .header("Content-Disposition", "attachment; filename=\"" + name + "\"")
                .build();
    }

    private static ProblemException bad(Locale locale, String key) {
        return new ProblemException(400, "bad-bundle", Texts.get(locale, key));
    }

    private ProblemException refuse(String signer, String key, Locale locale) {
        federation.authenticator().refuse(signer, "/api/v1/federation/offline/import", 403, "bad-bundle", key);
        return new ProblemException(403, "bad-bundle", Texts.get(locale, key));
    }
}
