package org.edufed.kernel.web.internal.rest;

import java.util.List;
import javax.ws.rs.DefaultValue;
import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.MediaType;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/audit}: the node's audit trail, newest first ({@code ?action=login} filters by prefix), and
 * {@code /api/v1/audit/verify}: a walk of the whole hash chain. For security officers ({@code audit:read}).
 */
@Component(service = RestResource.class)
@Path("/audit")
@Produces(MediaType.APPLICATION_JSON)
public final class AuditResource implements RestResource {

    private final AuditLog audit;

    @Activate
    public AuditResource(@Reference AuditLog audit) {
        this.audit = audit;
    }

    @GET
    @RequiresPermission(Permissions.AUDIT_READ)
    public List<AuditLog.Entry> list(
            @QueryParam("limit") @DefaultValue("100") int limit, @QueryParam("action") String action) {
        return audit.recent(limit, action);
    }

    @GET
    @Path("/verify")
    @RequiresPermission(Permissions.AUDIT_READ)
    public AuditLog.Verification verify() {
        return audit.verify();
    }
}
