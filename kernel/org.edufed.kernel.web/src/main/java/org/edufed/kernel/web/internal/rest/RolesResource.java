package org.edufed.kernel.web.internal.rest;

import java.util.List;
import java.util.Set;
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
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/roles}: the roles of this node — a name, a description and a set of permissions — defined here
 * or inherited from above (their provenance under {@code /api/v1/inherited/security.roles}).
 */
@Component(service = RestResource.class)
@Path("/roles")
@Produces(MediaType.APPLICATION_JSON)
@RequiresPermission(Permissions.ACCOUNT_ADMIN)
public final class RolesResource implements RestResource {

    private final AccountService accounts;

    @Activate
    public RolesResource(@Reference AccountService accounts) {
        this.accounts = accounts;
    }

    /**
     * A role's description and permissions, and how it is inherited: {@code locked} or {@code overridable}
     * reach the nodes below, {@code local} stays here (the default).
     */
    public record RoleBody(String description, Set<String> permissions, String mode) {}

    @GET
    public List<AccountService.Role> list() {
        return accounts.roles();
    }

    @PUT
    @Path("/{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response define(@Context HttpHeaders headers, @PathParam("name") String name, RoleBody body) {
        Mode mode = body == null || body.mode() == null ? Mode.LOCAL : Mode.parse(body.mode());
        if (mode == null) {
            throw Refusals.problem(headers, 400, "bad-request", "role.bad");
        }
        Refusals.checked(headers, () -> {
            accounts.defineRole(
                    new AccountService.Role(
                            name, body == null ? null : body.description(), body == null ? null : body.permissions()),
                    mode);
            return null;
        });
        return Response.noContent().build();
    }

    @DELETE
    @Path("/{name}")
    public Response remove(@Context HttpHeaders headers, @PathParam("name") String name) {
        Refusals.checked(headers, () -> {
            accounts.removeRole(name);
            return null;
        });
        return Response.noContent().build();
    }
}
