package org.edufed.kernel.web.internal.rest;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import javax.ws.rs.Consumes;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Grant;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.edufed.kernel.web.internal.console.ConsoleSessions;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/accounts}: the local accounts of this node for an account administrator — list, create
 * (answered with a one-time password to hand over), roles, lock and unlock, a new one-time password — and
 * {@code /api/v1/accounts/roles}: the roles with their permissions.
 */
@Component(service = RestResource.class)
@Path("/accounts")
@Produces(MediaType.APPLICATION_JSON)
@RequiresPermission(Permissions.ACCOUNT_ADMIN)
public final class AccountsResource implements RestResource {

    private final AccountService accounts;

    private final ConsoleSessions sessions;
    private final AuditLog audit;

    @Activate
    public AccountsResource(
            @Reference AccountService accounts, @Reference ConsoleSessions sessions, @Reference AuditLog audit) {
        this.accounts = accounts;
        this.sessions = sessions;
        this.audit = audit;
    }

    /** Ends every console session of the account at this node (a lost device, a departure). */
    @POST
    @Path("/{username}/sessions/end")
    public AccountResource.Ended endSessions(@Context HttpHeaders headers, @PathParam("username") String username) {
        if (accounts.find(username).isEmpty()) {
            throw notFound(headers);
        }
        int ended = sessions.end(username, null);
        audit.record(AuditLog.Event.of("session.end", username, AuditLog.Result.SUCCESS, ended + " console sessions"));
        return new AccountResource.Ended(ended);
    }

    /** A new account. */
    public record NewAccount(String username, String displayName, Set<String> roles) {}

    /** A created account (or a reset one) with the one-time password to hand over, shown only this once. */
    public record OneTimePassword(String username, String oneTimePassword) {}

    /** The roles to give. */
    public record Roles(Set<String> roles) {}

    @GET
    public List<Account> list() {
        return accounts.list();
    }

    @GET
    @Path("/roles")
    public List<AccountService.Role> roles() {
        return accounts.roles();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(@Context HttpHeaders headers, NewAccount body) {
        if (body == null) {
            throw bad(headers, "account.badName");
        }
        String password = checked(headers, () -> accounts.create(body.username(), body.displayName(), body.roles()));
        return Response.status(201)
                .entity(new OneTimePassword(body.username(), password))
                .build();
    }

    /**
     * The account's roles and grants by where they come from: given at this node (what {@code PUT …/roles} and
     * {@code PUT …/grants} replace, kept) and, for a federated account, released by its identity provider at the
     * last sign-on (replaced at each).
     */
    @GET
    @Path("/{username}/roles")
    public AccountService.Layers layers(@Context HttpHeaders headers, @PathParam("username") String username) {
        return checked(headers, () -> accounts.layers(username));
    }

    @PUT
    @Path("/{username}/roles")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response roles(@Context HttpHeaders headers, @PathParam("username") String username, Roles body) {
        checked(headers, () -> {
            accounts.setRoles(username, body == null ? null : body.roles());
            return null;
        });
        return Response.noContent().build();
    }

    /** The grants to give: roles over organisation units. */
    public record Grants(List<Grant> grants) {}

    @GET
    @Path("/{username}/grants")
    public List<Grant> grants(@Context HttpHeaders headers, @PathParam("username") String username) {
        if (accounts.find(username).isEmpty()) {
            throw notFound(headers);
        }
        return accounts.grants(username);
    }

    @PUT
    @Path("/{username}/grants")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response grants(@Context HttpHeaders headers, @PathParam("username") String username, Grants body) {
        Refusals.checked(headers, () -> {
            accounts.setGrants(username, body == null ? null : body.grants());
            return null;
        });
        return Response.noContent().build();
    }

    @POST
    @Path("/{username}/lock")
    public Response lock(@Context HttpHeaders headers, @PathParam("username") String username) {
        return locked(headers, username, true);
    }

    @POST
    @Path("/{username}/unlock")
    public Response unlock(@Context HttpHeaders headers, @PathParam("username") String username) {
        return locked(headers, username, false);
    }

    @POST
    @Path("/{username}/reset-password")
    public OneTimePassword reset(@Context HttpHeaders headers, @PathParam("username") String username) {
        if (accounts.find(username).isEmpty()) {
            throw notFound(headers);
        }
        String password = accounts.resetPassword(username);
        sessions.end(username, null);
        return new OneTimePassword(username, password);
    }

    private Response locked(HttpHeaders headers, String username, boolean locked) {
        checked(headers, () -> {
            accounts.setLocked(username, locked);
            return null;
        });
        if (locked) {
            sessions.end(username, null); // a locked account is out at once, not at its next login
        }
        return Response.noContent().build();
    }

    private static <T> T checked(HttpHeaders headers, Supplier<T> change) {
        return Refusals.checked(headers, change);
    }

    private static ProblemException bad(HttpHeaders headers, String key) {
        return Refusals.problem(headers, 400, "bad-request", key);
    }

    private static ProblemException notFound(HttpHeaders headers) {
        return Refusals.problem(headers, 404, "not-found", "account.notFound");
    }
}
