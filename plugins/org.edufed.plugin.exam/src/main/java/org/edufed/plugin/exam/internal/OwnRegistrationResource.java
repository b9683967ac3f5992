package org.edufed.plugin.exam.internal;

import java.io.InputStream;
import java.sql.SQLException;
import java.util.List;
import javax.ws.rs.Consumes;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/exam/my}: a student's own registration — made by the student within the window, corrected,
 * listed with its status and result. Another's registration is not there for the caller.
 */
@Component(service = RestResource.class)
@Path(OwnRegistrationResource.PATH)
@Produces(MediaType.APPLICATION_JSON)
public final class OwnRegistrationResource extends ExamApi implements RestResource {

    /** Where a student's own registrations are (under {@code /api/v1}); {@link OwnRegistrationLane}'s too. */
    static final String PATH = "/exam/my";

    @Activate
    public OwnRegistrationResource(@Reference ExamStore store, @Reference NodeIdentity node) {
        super(store, node);
    }

    /** The caller's own registrations (a student who registered themself), with status and result. */
    @GET
    @RequiresPermission(SELF)
    public List<ExamStore.Mine> my(@QueryParam("year") String year) throws SQLException {
        return store.own(user(), requireYear(year));
    }

    /**
     * A student registers themself within the window: the same checks as a clerk's registration, once a year. The
     * common case is served by {@link OwnRegistrationLane}, which hands this method what it declines.
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(SELF)
    public Response registerSelf(InputStream json) throws SQLException {
        return created(checked(registration(body(json))), user());
    }

    /** A student corrects their own registration (after it was returned, or before anyone decided on it). */
    @PUT
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(SELF)
    public ExamStore.Mine correctSelf(@PathParam("id") String id, InputStream json) throws SQLException {
        if (store.mine(id).isEmpty() || !store.ownedBy(id, user())) {
            throw notFound(); // another's registration is not there for this caller
        }
        return corrected(id, json);
    }
}
