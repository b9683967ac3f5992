package org.edufed.connector.exchange.internal;

import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ConsolePage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The exchange's console pages: settings with provenance, and the federation with its sync status. */
final class ConsolePages {
    private ConsolePages() {}

    static String ref(ConsolePage.PageContext ctx, NodeRef ref) {
        return ref == null ? "—" : ctx.escape(ref.name() + " (" + ref.level() + " " + ref.code() + ")");
    }

    static Locale locale(ConsolePage.PageContext ctx) {
        return Texts.of(ctx.locale());
    }

    /** {@code /console/settings}: every effective setting with where it was set and overridden. */
    @Component(service = ConsolePage.class)
    public static final class SettingsPage implements ConsolePage {
        private final SettingsComponent settings;

        @Activate
        public SettingsPage(@Reference SettingsComponent settings) {
            this.settings = settings;
        }

        @Override
        public String path() {
            return "settings";
        }

        @Override
        public String title(Locale locale) {
            return Texts.get(Texts.of(locale), "page.settings");
        }

        @Override
        public String permission() {
            return Permissions.NODE_READ;
        }

        @Override
        public int rank() {
            return 20;
        }

        @Override
        public String render(PageContext ctx) {
            Locale l = locale(ctx);
            StringBuilder html = new StringBuilder("<table><tr>");
            for (String col : new String[] {"col.key", "col.value", "col.mode", "col.setBy", "col.overriddenBy"}) {
                html.append("<th>").append(ctx.escape(Texts.get(l, col))).append("</th>");
            }
            html.append("</tr>");
            List<EffectiveSetting> all = settings.effective();
            for (EffectiveSetting s : all) {
                html.append("<tr><td>")
                        .append(ctx.escape(s.key()))
                        .append("</td><td>")
                        .append(ctx.escape(s.value()))
                        .append("</td><td>")
                        .append(ctx.escape(
                                Texts.get(l, "mode." + s.provenance().mode().id())))
                        .append("</td><td>")
                        .append(ref(ctx, s.provenance().setBy()))
                        .append("</td><td>")
                        .append(ref(ctx, s.provenance().overriddenBy()))
                        .append("</td></tr>");
            }
            html.append("</table>");
            if (all.isEmpty()) {
                html.append("<p>")
                        .append(ctx.escape(Texts.get(l, "settings.empty")))
                        .append("</p>");
            }
            return html.toString();
        }
    }

    /** {@code /console/federation}: parent, children with last heartbeat, the tree, sync status. */
    @Component(service = ConsolePage.class)
    public static final class FederationPage implements ConsolePage {
        private final FederationComponent federation;

        @Activate
        public FederationPage(@Reference FederationComponent federation) {
            this.federation = federation;
        }

        @Override
        public String path() {
            return "federation";
        }

        @Override
        public String title(Locale locale) {
            return Texts.get(Texts.of(locale), "page.federation");
        }

        @Override
        public String permission() {
            return Permissions.NODE_READ;
        }

        @Override
        public int rank() {
            return 10;
        }

        @Override
        public String render(PageContext ctx) {
            Locale l = locale(ctx);
            StringBuilder html = new StringBuilder();
            html.append("<h2>").append(ctx.escape(Texts.get(l, "parent"))).append("</h2><p>");
            html.append(federation
                    .parent()
                    .map(p -> ref(ctx, p.node()) + " · " + ctx.escape(p.url()))
                    .orElse(ctx.escape(Texts.get(l, "none"))));
            html.append("</p><h2>").append(ctx.escape(Texts.get(l, "tree"))).append("</h2>");
            tree(ctx, l, federation.tree(), html);
            html.append("<h2>").append(ctx.escape(Texts.get(l, "sync"))).append("</h2><table><tr>");
            for (String col : new String[] {"col.topic", "col.watermark", "col.lastSuccess", "col.lastError"}) {
                html.append("<th>").append(ctx.escape(Texts.get(l, col))).append("</th>");
            }
            html.append("</tr>");
            try {
                for (FederationStore.Watermark w : federation.store().watermarks()) {
                    html.append("<tr><td>")
                            .append(ctx.escape(w.topic()))
                            .append("</td><td>")
                            .append(w.seq())
                            .append("</td><td>")
                            .append(ctx.escape(String.valueOf(w.lastSuccess())))
                            .append("</td><td>")
                            .append(ctx.escape(w.lastError() == null ? "—" : w.lastError()))
                            .append("</td></tr>");
                }
                html.append("</table><p>")
                        .append(ctx.escape(Texts.get(l, "feedHead")))
                        .append(": ")
                        .append(federation.store().feedHead())
                        .append(" · ")
                        .append(ctx.escape(Texts.get(l, "rejected")))
                        .append(": ")
                        .append(federation.store().rejectedCount())
                        .append("</p>");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            return html.toString();
        }

        private static void tree(PageContext ctx, Locale l, Federation.TreeNode node, StringBuilder html) {
            html.append("<ul><li>").append(ref(ctx, node.node())).append(" · ").append(ctx.escape(node.status()));
            if (node.lastSeen() != null) {
                html.append(" · ")
                        .append(ctx.escape(Texts.get(l, "col.lastSeen")))
                        .append(" ")
                        .append(ctx.escape(node.lastSeen().toString()));
            }
            for (Federation.TreeNode child : node.children()) {
                tree(ctx, l, child, html);
            }
            html.append("</li></ul>");
        }
    }
}
