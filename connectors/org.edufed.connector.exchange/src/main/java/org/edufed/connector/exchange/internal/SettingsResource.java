package org.edufed.connector.exchange.internal;

import java.util.List;
import java.util.Locale;
import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.Settings;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/settings}: the effective settings of this node with their provenance; setting a value at
 * this level (locked / overridable / local); a key locked above answers 409 with who locked it.
 */
@Component(service = RestResource.class)
@Path("/settings")
@Produces(MediaType.APPLICATION_JSON)
public final class SettingsResource implements RestResource {

    private final Settings settings;

    @Activate
    public SettingsResource(@Reference Settings settings) {
        this.settings = settings;
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
                        404,
                        "not-found",
                        Texts.get(Texts.of(headers.getAcceptableLanguages()), "setting.notFound", key)));
    }

    @PUT
    @Path("/{key}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(Permissions.SETTINGS_WRITE)
    public EffectiveSetting put(@Context HttpHeaders headers, @PathParam("key") String key, SettingValue body) {
        Locale locale = Texts.of(headers.getAcceptableLanguages());
        Mode mode = body == null ? null : Mode.parse(body.mode() == null ? "overridable" : body.mode());
        if (body == null || mode == null) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, "setting.badMode"));
        }
        try {
            return settings.set(key, body.value(), mode);
        } catch (IllegalArgumentException e) {
            throw new ProblemException(400, "bad-request", Texts.get(locale, e.getMessage()));
        } catch (Settings.LockedException e) {
            throw locked(locale, key, e);
        }
    }

    @DELETE
    @Path("/{key}")
    @RequiresPermission(Permissions.SETTINGS_WRITE)
    public Response delete(@Context HttpHeaders headers, @PathParam("key") String key) {
        Locale locale = Texts.of(headers.getAcceptableLanguages());
        try {
            if (!settings.remove(key)) {
                throw new ProblemException(404, "not-found", Texts.get(locale, "setting.notFound", key));
            }
        } catch (Settings.LockedException e) {
            throw locked(locale, key, e);
        }
        return Response.noContent().build();
    }

    private static ProblemException locked(Locale locale, String key, Settings.LockedException e) {
        return new ProblemException(
                409,
                "locked",
                Texts.get(
                        locale,
                        "setting.locked",
                        key,
                        e.lockedBy().setBy().level(),
                        e.lockedBy().setBy().code()));
    }
}
