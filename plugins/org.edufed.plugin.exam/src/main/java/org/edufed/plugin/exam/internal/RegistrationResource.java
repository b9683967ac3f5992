package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.sql.SQLException;
import java.util.List;
import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
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
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/exam/registrations}: the registrations made at this node (a school, or a county whose students
 * register with it) — one at a time or as CSV, corrected, withdrawn, listed, and a registration's personal data
 * in full (audited). Bad input gets 422 with every problem named.
 */
@Component(service = RestResource.class)
@Path(RegistrationResource.PATH)
@Produces(MediaType.APPLICATION_JSON)
public final class RegistrationResource extends ExamApi implements RestResource {

    /** Where the registrations made at this node are (under {@code /api/v1}); their fast lane is there too. */
    static final String PATH = "/exam/registrations";

    private final FieldEncryption fields;
    private final ExamImports imports;

    @Activate
    public RegistrationResource(
            @Reference ExamStore store,
            @Reference NodeIdentity node,
            @Reference FieldEncryption fields,
            @Reference ExamImports imports) {
        super(store, node);
        this.fields = fields;
        this.imports = imports;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(REGISTER)
    public Response register(InputStream json) throws SQLException {
        Rules.Registration r = checked(registration(body(json)));
        return created(r, null);
    }

    @GET
    @RequiresPermission(READ)
    public List<ExamStore.Mine> registrations(@QueryParam("year") String year, @QueryParam("limit") Integer limit)
            throws SQLException {
        return store.mine(requireYear(year), limit == null ? 1000 : Math.max(1, Math.min(limit, MAX_LIST)));
    }

    @GET
    @Path("/{id}")
    @RequiresPermission(READ)
    public ExamStore.Mine registration(@PathParam("id") String id) throws SQLException {
        return store.mine(id).orElseThrow(() -> notFound());
    }

    @PUT
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(REGISTER)
    public ExamStore.Mine correct(@PathParam("id") String id, InputStream json) throws SQLException {
        if (store.mine(id).isEmpty()) {
            throw notFound();
        }
        return corrected(id, json);
    }

    @DELETE
    @Path("/{id}")
    @RequiresPermission(REGISTER)
    public Response withdraw(@PathParam("id") String id) throws SQLException {
        if (store.mine(id).isEmpty()) {
            throw notFound();
        }
        try {
            store.withdraw(id);
        } catch (Rules.Invalid e) {
            throw invalid(e);
        }
        return Response.noContent().build();
    }

    /**
     * The full ID number, phone and extra fields (the personal ones unmasked) of a registration made here; every
     * such view is in the audit trail.
     */
    @GET
    @Path("/{id}/personal")
    @RequiresPermission(PERSONAL)
    public ObjectNode personal(@PathParam("id") String id) throws SQLException {
        String[] c = store.mineCiphers(id).orElseThrow(this::notFound);
        return reveal(fields, node.code() + ":" + id, c);
    }

    /**
     * Registrations from a CSV file ({@code text/csv}, UTF-8 or GBK/GB18030 as Excel saves it, header {@code 姓名,身份证号,监护人电话,志愿} or
     * {@code name,idNumber,guardianPhone,preferences}, then a column per extra field of the year named by its code
     * or label; preferences as {@code 1:5101040001|5101040002;2:…}), as a job: the file is checked as a whole
     * (422 when it is not one to import), then {@code 202} with the job ({@code Location: …/imports/{id}}) while
     * every row is checked and each good row stored in its own transaction in the background. With
     * {@code ?wait=true} the answer waits for the end of the job (at most two minutes) and is {@code 200} with
     * the report ({@code rows}, {@code created}, {@code refused}, {@code errors}) as well.
     */
    @POST
    @Path("/import")
    @RequiresPermission(REGISTER)
    public Response importCsv(@QueryParam("year") String year, @QueryParam("wait") boolean wait, byte[] body)
            throws SQLException {
        String y = requireYear(year);
        requireCsv();
        ExamImports.Job job;
        try {
            job = imports.start(y, body);
        } catch (Rules.Invalid e) {
            throw invalid(e);
        }
        if (!wait) {
            return Response.accepted(job(job))
                    .location(java.net.URI.create("/api/v1/exam/imports/" + job.id()))
                    .build();
        }
        try {
            job = imports.await(job.id(), 120_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ObjectNode o = job(job);
        o.put("rows", job.total()).put("created", job.accepted());
        o.set("errors", o.remove("problems"));
        return Response.status(ExamImports.RUNNING.equals(job.state()) ? 202 : 200)
                .entity(o)
                .build();
    }
}
