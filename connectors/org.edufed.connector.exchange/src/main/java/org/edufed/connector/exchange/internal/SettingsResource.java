package org.edufed.connector.exchange.internal;

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
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.Settings;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.BodyLimit;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/settings}: the effective settings of this node with their provenance; setting a value at
 * this level (locked / overridable / local), many at once, a preview of what a change would reach below; a key
 * locked above answers 409 with who locked it.
 */
@Component(service = RestResource.class)
@Path("/settings")
@Produces(MediaType.APPLICATION_JSON)
public final class SettingsResource implements RestResource {

    private final Settings settings;
    private final Inheritance inheritance;

    @Activate
    public SettingsResource(@Reference Settings settings, @Reference Inheritance inheritance) {
        this.settings = settings;
        this.inheritance = inheritance;
    }

    /** A value to set, and its mode for the levels below. */
    public record SettingValue(String value, String mode) {}

    @GET
    @RequiresPermission(Permissions.NODE_READ)
    public List<EffectiveSetting> list() {
        return settings.effective();
    }

    @GET
    @Path("/{key}")
    @RequiresPermission(Permissions.NODE_READ)
    public EffectiveSetting get(@Context HttpHeaders headers, @PathParam("key") String key) {
        return settings.effective(key)
                .orElseThrow(() -> new ProblemException(
                        404, "not-found", Texts.get(InheritedResource.locale(headers), "setting.notFound", key)));
    }

    @PUT
    @Path("/{key}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(Permissions.SETTINGS_WRITE)
    public EffectiveSetting put(@Context HttpHeaders headers, @PathParam("key") String key, SettingValue body) {
        Locale locale = InheritedResource.locale(headers);
        if (body == null) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, "setting.badValue"));
        }
        Mode mode = InheritedResource.mode(locale, body.mode());
        try {
            return settings.set(key, body.value(), mode);
        } catch (IllegalArgumentException e) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, e.getMessage()));
        } catch (LockedException e) {
            throw InheritedResource.locked(locale, e);
        }
    }

    @DELETE
    @Path("/{key}")
    @RequiresPermission(Permissions.SETTINGS_WRITE)
    public Response delete(@Context HttpHeaders headers, @PathParam("key") String key) {
        Locale locale = InheritedResource.locale(headers);
        try {
            if (!settings.remove(key)) {
                throw new ProblemException(404, "not-found", Texts.get(locale, "setting.notFound", key));
            }
        } catch (IllegalArgumentException e) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, e.getMessage()));
        } catch (LockedException e) {
            throw InheritedResource.locked(locale, e);
        }
        return Response.noContent().build();
    }

    /** Up to 1,000 changes in one transaction: {@code {"items":[{"key","value","mode"} | {"key","remove":true}]}}. */
    @POST
    @BodyLimit(InheritedResource.BATCH_LIMIT)
    @Path("/batch")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(Permissions.SETTINGS_WRITE)
    public InheritedResource.Applied batch(@Context HttpHeaders headers, InheritedResource.Batch batch) {
        Locale locale = InheritedResource.locale(headers);
        try {
            return new InheritedResource.Applied(settings.setAll(InheritedResource.changes(locale, batch)));
        } catch (IllegalArgumentException e) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, e.getMessage()));
        } catch (LockedException e) {
            throw InheritedResource.locked(locale, e);
        }
    }

    /** What setting the key here with the mode would reach below, before doing it. */
    @GET
    @Path("/{key}/preview")
    @RequiresPermission(Permissions.SETTINGS_WRITE)
    public Inheritance.Preview preview(
            @Context HttpHeaders headers,
            @PathParam("key") String key,
            @QueryParam("mode") @DefaultValue("overridable") String mode) {
        return InheritedResource.preview(
                InheritedResource.locale(headers), inheritance, Inheritance.SETTINGS, key, mode);
    }
}
