package org.edufed.kernel.web.internal.rest;

import java.util.Locale;
import java.util.Set;
import javax.ws.rs.Consumes;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.SecurityContext;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.AccountService.PasswordPolicyException;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RestResource;
import org.edufed.kernel.web.internal.Messages;
import org.edufed.kernel.web.internal.console.ConsoleSessions;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code /api/v1/account}: the calling user's account, and changing its password. */
@Component(service = RestResource.class)
@Path("/account")
@AllowedBeforePasswordChange
public final class AccountResource implements RestResource {

    private final AccountService accounts;

    private final ConsoleSessions sessions;
    private final AuditLog audit;

    @Activate
    public AccountResource(
            @Reference AccountService accounts, @Reference ConsoleSessions sessions, @Reference AuditLog audit) {
        this.accounts = accounts;
        this.sessions = sessions;
        this.audit = audit;
    }

    /** How many sessions ended. */
    public record Ended(int ended) {}

    /** Logs the caller out everywhere at this node: every console session of the account ends. */
    @POST
    @Path("/sessions/end")
    @Produces(MediaType.APPLICATION_JSON)
    public Ended endSessions(@Context SecurityContext security) {
        String user = security.getUserPrincipal().getName();
        int ended = sessions.end(user, null);
        audit.record(AuditLog.Event.of("session.end", user, AuditLog.Result.SUCCESS, ended + " console sessions"));
        return new Ended(ended);
    }

    /** The calling user as the API shows it. */
    public record AccountBody(String username, String displayName, Set<String> roles, boolean mustChangePassword) {}

    /** A password change. */
    public record PasswordChange(String current, String replacement) {}

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public AccountBody get(@Context SecurityContext security) {
        Account a = ((AuthFilter.UserContext) security).account();
        return new AccountBody(a.username(), a.displayName(), a.roles(), a.mustChangePassword());
    }

    @POST
    @Path("/password")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response changePassword(
            @Context SecurityContext security, @Context HttpHeaders headers, PasswordChange change) {
        Locale locale = Messages.fromAcceptLanguage(headers.getAcceptableLanguages());
        if (change == null || change.current() == null || change.replacement() == null) {
            throw new ProblemException(400, "bad-request", Messages.get(locale, "problem.bad-request"));
        }
        try {
            accounts.changePassword(
                    security.getUserPrincipal().getName(),
                    change.current().toCharArray(),
                    change.replacement().toCharArray());
        } catch (PasswordPolicyException e) {
            throw new ProblemException(400, e.getMessage(), Messages.get(locale, e.getMessage(), e.args()));
        }
        // a new password ends the console sessions opened with the old one
        sessions.end(security.getUserPrincipal().getName(), null);
        return Response.noContent().build();
    }
}
