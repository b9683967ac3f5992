package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
import javax.ws.rs.DefaultValue;
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
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.BodyLimit;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/inherited/{topic}}: the inheritable items of any downward topic (dictionaries such as
 * {@code dict.division}, plugin items) with provenance; setting, removing, many at once, and a preview of what
 * a change would reach below. Writing needs the permission {@code <topic>:write} (for settings, that is
 * {@code settings:write}, the same as {@code /api/v1/settings}).
 */
@Component(service = RestResource.class)
@Path("/inherited/{topic}")
@Produces(MediaType.APPLICATION_JSON)
public final class InheritedResource implements RestResource {

    /**
     * The largest batch body (items, settings, reports): 1,000 entries of a few KB each take a few MB; a batch of
     * large values beyond this is refused with 413 and sent in smaller batches.
     */
    static final long BATCH_LIMIT = 64L << 20;

    static final String WRITE = "{topic}:write";

    private final Inheritance inheritance;

    @Activate
    public InheritedResource(@Reference Inheritance inheritance) {
        this.inheritance = inheritance;
    }

    /** A value to set (text, or a JSON object or array stored as its text), and its mode below. */
    public record Value(JsonNode value, String mode) {}

    /** Many changes at once: each sets a value, or removes this node's own one ({@code "remove": true}). */
    public record Batch(List<BatchItem> items) {}

    public record BatchItem(String key, JsonNode value, String mode, Boolean remove) {}

    /** How many changes of a batch had an effect. */
    public record Applied(int count) {}

    @GET
    @RequiresPermission(Permissions.NODE_READ)
    public List<Inheritance.Item> list(@Context HttpHeaders headers, @PathParam("topic") String topic) {
        return inheritance.effective(topic);
    }

    @GET
    @Path("/{key}")
    @RequiresPermission(Permissions.NODE_READ)
    public Inheritance.Item get(
            @Context HttpHeaders headers, @PathParam("topic") String topic, @PathParam("key") String key) {
        return inheritance
                .effective(topic, key)
                .orElseThrow(() ->
                        new ProblemException(404, "not-found", Texts.get(locale(headers), "setting.notFound", key)));
    }

    @PUT
    @Path("/{key}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(WRITE)
    public Inheritance.Item put(
            @Context HttpHeaders headers, @PathParam("topic") String topic, @PathParam("key") String key, Value body) {
        Locale locale = locale(headers);
        String value = body == null ? null : text(body.value());
        if (value == null) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, "setting.badValue"));
        }
        change(locale, inheritance, topic, List.of(new Inheritance.Change(key, value, mode(locale, body.mode()))));
        return inheritance.effective(topic, key).orElseThrow();
    }

    @DELETE
    @Path("/{key}")
    @RequiresPermission(WRITE)
    public Response delete(
            @Context HttpHeaders headers, @PathParam("topic") String topic, @PathParam("key") String key) {
        Locale locale = locale(headers);
        if (change(locale, inheritance, topic, List.of(Inheritance.Change.remove(key))) == 0) {
            throw new ProblemException(404, "not-found", Texts.get(locale, "setting.notFound", key));
        }
        return Response.noContent().build();
    }

    @POST
    @BodyLimit(InheritedResource.BATCH_LIMIT)
    @Path("/batch")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(WRITE)
    public Applied batch(@Context HttpHeaders headers, @PathParam("topic") String topic, Batch batch) {
        Locale locale = locale(headers);
        return new Applied(change(locale, inheritance, topic, changes(locale, batch)));
    }

    @GET
    @Path("/{key}/preview")
    @RequiresPermission(WRITE)
    public Inheritance.Preview preview(
            @Context HttpHeaders headers,
            @PathParam("topic") String topic,
            @PathParam("key") String key,
            @QueryParam("mode") @DefaultValue("overridable") String mode) {
        return preview(locale(headers), inheritance, topic, key, mode);
    }

    // --- shared with SettingsResource ------------------------------------------------------------------

    static Locale locale(HttpHeaders headers) {
        return Texts.of(headers.getAcceptableLanguages());
    }

    /** A JSON value as stored: text as it is, objects and arrays as their JSON; {@code null} otherwise. */
    static String text(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return null;
        }
        return value.isTextual() ? value.asText() : value.isContainerNode() ? value.toString() : value.asText();
    }

    static Mode mode(Locale locale, String mode) {
        Mode m = Mode.parse(mode == null ? "overridable" : mode);
        if (m == null) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, "setting.badMode"));
        }
        return m;
    }

    static List<Inheritance.Change> changes(Locale locale, Batch batch) {
        if (batch == null || batch.items() == null) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, "item.badBatch"));
        }
        List<Inheritance.Change> out = new ArrayList<>(batch.items().size());
        for (BatchItem item : batch.items()) {
            if (item == null) {
                throw new ProblemException(400, "bad-request", Texts.get(locale, "item.badBatch"));
            }
            if (Boolean.TRUE.equals(item.remove())) {
                out.add(Inheritance.Change.remove(item.key()));
            } else {
                String value = text(item.value());
                if (value == null) {
                    throw new ProblemException(400, "bad-request", Texts.get(locale, "setting.badValue"));
                }
                out.add(new Inheritance.Change(item.key(), value, mode(locale, item.mode())));
            }
        }
        return out;
    }

    /** Applies changes, turning refusals into problems: 400 for bad input, 409 for a key locked above. */
    static int change(Locale locale, Inheritance inheritance, String topic, List<Inheritance.Change> changes) {
        try {
            return inheritance.change(topic, changes);
        } catch (IllegalArgumentException e) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, e.getMessage()));
        } catch (LockedException e) {
            throw locked(locale, e);
        }
    }

    static Inheritance.Preview preview(Locale locale, Inheritance inheritance, String topic, String key, String mode) {
        try {
            return inheritance.preview(topic, key, mode(locale, mode));
        } catch (IllegalArgumentException e) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, e.getMessage()));
        } catch (LockedException e) {
            throw locked(locale, e);
        }
    }

    static ProblemException locked(Locale locale, LockedException e) {
        return new ProblemException(
                409,
                "locked",
                Texts.get(
                        locale,
                        "setting.locked",
                        e.key(),
                        e.lockedBy().setBy().level(),
                        e.lockedBy().setBy().code()));
    }
}
