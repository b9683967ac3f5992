package org.edufed.kernel.web.internal.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ConsolePage;
import org.edufed.kernel.web.internal.Messages;
import org.edufed.kernel.web.internal.rest.AccountImports;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * 账户 (accounts) in the console, for an account administrator: the local and federated accounts of this node,
 * a new account (its one-time password shown once), lock and unlock, ending an account's sessions, and accounts
 * in bulk from CSV pasted into the page (the same checks and report as {@code POST /api/v1/accounts/import}).
 */
@Component(service = ConsolePage.class)
public final class AccountsPage implements ConsolePage {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    private final AccountService accounts;
    private final AccountImports imports;
    private final ConsoleSessions sessions;
    private final AuditLog audit;

    @Activate
    public AccountsPage(
            @Reference AccountService accounts,
            @Reference AccountImports imports,
            @Reference ConsoleSessions sessions,
            @Reference AuditLog audit) {
        this.accounts = accounts;
        this.imports = imports;
        this.sessions = sessions;
        this.audit = audit;
    }

    @Override
    public String path() {
        return "accounts";
    }

    @Override
    public String title(Locale locale) {
        return Messages.get(locale, "accounts.title");
    }

    @Override
    public String permission() {
        return Permissions.ACCOUNT_ADMIN;
    }

    @Override
    public int rank() {
        return 30;
    }

    @Override
    public String render(PageContext ctx) throws IOException {
        return page(ctx, null, null, ctx.parameter("import"));
    }

    @Override
    public String submit(PageContext ctx) throws IOException {
        Locale l = ctx.locale();
        String user = ctx.parameter("username");
        try {
            switch (String.valueOf(ctx.parameter("action"))) {
                case "create" -> {
                    Set<String> roles = new LinkedHashSet<>();
                    for (AccountService.Role r : accounts.roles()) {
                        if ("on".equals(ctx.parameter("role." + r.name()))) {
                            roles.add(r.name());
                        }
                    }
                    String password =
                            accounts.create(user == null ? null : user.trim(), ctx.parameter("displayName"), roles);
                    return page(ctx, null, Messages.get(l, "accounts.created", user.trim(), password), null);
                }
                case "lock", "unlock" -> {
                    accounts.setLocked(user, "lock".equals(ctx.parameter("action")));
                    if ("lock".equals(ctx.parameter("action"))) {
                        sessions.end(user, null);
                    }
                    return page(ctx, null, Messages.get(l, "accounts.done"), null);
                }
                case "end" -> {
                    int n = sessions.end(user, null);
                    audit.record(
                            AuditLog.Event.of("session.end", user, AuditLog.Result.SUCCESS, n + " console sessions"));
                    return page(ctx, null, Messages.get(l, "accounts.ended", n), null);
                }
                case "import" -> {
                    String csv = ctx.parameter("csv");
                    AccountImports.Job job = imports.start(
                            ctx.username(),
                            Actor.current().address(),
                            csv == null ? new byte[0] : csv.getBytes(StandardCharsets.UTF_8));
                    return page(ctx, null, null, job.id());
                }
                default -> {
                    return page(ctx, Messages.get(l, "problem.bad-request"), null, null);
                }
            }
        } catch (IllegalArgumentException e) {
            return page(
                    ctx, Messages.get(l, e.getMessage() == null ? "problem.bad-request" : e.getMessage()), null, null);
        }
    }

    private String page(PageContext ctx, String error, String info, String importId) throws IOException {
        Locale l = ctx.locale();
        Map<String, Object> model = new HashMap<>();
        model.put("m", Messages.all(l));
        model.put("csrf", ctx.csrfField());
        if (error != null) {
            model.put("error", error);
        }
        if (info != null) {
            model.put("info", info);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Account a : accounts.list()) {
            Map<String, Object> r = new HashMap<>();
            r.put("username", a.username());
            r.put("displayName", a.displayName());
            if (a.username().indexOf('@') >= 0) {
                AccountService.Layers layers = accounts.layers(a.username());
                r.put("roles", String.join(", ", layers.roles()));
                r.put("releasedRoles", String.join(", ", layers.releasedRoles()));
            } else {
                r.put("roles", String.join(", ", a.roles()));
            }
            r.put("locked", a.locked());
            r.put("federated", a.username().indexOf('@') >= 0);
            r.put("lastLogin", a.lastLogin() == null ? "—" : TIME.format(a.lastLogin()));
            r.put("sessions", sessions.count(a.username()));
            rows.add(r);
        }
        model.put("accounts", rows);
        model.put(
                "roles",
                accounts.roles().stream().map(AccountService.Role::name).toList());
        if (importId != null) {
            imports.find(importId).ifPresent(job -> {
                Map<String, Object> j = new HashMap<>();
                j.put("id", job.id());
                j.put("done", job.done());
                j.put("total", job.total());
                j.put("pending", job.pending());
                j.put("created", job.created());
                List<Map<String, Object>> bad = new ArrayList<>();
                for (AccountImports.RowReport r : job.rows()) {
                    if (r.error() != null) {
                        bad.add(Map.of(
                                "line", r.line(), "username", r.username(), "message", Messages.get(l, r.error())));
                    }
                }
                j.put("bad", bad);
                if (job.done() && job.owner().equals(ctx.username())) {
                    job.takePasswords().ifPresent(p -> {
                        j.put("passwords", p);
                        audit.record(AuditLog.Event.of(
                                "account.import.passwords",
                                job.id(),
                                AuditLog.Result.SUCCESS,
                                p.size() + " one-time passwords shown in the console"));
                    });
                }
                model.put("job", j);
            });
        }
        return Templates.render("accounts.ftlh", model);
    }
}
