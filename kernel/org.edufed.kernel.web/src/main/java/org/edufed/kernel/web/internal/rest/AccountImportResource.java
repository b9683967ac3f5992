package org.edufed.kernel.web.internal.rest;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.ws.rs.Consumes;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.SecurityContext;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.edufed.kernel.web.internal.Messages;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/accounts/import}: accounts in bulk from a CSV file (see {@link AccountImports} for the columns).
 * {@code POST} checks the whole file and answers 202 with the report — every bad row with its line and reason
 * — while the good rows are created; {@code GET …/{id}} shows the progress and the outcome of each row; {@code
 * GET …/{id}/passwords} hands the one-time passwords of the created accounts, as CSV, once, to whoever started the
 * import.
 */
@Component(service = RestResource.class)
@Path("/accounts/import")
@Produces(MediaType.APPLICATION_JSON)
@RequiresPermission(Permissions.ACCOUNT_ADMIN)
public final class AccountImportResource implements RestResource {

    private final AccountImports imports;
    private final AuditLog audit;

    @Activate
    public AccountImportResource(@Reference AccountImports imports, @Reference AuditLog audit) {
        this.imports = imports;
        this.audit = audit;
    }

    /** One row of the report, with the reason in the request's language. */
    public record Row(int line, String username, String status, String error, String message) {}

    /** The report of an import. */
    public record Report(
            String id,
            String state,
            int total,
            int pending,
            int created,
            int exists,
            int invalid,
            List<Row> rows,
            String passwords) {}

    /** The CSV file as {@code text/csv} (or {@code text/plain}); another type is answered 415 with a problem body. */
    @POST
    @Consumes({"text/csv", MediaType.TEXT_PLAIN})
    public Response start(@Context HttpHeaders headers, @Context SecurityContext security, byte[] csv) {
        AccountImports.Job job = Refusals.checked(
                headers,
                () -> imports.start(
                        security.getUserPrincipal().getName(), Actor.current().address(), csv));
        return Response.status(202)
                .location(URI.create("accounts/import/" + job.id())) // resolved against /api/v1/
                .entity(report(job, headers))
                .build();
    }

    @GET
    @Path("/{id}")
    public Report get(@Context HttpHeaders headers, @PathParam("id") String id) {
        return report(job(headers, id), headers);
    }

    @GET
    @Path("/{id}/passwords")
    @Produces("text/csv")
    public Response passwords(
            @Context HttpHeaders headers, @Context SecurityContext security, @PathParam("id") String id) {
        AccountImports.Job job = job(headers, id);
        if (!job.owner().equals(security.getUserPrincipal().getName())) {
            throw Refusals.problem(headers, 403, "forbidden", "import.notOwner");
        }
        if (!job.done()) {
            throw Refusals.problem(headers, 409, "conflict", "import.running");
        }
        Map<String, String> passwords =
                job.takePasswords().orElseThrow(() -> Refusals.problem(headers, 410, "gone", "import.passwordsTaken"));
        StringBuilder csv = new StringBuilder("\uFEFFusername,oneTimePassword\r\n");
        passwords.forEach((u, p) -> csv.append(u).append(',').append(p).append("\r\n"));
        audit.record(AuditLog.Event.of(
                "account.import.passwords",
                id,
                AuditLog.Result.SUCCESS,
                passwords.size() + " one-time passwords handed over"));
        return Response.ok(csv.toString().getBytes(StandardCharsets.UTF_8), "text/csv;charset=UTF-8")
                .header("Content-Disposition", "attachment; filename=\"passwords-" + id + ".csv\"")
                .header("Cache-Control", "no-store")
                .build();
    }

    private AccountImports.Job job(HttpHeaders headers, String id) {
        return imports.find(id).orElseThrow(() -> Refusals.problem(headers, 404, "not-found", "import.notFound"));
    }

    private static Report report(AccountImports.Job job, HttpHeaders headers) {
        Locale locale = Messages.fromAcceptLanguage(headers.getAcceptableLanguages());
        List<Row> rows = job.rows().stream()
                .map(r -> new Row(
                        r.line(),
                        r.username(),
                        r.status(),
                        r.error(),
                        r.error() == null ? null : Messages.get(locale, r.error())))
                .toList();
        int exists =
                (int) rows.stream().filter(r -> r.status().equals("exists")).count();
        int invalid =
                (int) rows.stream().filter(r -> r.status().equals("invalid")).count();
        String passwords = job.created() == 0 || job.passwordsTaken()
                ? null
                : "/api/v1/accounts/import/" + job.id() + "/passwords";
        return new Report(
                job.id(),
                job.done() ? "done" : "running",
                job.total(),
                job.pending(),
                job.created(),
                exists,
                invalid,
                rows,
                passwords);
    }
}
