package org.edufed.kernel.web.internal.rest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
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
import javax.ws.rs.core.SecurityContext;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.edufed.kernel.web.internal.saml.SingleSignOn;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/sso/sps}: the service providers outside the tree (a portal, a library system) that this node's
 * identity provider answers, registered by name with their SAML metadata ({@code PUT …/{name}}, the
 * EntityDescriptor as {@code application/samlmetadata+xml}); the SPs of the tree's nodes arrive by themselves.
 * Every registration, replacement, removal and refusal is audited ({@code sso.sp.register}, {@code sso.sp.remove}).
 */
@Component(service = RestResource.class)
@Path("/sso/sps")
@Produces(MediaType.APPLICATION_JSON)
@RequiresPermission(Permissions.SSO_ADMIN)
public final class SsoResource implements RestResource {

    private final SingleSignOn sso;
    private final AuditLog audit;

    @Activate
    public SsoResource(@Reference SingleSignOn sso, @Reference AuditLog audit) {
        this.sso = sso;
        this.audit = audit;
    }

    @GET
    public List<SingleSignOn.ExternalSp> list() throws SQLException {
        return sso.externalSps();
    }

    @PUT
    @Path("/{name}")
    @Consumes({"application/samlmetadata+xml", MediaType.APPLICATION_XML, MediaType.TEXT_XML})
    public Response register(
            @Context HttpHeaders headers,
            @Context SecurityContext security,
            @PathParam("name") String name,
            byte[] body)
            throws SQLException {
        String what = name == null || name.length() > 64 ? "?" : name;
        if (body == null || body.length > SingleSignOn.MAX_METADATA * 3) {
            throw refused(headers, what, 413, "too-large", "sso.sp.tooLarge");
        }
        String xml;
        try {
            xml = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw refused(headers, what, 400, "bad-request", "sso.sp.badMetadata");
        }
        boolean created;
        try {
            created = sso.registerSp(name, xml, security.getUserPrincipal().getName());
        } catch (IllegalArgumentException e) {
            String key = e.getMessage();
            int status =
                    switch (key) {
                        case "sso.sp.nodeEntity", "sso.sp.duplicate", "sso.sp.notIdp" -> 409;
                        case "sso.sp.tooLarge" -> 413;
                        default -> 400;
                    };
            throw refused(
                    headers,
                    what,
                    status,
                    status == 409 ? "conflict" : status == 413 ? "too-large" : "bad-request",
                    key);
        }
        SingleSignOn.ExternalSp sp = sso.externalSps().stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow();
        audit.record(AuditLog.Event.of(
                "sso.sp.register",
                name,
                AuditLog.Result.SUCCESS,
                (created ? "registered " : "replaced by ") + sp.entityId() + ", ACS " + sp.acs()));
        return Response.status(created ? 201 : 200).entity(sp).build();
    }

    @DELETE
    @Path("/{name}")
    public Response remove(@Context HttpHeaders headers, @PathParam("name") String name) throws SQLException {
        if (!sso.removeSp(name)) {
            throw Refusals.problem(headers, 404, "not-found", "sso.sp.notFound");
        }
        audit.record(AuditLog.Event.of("sso.sp.remove", name, AuditLog.Result.SUCCESS, null));
        return Response.noContent().build();
    }

    private ProblemException refused(HttpHeaders headers, String name, int status, String type, String key) {
        audit.record(AuditLog.Event.of("sso.sp.register", name, AuditLog.Result.FAILURE, key));
        return Refusals.problem(headers, status, type, key);
    }
}
