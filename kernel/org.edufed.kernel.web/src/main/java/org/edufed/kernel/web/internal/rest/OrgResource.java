package org.edufed.kernel.web.internal.rest;

import java.util.List;
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
import org.edufed.kernel.api.security.OrgUnit;
import org.edufed.kernel.api.security.Organisation;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/org/units}: the organisation tree at this node — the node, the units inside it and the nodes
 * below it — and, for an organisation administrator, adding and removing units inside this node.
 */
@Component(service = RestResource.class)
@Path("/org/units")
@Produces(MediaType.APPLICATION_JSON)
public final class OrgResource implements RestResource {

    private final Organisation organisation;

    @Activate
    public OrgResource(@Reference Organisation organisation) {
        this.organisation = organisation;
    }

    /** A new unit inside this node: its local code (the full code is the node's code, a dash and it). */
    public record NewUnit(String parent, String code, String name, String kind) {}

    @GET
    @RequiresPermission(Permissions.NODE_READ)
    public List<OrgUnit> list() {
        return organisation.units();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(Permissions.ORG_ADMIN)
    public Response add(@Context HttpHeaders headers, NewUnit unit) {
        NewUnit u = unit == null ? new NewUnit(null, null, null, null) : unit;
        OrgUnit added = Refusals.checked(headers, () -> organisation.add(u.parent(), u.code(), u.name(), u.kind()));
        return Response.status(201).entity(added).build();
    }

    @DELETE
    @Path("/{code}")
    @RequiresPermission(Permissions.ORG_ADMIN)
    public Response remove(@Context HttpHeaders headers, @PathParam("code") String code) {
        Refusals.checked(headers, () -> {
            organisation.remove(code);
            return null;
        });
        return Response.noContent().build();
    }
}
