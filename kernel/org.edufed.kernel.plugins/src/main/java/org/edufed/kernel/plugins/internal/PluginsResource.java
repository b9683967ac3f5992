package org.edufed.kernel.plugins.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.BodyLimit;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/plugins}: the catalogue as this node sees it with what runs here and why not; certification
 * (province), publishing into the catalogue for the subtree, this node's choices, revocations, and the status
 * reported from the subtree.
 */
@Component(service = RestResource.class)
@Path("/plugins")
@Produces(MediaType.APPLICATION_JSON)
public final class PluginsResource implements RestResource {

    /** Publish into the catalogue, choose, withdraw. */
    static final String ADMIN = "plugin:admin";
    /** Certify archives and revoke them (the province's certification officer). */
    static final String CERTIFY = "plugin:certify";

    private static final Pattern REVOCATION_KEY = Pattern.compile("[0-9a-f]{64}|cert-[0-9a-f]{1,40}");

    private final PluginManager manager;

    @Activate
    public PluginsResource(@Reference PluginManager manager) {
        this.manager = manager;
    }

    /** A plugin at this node. {@code state}: running, waiting, refused, failed, revoked, removed, available, notForLevel. */
    public record PluginView(
            String id,
            String name,
            String vendor,
            String version,
            String digest,
            boolean certified,
            boolean enabled,
            boolean mandatory,
            String mode,
            List<String> levels,
            String setBy,
            String overriddenBy,
            String state,
            String stateText,
            String reasonKey,
            String reason,
            String runningVersion,
            Instant updatedAt,
            JsonNode descriptor) {}

    /** A plugin archive with its certification signature, to publish into this node's catalogue. */
    public record Publication(
            String archive, String signature, String mode, Boolean enabled, List<String> levels, List<String> nodes) {}

    /** The nodes of a rollout's next wave (they and their children run it); empty or absent: every node. */
    public record Wave(List<String> nodes) {}

    public record Published(String id, String version, String digest, String mode, int parts) {}

    public record Certified(
            String id,
            String version,
            String digest,
            String signature,
            String algorithm,
            String signer,
            Instant notAfter) {}

    public record Choice(Boolean enabled, String mode) {}

    public record Revocation(String key, String reason) {}

    public record Trust(String certificate, String subject, Instant notAfter, boolean authority) {}

    public record Status(String node, String id, JsonNode status, Instant receivedAt) {}

    @GET
    @RequiresPermission(Permissions.NODE_READ)
    public List<PluginView> list(@Context HttpHeaders headers) throws SQLException {
        return views(locale(headers));
    }

    List<PluginView> views(Locale locale) throws SQLException {
        List<PluginView> out = new ArrayList<>();
        for (PluginManager.View v : manager.views()) {
            out.add(view(v, locale));
        }
        return out;
    }

    @GET
    @Path("/{id}")
    @RequiresPermission(Permissions.NODE_READ)
    public PluginView get(@Context HttpHeaders headers, @PathParam("id") String id) throws SQLException {
        Locale locale = locale(headers);
        checkId(locale, id);
        return manager.views().stream()
                .filter(v -> v.id().equals(id))
                .findFirst()
                .map(v -> view(v, locale))
                .orElseThrow(() -> new ProblemException(404, "not-found", Texts.get(locale, "plugin.notFound", id)));
    }

    /** Signs an archive (the body, as it is) at the province; the signature is returned, nothing is stored. */
    @POST
    @BodyLimit(PluginManager.MAX_ARCHIVE)
    @Path("/certify")
    @Consumes(MediaType.WILDCARD)
    @RequiresPermission(CERTIFY)
    public Certified certify(@Context HttpHeaders headers, InputStream body) {
        Locale locale = locale(headers);
        byte[] archive = readLimited(locale, body, PluginManager.MAX_ARCHIVE);
        try {
            PluginManager.Certified done = manager.certify(archive);
            Certification ca = manager.authority().orElseThrow();
            return new Certified(
                    done.descriptor().id(),
                    done.descriptor().version().toString(),
                    Verifier.digest(archive),
                    Base64.getEncoder().encodeToString(done.signature()),
                    ca.algorithm() == Certification.Algorithm.SM2 ? "SM3withSM2" : "SHA256withECDSA",
                    ca.signer().getSubjectX500Principal().getName(),
                    ca.signer().getNotAfter().toInstant());
        } catch (Verifier.Refused e) {
            throw refused(locale, e);
        }
    }

