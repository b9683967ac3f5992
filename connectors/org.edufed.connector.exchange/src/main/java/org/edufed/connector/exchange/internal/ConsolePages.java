package org.edufed.connector.exchange.internal;

import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
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
        private final org.edufed.kernel.api.federation.Settings settings;

        @Activate
        public SettingsPage(@Reference org.edufed.kernel.api.federation.Settings settings) {
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
        private final Sync sync;
        private final NodeIdentity identity;

        @Activate
        public FederationPage(
                @Reference FederationComponent federation, @Reference Sync sync, @Reference NodeIdentity identity) {
            this.federation = federation;
            this.sync = sync;
            this.identity = identity;
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
            if (identity.level() != Level.SCHOOL) {
                html.append("<h2>")
                        .append(ctx.escape(Texts.get(l, "token.title")))
                        .append("</h2><form method=\"post\" action=\"/console/federation\">")
                        .append(ctx.csrfField())
                        .append("<label>")
                        .append(ctx.escape(Texts.get(l, "token.minutes")))
                        .append(" <input name=\"minutes\" type=\"number\" min=\"1\" max=\"10080\" value=\"60\">")
                        .append("</label> <button type=\"submit\">")
                        .append(ctx.escape(Texts.get(l, "token.issue")))
                        .append("</button></form>");
            }
            html.append("<h2>").append(ctx.escape(Texts.get(l, "parent"))).append("</h2><p>");
            html.append(federation
                    .parent()
                    .map(p -> ref(ctx, p.node()) + " · " + ctx.escape(p.url()))
                    .orElse(ctx.escape(Texts.get(l, "none"))));
            html.append("</p><h2>").append(ctx.escape(Texts.get(l, "tree"))).append("</h2>");
            tree(ctx, l, federation.tree(), html);
            SyncStatus status;
            try {
                status = sync.status();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            html.append("<h2>").append(ctx.escape(Texts.get(l, "sync"))).append("</h2><p>");
            SyncStatus.Feed feed = status.feed();
            line(ctx, html, Texts.get(l, "feedHead"), feed.head());
            line(ctx, html, Texts.get(l, "feedWatermark"), feed.watermark());
            line(ctx, html, Texts.get(l, "lag"), feed.lag() == null ? "—" : feed.lag());
            line(ctx, html, Texts.get(l, "outboxPending"), status.outbox().pending());
            line(ctx, html, Texts.get(l, "rejected"), status.rejectedMessages());
            html.append("</p><table><tr>");
            for (String col : new String[] {
                "col.topic",
                "col.direction",
                "col.watermark",
                "col.applied",
                "col.records",
                "col.pending",
                "col.dead",
                "col.lastSuccess",
                "col.lastError"
            }) {
                html.append("<th>").append(ctx.escape(Texts.get(l, col))).append("</th>");
            }
            html.append("</tr>");
            for (SyncStatus.TopicStatus t : status.topics()) {
                html.append("<tr>");
                for (Object cell : new Object[] {
                    t.name(),
                    Texts.get(l, "direction." + t.direction()),
                    t.watermark(),
                    t.applied(),
                    t.records(),
                    t.pending(),
                    t.dead(),
                    t.lastSuccess() == null ? "—" : t.lastSuccess(),
                    t.lastError() == null ? "—" : t.lastError()
                }) {
                    html.append("<td>").append(ctx.escape(String.valueOf(cell))).append("</td>");
                }
                html.append("</tr>");
            }
            html.append("</table>");
            return html.toString();
        }

        /** The one form of the page: a one-time enrollment token, shown once above the page. */
        @Override
        public String submit(PageContext ctx) {
            Locale l = locale(ctx);
            int minutes;
            try {
                minutes = Integer.parseInt(
                        String.valueOf(ctx.parameter("minutes")).trim());
            } catch (NumberFormatException e) {
                minutes = -1;
            }
            if (minutes < 1 || minutes > 7 * 24 * 60 || identity.level() == Level.SCHOOL) {
                return "<p class=\"msg error\">" + ctx.escape(Texts.get(l, "token.badValidity")) + "</p>" + render(ctx);
            }
            Federation.Token token = federation.issueToken(java.time.Duration.ofMinutes(minutes));
            return "<div class=\"msg info\"><p>"
                    + ctx.escape(Texts.get(l, "token.issued", token.expiresAt().toString()))
                    + "</p><p><code>" + ctx.escape(token.token()) + "</code></p></div>" + render(ctx);
        }

        @Override
        public String submitPermission() {
            return Permissions.FEDERATION_ADMIN;
        }

        private static void line(PageContext ctx, StringBuilder html, String label, Object value) {
            html.append(ctx.escape(label))
                    .append(": ")
                    .append(ctx.escape(String.valueOf(value)))
                    .append("<br>");
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
