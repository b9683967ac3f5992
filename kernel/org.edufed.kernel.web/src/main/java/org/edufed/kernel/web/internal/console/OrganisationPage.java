package org.edufed.kernel.web.internal.console;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Grant;
import org.edufed.kernel.api.security.OrgUnit;
import org.edufed.kernel.api.security.Organisation;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ConsolePage;
import org.edufed.kernel.web.internal.Messages;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * 机构与授权 (organisation and grants) in the console: the organisation tree of this node (its units, and the
 * nodes below), adding and removing units, the roles with their permissions, and who holds which role over which
 * unit. Changing units needs {@code org:admin}; granting needs {@code account:admin} too, as the API does.
 */
@Component(service = ConsolePage.class)
public final class OrganisationPage implements ConsolePage {

    private final Organisation organisation;
    private final AccountService accounts;

    @Activate
    public OrganisationPage(@Reference Organisation organisation, @Reference AccountService accounts) {
        this.organisation = organisation;
        this.accounts = accounts;
    }

    @Override
    public String path() {
        return "org";
    }

    @Override
    public String title(Locale locale) {
        return Messages.get(locale, "org.title");
    }

    @Override
    public String permission() {
        return Permissions.ORG_ADMIN;
    }

    @Override
    public int rank() {
        return 35;
    }

    @Override
    public String render(PageContext ctx) throws IOException {
        return page(ctx, null, null);
    }

    @Override
    public String submit(PageContext ctx) throws IOException {
        Locale l = ctx.locale();
        try {
            switch (String.valueOf(ctx.parameter("action"))) {
                case "add" -> {
                    OrgUnit u = organisation.add(
                            ctx.parameter("parent"),
                            ctx.parameter("code"),
                            ctx.parameter("name"),
                            ctx.parameter("kind"));
                    return page(ctx, null, Messages.get(l, "org.added", u.code()));
                }
                case "remove" -> {
                    organisation.remove(ctx.parameter("code"));
                    return page(ctx, null, Messages.get(l, "accounts.done"));
                }
                case "grant" -> {
                    if (!accounts.isPermitted(ctx.username(), Permissions.ACCOUNT_ADMIN)) {
                        return page(ctx, Messages.get(l, "console.forbidden"), null);
                    }
                    String user = ctx.parameter("username");
                    // the grants given here; those an identity provider released stay apart
                    List<Grant> grants = new ArrayList<>(accounts.layers(user).grants());
                    grants.add(new Grant(
                            ctx.parameter("role"), ctx.parameter("unit"), "on".equals(ctx.parameter("subtree"))));
                    accounts.setGrants(user, grants);
                    return page(ctx, null, Messages.get(l, "accounts.done"));
                }
                case "revoke" -> {
                    if (!accounts.isPermitted(ctx.username(), Permissions.ACCOUNT_ADMIN)) {
                        return page(ctx, Messages.get(l, "console.forbidden"), null);
                    }
                    String user = ctx.parameter("username");
                    List<Grant> grants = new ArrayList<>(accounts.layers(user).grants());
                    grants.removeIf(g ->
                            g.role().equals(ctx.parameter("role")) && g.unit().equals(ctx.parameter("unit")));
                    accounts.setGrants(user, grants);
                    return page(ctx, null, Messages.get(l, "accounts.done"));
                }
                default -> {
                    return page(ctx, Messages.get(l, "problem.bad-request"), null);
                }
            }
        } catch (IllegalArgumentException e) {
            return page(ctx, Messages.get(l, e.getMessage() == null ? "problem.bad-request" : e.getMessage()), null);
        }
    }

    private String page(PageContext ctx, String error, String info) throws IOException {
        Map<String, Object> model = new HashMap<>();
        model.put("m", Messages.all(ctx.locale()));
        model.put("csrf", ctx.csrfField());
        if (error != null) {
            model.put("error", error);
        }
        if (info != null) {
            model.put("info", info);
        }
        List<Map<String, Object>> units = new ArrayList<>();
        for (OrgUnit u : organisation.units()) {
            Map<String, Object> m = new HashMap<>();
            m.put("code", u.code());
            m.put("name", u.name());
            m.put("kind", u.kind());
            m.put("parent", u.parentCode() == null ? "—" : u.parentCode());
            m.put("inner", !u.isNode());
            units.add(m);
        }
        model.put("units", units);
        model.put("kinds", new TreeSet<>(OrgUnit.INNER_KINDS));
        List<Map<String, Object>> roles = new ArrayList<>();
        for (AccountService.Role r : accounts.roles()) {
            roles.add(Map.of(
                    "name",
                    r.name(),
                    "description",
                    r.description(),
                    "permissions",
                    String.join(", ", new TreeSet<>(r.permissions()))));
        }
        model.put("roles", roles);
        List<Map<String, Object>> grants = new ArrayList<>();
        for (org.edufed.kernel.api.security.Account a : accounts.list()) {
            AccountService.Layers layers = accounts.layers(a.username());
            for (boolean released : new boolean[] {false, true}) {
                (released ? layers.releasedGrants() : layers.grants())
                        .forEach(g -> grants.add(Map.of(
                                "username", a.username(),
                                "role", g.role(),
                                "unit", g.unit(),
                                "subtree", g.subtree(),
                                "released", released)));
            }
        }
        model.put("grants", grants);
        model.put("usernames", accounts.list().stream().map(a -> a.username()).toList());
        return Templates.render("org.ftlh", model);
    }
}