    /**
     * A dry run: what installing the archive here would do, before anything changes. The body is the KAR as it
     * is, or the JSON of a publication (archive and signature in base64) to check the signature too.
     */
    @POST
    @BodyLimit(PluginManager.MAX_ARCHIVE * 2)
    @Path("/check")
    @Consumes(MediaType.WILDCARD)
    @RequiresPermission(ADMIN)
    public PluginManager.Report check(@Context HttpHeaders headers, InputStream body) throws SQLException {
        Locale locale = locale(headers);
        byte[] data = readLimited(locale, body, PluginManager.MAX_ARCHIVE * 2);
        byte[] archive = data;
        byte[] signature = null;
        MediaType type = headers.getMediaType();
        if (type != null && type.isCompatible(MediaType.APPLICATION_JSON_TYPE)) {
            try {
                JsonNode p = CatalogueEntry.MAPPER.readTree(data);
                archive = Base64.getDecoder().decode(p.path("archive").asText(""));
                signature = p.hasNonNull("signature")
                        ? Base64.getDecoder().decode(p.get("signature").asText())
                        : null;
            } catch (IOException | IllegalArgumentException e) {
                throw bad(locale, "json");
            }
        }
        if (archive.length > PluginManager.MAX_ARCHIVE) {
            throw new ProblemException(
                    413, "too-large", Texts.get(locale, "plugin.tooLarge", PluginManager.MAX_ARCHIVE >> 20));
        }
        return manager.dryRun(archive, signature, locale);
    }

    @POST
    @BodyLimit(PluginManager.MAX_ARCHIVE / 3 * 4 + (1 << 20)) // the archive in base64
    @Path("/packages")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(ADMIN)
    public Published publish(@Context HttpHeaders headers, Publication p) {
        Locale locale = locale(headers);
        if (p == null || p.archive() == null) {
            throw bad(locale, "archive");
        }
        byte[] archive;
        byte[] signature;
        try {
            archive = Base64.getDecoder().decode(p.archive());
            signature = p.signature() == null || p.signature().isBlank()
                    ? null
                    : Base64.getDecoder().decode(p.signature());
        } catch (IllegalArgumentException e) {
            throw bad(locale, "base64");
        }
        Mode mode = Mode.parse(p.mode() == null ? "overridable" : p.mode());
        if (mode == null) {
            throw bad(locale, "mode");
        }
        Set<Level> levels = EnumSet.noneOf(Level.class);
        if (p.levels() != null) {
            for (String l : p.levels()) {
                Level level = Level.parse(l);
                if (level == null) {
                    throw bad(locale, "levels");
                }
                levels.add(level);
            }
        }
        try {
            PluginManager.Published done = manager.publish(
                    archive, signature, mode, p.enabled() == null || p.enabled(), levels, nodes(locale, p.nodes()));
            return new Published(
                    done.entry().id(),
                    done.entry().version(),
                    done.entry().digest(),
                    done.mode().id(),
                    done.parts());
        } catch (Verifier.Refused e) {
            throw refused(locale, e);
        } catch (LockedException e) {
            throw locked(locale, e);
        }
    }

    /** This node's choice: enable or disable for itself and its subtree ({@code overridable}) or itself ({@code local}). */
    @PUT
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(ADMIN)
    public PluginView choose(@Context HttpHeaders headers, @PathParam("id") String id, Choice choice)
            throws SQLException {
        Locale locale = locale(headers);
        checkId(locale, id);
        if (choice == null || choice.enabled() == null) {
            throw bad(locale, "enabled");
        }
        Mode mode = Mode.parse(choice.mode() == null ? "overridable" : choice.mode());
        if (mode == null) {
            throw bad(locale, "mode");
        }
        try {
            manager.choose(id, choice.enabled(), mode);
        } catch (IllegalArgumentException e) {
            throw new ProblemException(404, "not-found", Texts.get(locale, "plugin.notFound", id));
        } catch (LockedException e) {
            throw locked(locale, e);
        }
        return get(headers, id);
    }

    static Set<String> nodes(Locale locale, List<String> nodes) {
        Set<String> out = new java.util.TreeSet<>();
        if (nodes != null) {
            for (String n : nodes) {
                if (n == null || !CatalogueEntry.CODE.matcher(n).matches()) {
                    throw bad(locale, "nodes");
                }
                out.add(n);
            }
        }
        return out;
    }

