package org.edufed.kernel.plugins.internal;

import java.sql.SQLException;
import java.util.Locale;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ConsolePage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /console/plugins} (插件): the catalogue as this node sees it — mandatory, recommended or optional,
 * who listed it — what runs here, and for anything that does not run, why (in the user's language). A
 * plugin administrator enables or disables what is not mandatory, for this node and its subtree.
 */
@Component(service = ConsolePage.class)
public final class PluginsPage implements ConsolePage {

    private final PluginManager manager;
    private final PluginsResource resource;

    @Activate
    public PluginsPage(@Reference PluginManager manager) {
        this.manager = manager;
        this.resource = new PluginsResource(manager);
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
        return page(ctx, null);
    }

    @Override
    public String submit(PageContext ctx) {
        Locale locale = Texts.of(ctx.locale());
        String id = ctx.parameter("id");
        boolean enable = "enable".equals(ctx.parameter("action"));
        String message;
        try {
            manager.choose(id, enable, Mode.OVERRIDABLE);
            message = en(locale) ? (enable ? "Enabled " : "Disabled ") + id : (enable ? "已启用 " : "已停用 ") + id;
        } catch (LockedException e) {
            message = Texts.get(
                    locale,
                    "plugin.locked",
                    id,
                    e.lockedBy().setBy() == null ? "?" : e.lockedBy().setBy().name());
        } catch (IllegalArgumentException e) {
            message = Texts.get(locale, "plugin.notFound", id);
        }
        return page(ctx, message);
    }

    private String page(PageContext ctx, String message) {
        Locale locale = Texts.of(ctx.locale());
        boolean en = en(locale);
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
                if (!v.mandatory() && v.digest() != null && v.mode() != null) {
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
        } catch (SQLException e) {
            h.append("<tr><td colspan=\"8\">")
                    .append(en ? "The plugin table cannot be read now." : "暂时无法读取插件表。")
                    .append("</td></tr>");
        }
        h.append("</tbody></table>");
        return h.toString();
    }

    private static boolean en(Locale locale) {
        return Locale.ENGLISH.equals(locale);
    }
}
