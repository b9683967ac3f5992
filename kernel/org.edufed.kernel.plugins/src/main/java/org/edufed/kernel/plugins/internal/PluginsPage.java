package org.edufed.kernel.plugins.internal;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ConsolePage;
import org.edufed.kernel.api.web.ProblemException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /console/plugins} (插件): the catalogue as this node sees it — mandatory, recommended or optional,
 * who listed it — what runs here, and for anything that does not run, why (in the user's language). A
 * plugin administrator enables or disables what is not mandatory, for this node and its subtree, rolls back to
 * a version the node kept (a pin), checks an archive (the dry run's report), publishes one for the subtree
 * (locked / overridable / available, levels, a first wave) and follows a rollout node by node; at the province,
 * a holder of {@code plugin:certify} certifies an archive. The same calls as {@link PluginsResource}.
 */
@Component(service = ConsolePage.class)
public final class PluginsPage implements ConsolePage {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PluginsPage.class);

    private final PluginManager manager;
    private final PluginsResource resource;
    private final AccountService accounts;

    @Activate
    public PluginsPage(@Reference PluginManager manager, @Reference AccountService accounts) {
        this.manager = manager;
        this.resource = new PluginsResource(manager);
        this.accounts = accounts;
    }

    @Override
    public String path() {
        return "plugins";
    }

    @Override
    public String title(Locale locale) {
        return Texts.get(locale, "page.plugins");
    }

    @Override
    public String permission() {
        return Permissions.NODE_READ;
    }

    @Override
    public String submitPermission() {
        return PluginsResource.ADMIN;
    }

    @Override
    public int rank() {
        return 40;
    }

    @Override
    public String render(PageContext ctx) {
        return page(ctx, null, null);
    }

    @Override
    public String submit(PageContext ctx) {
        Locale locale = Texts.of(ctx.locale());
        String action = ctx.parameter("action");
        String id = ctx.parameter("id");
        try {
            switch (action == null ? "" : action) {
                case "enable", "disable" -> {
                    boolean enable = action.equals("enable");
                    manager.choose(checkedId(id), enable, Mode.OVERRIDABLE);
                    return page(ctx, Texts.get(locale, enable ? "console.enabled" : "console.disabled", id), null);
                }
                case "pin" -> {
                    String version = ctx.parameter("version");
                    if (version == null || version.isBlank()) {
                        throw new Invalid(Texts.get(locale, "console.noVersion"));
                    }
                    PluginManager.Published done = manager.pin(checkedId(id), version.strip(), Mode.LOCAL);
                    return page(
                            ctx,
                            Texts.get(locale, "console.pinned", id, done.entry().version()),
                            id);
                }
                case "wave" -> {
                    Set<String> nodes = PluginsResource.nodes(locale, words(ctx.parameter("nodes")));
                    manager.wave(checkedId(id), nodes);
                    return page(
                            ctx,
                            Texts.get(
                                    locale,
                                    "console.waved",
                                    id,
                                    nodes.isEmpty() ? Texts.get(locale, "console.allNodes") : String.join(", ", nodes)),
                            id);
                }
                case "check" -> {
                    PluginManager.Report r =
                            manager.dryRun(upload(ctx, "archive", true), upload(ctx, "signature", false), locale);
                    return page(ctx, null, null) + report(ctx, locale, r);
                }
                case "certify" -> {
                    requireCertifier(ctx, locale);
                    PluginManager.Certified done = manager.certify(upload(ctx, "archive", true));
                    return page(
                                    ctx,
                                    Texts.get(
                                            locale,
                                            "console.certified",
                                            done.descriptor().id(),
                                            done.descriptor().version()),
                                    null)
                            + certified(ctx, locale, done);
                }
                case "publish" -> {
                    byte[] archive = upload(ctx, "archive", true);
                    byte[] signature = upload(ctx, "signature", false);
                    if ("on".equals(ctx.parameter("certify"))) {
                        requireCertifier(ctx, locale);
                        signature = manager.certify(archive).signature();
                    }
                    String kind = ctx.parameter("mode") == null ? "overridable" : ctx.parameter("mode");
                    Mode mode =
                            switch (kind) {
                                case "locked" -> Mode.LOCKED;
                                case "overridable", "available" -> Mode.OVERRIDABLE;
                                default -> throw new Invalid(Texts.get(locale, "plugin.badRequest", "mode"));
                            };
                    Set<Level> levels = EnumSet.noneOf(Level.class);
                    for (Level l : Level.values()) {
                        if ("on".equals(ctx.parameter("level." + l.name().toLowerCase(Locale.ROOT)))) {
                            levels.add(l);
                        }
                    }
                    Set<String> nodes = PluginsResource.nodes(locale, words(ctx.parameter("nodes")));
                    PluginManager.Published done =
                            manager.publish(archive, signature, mode, !kind.equals("available"), levels, nodes);
                    return page(
                            ctx,
                            Texts.get(
                                    locale,
                                    "console.published",
                                    done.entry().id(),
                                    done.entry().version(),
                                    Texts.get(locale, "console.mode." + kind),
                                    done.parts()),
                            done.entry().id());
                }
                default -> throw new Invalid(Texts.get(locale, "plugin.badRequest", "action"));
            }
        } catch (Invalid e) {
            return page(ctx, e.getMessage(), null);
        } catch (Verifier.Refused e) {
            return page(ctx, Texts.get(locale, e.key, e.args), null);
        } catch (LockedException e) {
            return page(
                    ctx,
                    Texts.get(
                            locale,
                            "plugin.locked",
                            e.key(),
                            e.lockedBy().setBy() == null
                                    ? "?"
                                    : e.lockedBy().setBy().name()),
                    null);
        } catch (ProblemException e) {
            return page(ctx, e.getMessage(), null);
        } catch (IllegalArgumentException e) {
            String key =
                    e.getMessage() != null && e.getMessage().startsWith("plugin.") ? e.getMessage() : "plugin.notFound";
            return page(ctx, Texts.get(locale, key, id), null);
        } catch (SQLException | IOException | RuntimeException e) {
            LOG.warn("console: plugin action {} on {} failed", action, id, e);
            return page(ctx, Texts.get(locale, "console.failed"), null);
        }
    }

    /** A form value that is not valid: the message says which, in the user's language. */
    private static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    private static String checkedId(String id) {
        if (id == null || !Descriptor.ID.matcher(id).matches()) {
            throw new IllegalArgumentException("plugin.notFound");
        }
        return id;
    }

    private static List<String> words(String text) {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        return List.of(text.strip().split("[\\s,，、;；]+"));
    }

    /** An uploaded file (base64 from the console), {@code null} when none was chosen and none is required. */
    private static byte[] upload(PageContext ctx, String name, boolean required) throws Invalid {
        Locale locale = Texts.of(ctx.locale());
        String b64 = ctx.parameter(name);
        if (b64 == null || b64.isBlank()) {
            if (required) {
                throw new Invalid(Texts.get(locale, "console.noFile." + name));
            }
            return null;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(b64.strip());
        } catch (IllegalArgumentException e) {
            throw new Invalid(Texts.get(locale, "plugin.badRequest", name));
        }
        if (bytes.length > PluginManager.MAX_ARCHIVE) {
            throw new Invalid(Texts.get(locale, "plugin.tooLarge", PluginManager.MAX_ARCHIVE >> 20));
        }
        return bytes;
    }

    private void requireCertifier(PageContext ctx, Locale locale) throws Invalid {
        if (!accounts.isPermitted(ctx.username(), PluginsResource.CERTIFY)) {
            throw new Invalid(Texts.get(locale, "console.noCertifyPermission"));
        }
    }

    private static String report(PageContext ctx, Locale locale, PluginManager.Report r) {
        StringBuilder h = new StringBuilder("<section id=\"report\"><h2>")
                .append(ctx.escape(Texts.get(locale, "console.report", r.id(), r.version())))
                .append("</h2><p class=\"")
                .append(r.ok() ? "ok" : "error")
                .append("\" data-ok=\"")
                .append(r.ok())
                .append("\">")
                .append(ctx.escape(Texts.get(locale, r.ok() ? "console.reportOk" : "console.reportNotOk")))
                .append("</p><table class=\"grid\"><tbody>");
        for (DryRun.Check c : r.checks()) {
            h.append("<tr class=\"")
                    .append(c.ok() ? "ok" : "error")
                    .append("\"><th>")
                    .append(ctx.escape(c.name()))
                    .append("</th><td>")
                    .append(c.ok() ? "✓" : "✗")
                    .append("</td><td>")
                    .append(ctx.escape(c.detail() == null ? "" : c.detail()))
                    .append("</td></tr>");
        }
        return h.append("</tbody></table></section>").toString();
    }

    private static String certified(PageContext ctx, Locale locale, PluginManager.Certified done) {
        return "<section id=\"certified\"><p>" + ctx.escape(Texts.get(locale, "console.signatureHint"))
                + "</p><textarea readonly rows=\"6\" cols=\"80\" id=\"signature\">"
                + ctx.escape(Base64.getEncoder().encodeToString(done.signature())) + "</textarea></section>";
    }

    private String rollout(PageContext ctx, Locale locale, String id, boolean admin) {
        StringBuilder h = new StringBuilder("<section id=\"rollout\"><h2>")
                .append(ctx.escape(Texts.get(locale, "console.rolloutOf", id)))
                .append("</h2><table class=\"grid\" id=\"rollout-table\"><thead><tr>");
        for (String c : Texts.get(locale, "console.rolloutColumns").split("\\|")) {
            h.append("<th>").append(ctx.escape(c)).append("</th>");
        }
        h.append("</tr></thead><tbody>");
        for (PluginManager.Rollout r : manager.rollout(id)) {
            h.append("<tr data-node=\"")
                    .append(ctx.escape(r.code()))
                    .append("\" data-state=\"")
                    .append(ctx.escape(r.state()))
                    .append("\"><td>")
                    .append(ctx.escape(r.code()))
                    .append("</td><td>")
                    .append(ctx.escape(r.name() == null ? "" : r.name()))
                    .append("</td><td>")
                    .append(ctx.escape(r.level() == null ? "" : r.level()))
                    .append("</td><td class=\"state-")
                    .append(ctx.escape(r.state()))
                    .append("\">")
                    .append(ctx.escape(r.state()))
                    .append("</td><td>")
                    .append(ctx.escape(r.version() == null ? "" : r.version()))
                    .append("</td><td class=\"reason\">")
                    .append(ctx.escape(r.reason() == null ? "" : r.reason()))
                    .append("</td><td>")
                    .append(r.at() == null ? "" : ctx.escape(r.at().toString()))
                    .append("</td></tr>");
        }
        h.append("</tbody></table>");
        if (admin) {
            h.append("<form method=\"post\" class=\"wave\">")
                    .append(ctx.csrfField())
                    .append("<input type=\"hidden\" name=\"action\" value=\"wave\">")
                    .append("<input type=\"hidden\" name=\"id\" value=\"")
                    .append(ctx.escape(id))
                    .append("\"><label>")
                    .append(ctx.escape(Texts.get(locale, "console.waveNodes")))
                    .append(" <input name=\"nodes\" size=\"40\" placeholder=\"510104 510105\"></label> <button>")
                    .append(ctx.escape(Texts.get(locale, "console.wave")))
                    .append("</button></form>");
        }
        return h.append("</section>").toString();
    }

    private String forms(PageContext ctx, Locale locale) {
        boolean certifier = accounts.isPermitted(ctx.username(), PluginsResource.CERTIFY)
                && manager.authority().isPresent();
        StringBuilder h = new StringBuilder("<section id=\"package\"><h2>")
                .append(ctx.escape(Texts.get(locale, "console.package")))
                .append("</h2><form method=\"post\" enctype=\"multipart/form-data\" id=\"package-form\">")
                .append(ctx.csrfField())
                .append("<p><label>")
                .append(ctx.escape(Texts.get(locale, "console.archive")))
                .append(" <input type=\"file\" name=\"archive\" accept=\".kar\"></label></p><p><label>")
                .append(ctx.escape(Texts.get(locale, "console.signature")))
                .append(" <input type=\"file\" name=\"signature\"></label></p>");
        if (certifier) {
            h.append("<p><label><input type=\"checkbox\" name=\"certify\"> ")
                    .append(ctx.escape(Texts.get(locale, "console.certifyHere")))
                    .append("</label></p>");
        }
        h.append("<p><label>")
                .append(ctx.escape(Texts.get(locale, "console.mode")))
                .append(" <select name=\"mode\">");
        for (String m : new String[] {"overridable", "locked", "available"}) {
            h.append("<option value=\"")
                    .append(m)
                    .append("\">")
                    .append(ctx.escape(Texts.get(locale, "console.mode." + m)))
                    .append("</option>");
        }
        h.append("</select></label> ").append(ctx.escape(Texts.get(locale, "console.levels")));
        for (Level l : Level.values()) {
            String n = l.name().toLowerCase(Locale.ROOT);
            h.append(" <label><input type=\"checkbox\" name=\"level.")
                    .append(n)
                    .append("\"> ")
                    .append(ctx.escape(Texts.get(locale, "console.level." + n)))
                    .append("</label>");
        }
        h.append("</p><p><label>")
                .append(ctx.escape(Texts.get(locale, "console.waveNodes")))
                .append(" <input name=\"nodes\" size=\"40\"></label></p><p>")
                .append("<button name=\"action\" value=\"check\">")
                .append(ctx.escape(Texts.get(locale, "console.check")))
                .append("</button> <button name=\"action\" value=\"publish\">")
                .append(ctx.escape(Texts.get(locale, "console.publish")))
                .append("</button>");
        if (certifier) {
            h.append(" <button name=\"action\" value=\"certify\">")
                    .append(ctx.escape(Texts.get(locale, "console.certify")))
                    .append("</button>");
        }
        return h.append("</p></form></section>").toString();
    }

    private String page(PageContext ctx, String message, String rolloutOf) {
        Locale locale = Texts.of(ctx.locale());
        boolean en = en(locale);
        boolean admin = accounts.isPermitted(ctx.username(), PluginsResource.ADMIN);
        String shown = rolloutOf != null ? rolloutOf : ctx.parameter("rollout");
        StringBuilder h = new StringBuilder();
        if (message != null) {
            h.append("<p class=\"notice\" role=\"status\">")
                    .append(ctx.escape(message))
                    .append("</p>");
        }
        h.append("<p>")
                .append(
                        en
                                ? "Plugins listed by the levels above and by this node. Mandatory ones run at the levels named; the others may be enabled or disabled here. Every archive is verified against the province's certification before it runs."
                                : "上级和本级列入目录的插件。必装插件在指定层级运行，其余可在本级启用或停用。每个安装包运行前都要验证省级认证签名。")
                .append("</p>");
        h.append("<table class=\"grid\" id=\"plugins\"><thead><tr>");
        for (String c : en
                ? new String[] {"Plugin", "Version", "Vendor", "Listed by", "Catalogue", "State", "Reason", ""}
                : new String[] {"插件", "版本", "厂商", "列入者", "目录", "状态", "原因", ""}) {
            h.append("<th>").append(c).append("</th>");
        }
        h.append("</tr></thead><tbody>");
        try {
            for (PluginsResource.PluginView v : resource.views(locale)) {
                String kind = v.mandatory()
                        ? (en ? "mandatory" : "必装")
                        : v.enabled() ? (en ? "recommended" : "推荐") : (en ? "optional" : "可选");
                h.append("<tr data-plugin=\"")
                        .append(ctx.escape(v.id()))
                        .append("\" data-state=\"")
                        .append(ctx.escape(v.state()))
                        .append("\"><td>")
                        .append(ctx.escape(v.name()))
                        .append("<br><small>")
                        .append(ctx.escape(v.id()))
                        .append("</small></td><td>")
                        .append(ctx.escape(v.version()))
                        .append(
                                v.runningVersion() != null
                                                && !v.runningVersion().equals(v.version())
                                        ? " (" + (en ? "running " : "运行 ") + ctx.escape(v.runningVersion()) + ")"
                                        : "")
                        .append("</td><td>")
                        .append(ctx.escape(v.vendor() == null ? "—" : v.vendor()))
                        .append("</td><td>")
                        .append(ctx.escape(v.setBy() == null ? "—" : v.setBy()))
                        .append("</td><td>")
                        .append(kind)
                        .append(v.certified() ? "" : en ? " · uncertified" : " · 未认证")
                        .append("</td><td class=\"state-")
                        .append(ctx.escape(v.state()))
                        .append("\">")
                        .append(ctx.escape(v.stateText()))
                        .append("</td><td class=\"reason\">")
                        .append(ctx.escape(v.reason() == null ? "" : v.reason()))
                        .append("</td><td>");
                h.append("<a href=\"?rollout=")
                        .append(ctx.escape(v.id()))
                        .append("\">")
                        .append(ctx.escape(Texts.get(locale, "console.rollout")))
                        .append("</a>");
                if (admin && !v.mandatory()) {
                    List<String> kept = manager.kept(v.id());
                    if (!kept.isEmpty()) {
                        h.append("<form method=\"post\" class=\"pin\">")
                                .append(ctx.csrfField())
                                .append("<input type=\"hidden\" name=\"action\" value=\"pin\">")
                                .append("<input type=\"hidden\" name=\"id\" value=\"")
                                .append(ctx.escape(v.id()))
                                .append("\"><select name=\"version\">");
                        for (String k : kept) {
                            h.append("<option value=\"")
                                    .append(ctx.escape(k))
                                    .append("\">")
                                    .append(ctx.escape(k))
                                    .append("</option>");
                        }
                        h.append("</select> <button>")
                                .append(ctx.escape(Texts.get(locale, "console.pin")))
                                .append("</button></form>");
                    }
                }
                if (admin && !v.mandatory() && v.digest() != null && v.mode() != null) {
                    h.append("<form method=\"post\">")
                            .append(ctx.csrfField())
                            .append("<input type=\"hidden\" name=\"id\" value=\"")
                            .append(ctx.escape(v.id()))
                            .append("\">")
                            .append("<button name=\"action\" value=\"")
                            .append(v.enabled() ? "disable" : "enable")
                            .append("\">")
                            .append(v.enabled() ? (en ? "Disable" : "停用") : (en ? "Enable" : "启用"))
                            .append("</button></form>");
                }
                h.append("</td></tr>");
            }
        } catch (SQLException | IOException e) {
            h.append("<tr><td colspan=\"8\">")
                    .append(en ? "The plugin table cannot be read now." : "暂时无法读取插件表。")
                    .append("</td></tr>");
        }
        h.append("</tbody></table>");
        if (shown != null && Descriptor.ID.matcher(shown).matches()) {
            h.append(rollout(ctx, locale, shown, admin));
        }
        if (admin) {
            h.append(forms(ctx, locale));
        }
        return h.toString();
    }

    private static boolean en(Locale locale) {
        return Locale.ENGLISH.equals(locale);
    }
}