    /** The next wave of a rollout this node published: who runs it now (empty: every node below). */
    @PUT
    @Path("/{id}/wave")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(ADMIN)
    public List<PluginManager.Rollout> wave(@Context HttpHeaders headers, @PathParam("id") String id, Wave wave) {
        Locale locale = locale(headers);
        checkId(locale, id);
        try {
            manager.wave(id, nodes(locale, wave == null ? null : wave.nodes()));
        } catch (IllegalArgumentException e) {
            throw new ProblemException(404, "not-found", Texts.get(locale, e.getMessage(), id));
        } catch (LockedException e) {
            throw locked(locale, e);
        }
        return manager.rollout(id);
    }

    /** Every node of the tree with the plugin's state there, as last reported (state {@code none}: no report yet). */
    @GET
    @Path("/{id}/rollout")
    @RequiresPermission(Permissions.NODE_READ)
    public List<PluginManager.Rollout> rollout(@Context HttpHeaders headers, @PathParam("id") String id) {
        checkId(locale(headers), id);
        return manager.rollout(id);
    }

    public record Pin(String version, String mode) {}

    /** Runs another version here (a roll back to one this node ran before), as this node's own choice. */
    @POST
    @Path("/{id}/pin")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(ADMIN)
    public Published pin(@Context HttpHeaders headers, @PathParam("id") String id, Pin pin) {
        Locale locale = locale(headers);
        checkId(locale, id);
        if (pin == null || pin.version() == null || pin.version().isBlank()) {
            throw bad(locale, "version");
        }
        Mode mode = Mode.parse(pin.mode() == null ? "local" : pin.mode());
        if (mode == null || mode == Mode.LOCKED) {
            throw bad(locale, "mode");
        }
        try {
            PluginManager.Published done = manager.pin(id, pin.version().strip(), mode);
            return new Published(
                    done.entry().id(),
                    done.entry().version(),
                    done.entry().digest(),
                    done.mode().id(),
                    done.parts());
        } catch (Verifier.Refused e) {
            throw e.key.equals("plugin.unknownVersion")
                    ? new ProblemException(404, "not-found", Texts.get(locale, e.key, e.args))
                    : refused(locale, e);
        } catch (LockedException e) {
            throw locked(locale, e);
        } catch (IOException e) {
            throw new ProblemException(500, "internal", Texts.get(locale, "plugin.installFailed", "archives"));
        }
    }

    /** Removes this node's own catalogue value (its choice, or what it published here). */
    @DELETE
    @Path("/{id}")
    @RequiresPermission(ADMIN)
    public Response withdraw(@Context HttpHeaders headers, @PathParam("id") String id) {
        Locale locale = locale(headers);
        checkId(locale, id);
        try {
            if (!manager.withdraw(id)) {
                throw new ProblemException(404, "not-found", Texts.get(locale, "plugin.notFound", id));
            }
        } catch (LockedException e) {
            throw locked(locale, e);
        }
        return Response.noContent().build();
    }

    @POST
    @Path("/revocations")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(CERTIFY)
    public Response revoke(@Context HttpHeaders headers, Revocation r) {
        Locale locale = locale(headers);
        if (r == null || r.key() == null || !REVOCATION_KEY.matcher(r.key()).matches()) {
            throw bad(locale, "key");
        }
        String reason = r.reason() == null ? "" : r.reason().strip();
        if (reason.length() > 500) {
            throw bad(locale, "reason");
        }
        try {
            manager.revoke(r.key(), reason);
        } catch (LockedException e) {
            throw locked(locale, e);
        }
        return Response.noContent().build();
    }

    @GET
    @Path("/trust")
    @RequiresPermission(Permissions.NODE_READ)
    public Trust trust(@Context HttpHeaders headers) throws IOException {
        var anchor = manager.anchor();
        if (anchor == null) {
            throw new ProblemException(404, "not-found", Texts.get(locale(headers), "plugin.noTrust"));
        }
        return new Trust(
                Certification.pem(anchor),
                anchor.getSubjectX500Principal().getName(),
                anchor.getNotAfter().toInstant(),
                manager.authority().isPresent());
    }

    /** The plugin status of every node below, as they reported it (newest first). */
    @GET
    @Path("/status")
    @RequiresPermission(Permissions.NODE_READ)
    public List<Status> status(@QueryParam("limit") Integer limit) {
        List<Status> out = new ArrayList<>();
        for (Upward.Record r : manager.subtreeStatus(limit == null ? 1000 : Math.max(1, Math.min(limit, 10_000)))) {
            JsonNode s;
            try {
                s = CatalogueEntry.MAPPER.readTree(r.payload());
            } catch (IOException e) {
                continue;
            }
            out.add(new Status(r.origin(), s.path("id").asText(), s, r.receivedAt()));
        }
        return out;
    }

    // --- mapping ----------------------------------------------------------------------------------

    private PluginView view(PluginManager.View v, Locale locale) {
        CatalogueEntry e = v.entry();
        PluginStore.Row r = v.row();
        Level level = manager.level();
        String state;
        if (r != null && (e == null || r.digest().equals(e.digest()) || r.state() == PluginStore.State.REVOKED)) {
            state = r.state().id();
        } else if (e != null && !e.levels().contains(level)) {
            state = "notForLevel";
        } else if (e != null && !e.enabled()) {
            state = "available";
        } else if (e != null && !manager.wanted(e)) {
            state = "notInWave";
        } else {
            state = r != null ? r.state().id() : "waiting";
        }
        boolean stateFromRow = r != null && state.equals(r.state().id());
        return new PluginView(
                v.id(),
                e == null ? v.id() : e.name(locale),
                e == null ? null : e.descriptor().path("vendor").asText(null),
                stateFromRow || e == null ? r.version() : e.version(),
                stateFromRow || e == null ? r.digest() : e.digest(),
                e != null && e.certified(),
                e != null && e.enabled(),
                v.item() != null && v.item().provenance().mode() == Mode.LOCKED,
                v.item() == null ? null : v.item().provenance().mode().id(),
                e == null
                        ? List.of()
                        : e.levels().stream()
                                .map(l -> l.name().toLowerCase(Locale.ROOT))
                                .sorted()
                                .toList(),
                v.item() == null ? null : ref(v.item().provenance().setBy()),
                v.item() == null || v.item().provenance().overriddenBy() == null
                        ? null
                        : ref(v.item().provenance().overriddenBy()),
                state,
                Texts.get(locale, "state." + state),
                stateFromRow ? r.reasonKey() : null,
                stateFromRow && r.reasonKey() != null ? Texts.get(locale, r.reasonKey(), r.args()) : null,
                r == null ? null : r.runningVersion(),
                r == null ? null : r.updatedAt(),
                e == null ? null : e.descriptor());
    }

    private static String ref(org.edufed.kernel.api.federation.NodeRef n) {
        return n == null ? null : n.name() + " (" + n.level() + " " + n.code() + ")";
    }

    /** A path id that cannot be a plugin's is not found (and never reaches storage). */
    private static void checkId(Locale locale, String id) {
        if (id == null || id.length() > 100 || !Descriptor.ID.matcher(id).matches()) {
            throw new ProblemException(404, "not-found", Texts.get(locale, "plugin.notFound", "?"));
        }
    }

    static Locale locale(HttpHeaders headers) {
        return Texts.of(headers.getAcceptableLanguages());
    }

    private static byte[] readLimited(Locale locale, InputStream body, long limit) {
        try {
            byte[] data = body.readNBytes((int) limit + 1);
            if (data.length > limit) {
                throw new ProblemException(
                        413, "too-large", Texts.get(locale, "plugin.tooLarge", PluginManager.MAX_ARCHIVE >> 20));
            }
            if (data.length == 0) {
                throw bad(locale, "archive");
            }
            return data;
        } catch (IOException e) {
            throw bad(locale, "archive");
        }
    }

    private static ProblemException bad(Locale locale, String what) {
        return new ProblemException(400, "bad-request", Texts.get(locale, "plugin.badRequest", what));
    }

    static ProblemException refused(Locale locale, Verifier.Refused e) {
        int status = e.key.equals("plugin.tooLarge") ? 413 : e.key.equals("plugin.notCa") ? 409 : 422;
        return new ProblemException(status, "plugin-refused", Texts.get(locale, e.key, e.args));
    }

    private static ProblemException locked(Locale locale, LockedException e) {
        var by = e.lockedBy().setBy();
        return new ProblemException(
                409, "locked", Texts.get(locale, "plugin.locked", e.key(), by == null ? "?" : by.name()));
    }
}
