package org.edufed.kernel.plugins.internal;

import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** What the shell commands ({@code edufed:plugin*}) call: the same operations as the REST API, as text. */
@Component(service = PluginsShell.class)
public final class PluginsShell {

    private final PluginManager manager;
    private final PluginsResource resource;

    @Activate
    public PluginsShell(@Reference PluginManager manager) {
        this.manager = manager;
        this.resource = new PluginsResource(manager);
    }

    public String list(Locale locale) throws SQLException {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-28s %-10s %-12s %-10s %s%n", "ID", "VERSION", "STATE", "CATALOGUE", "REASON"));
        for (PluginsResource.PluginView v : resource.views(locale)) {
            String kind = v.mandatory() ? "mandatory" : v.enabled() ? "recommended" : "optional";
            b.append(String.format(
                    "%-28s %-10s %-12s %-10s %s%n",
                    v.id(), v.version(), v.state(), kind, v.reason() == null ? "" : v.reason()));
        }
        return b.toString();
    }

    public void choose(String id, boolean enabled, Mode mode) throws LockedException {
        manager.choose(id, enabled, mode);
    }

    public String check(byte[] archive, byte[] signature, Locale locale) throws SQLException {
        PluginManager.Report r = manager.dryRun(archive, signature, locale);
        StringBuilder b = new StringBuilder();
        b.append(r.id())
                .append(' ')
                .append(r.version())
                .append(r.ok() ? "  OK / 可以安装" : "  NOT OK / 不能安装")
                .append('\n');
        for (DryRun.Check c : r.checks()) {
            b.append(c.ok() ? "  ✓ " : "  ✗ ")
                    .append(String.format("%-11s ", c.name()))
                    .append(c.detail())
                    .append('\n');
        }
        return b.toString();
    }

    /** @throws IllegalStateException with the reason (zh-CN) when refused */
    public byte[] certify(byte[] archive) {
        try {
            return manager.certify(archive).signature();
        } catch (Verifier.Refused e) {
            throw new IllegalStateException(Texts.get(Locale.ROOT, e.key, e.args));
        }
    }

    /** @throws IllegalStateException with the reason (zh-CN) when refused */
    public String publish(byte[] archive, byte[] signature, Mode mode, Locale locale) {
        try {
            PluginManager.Published p = manager.publish(archive, signature, mode, true, Set.of(), Set.of());
            return "Published / 已发布 " + p.entry().id() + " " + p.entry().version() + " ("
                    + p.mode().id() + ", " + p.parts() + " parts)";
        } catch (Verifier.Refused e) {
            throw new IllegalStateException(Texts.get(locale, e.key, e.args));
        } catch (LockedException e) {
            throw new IllegalStateException(Texts.get(locale, "plugin.locked", e.key(), "?"));
        }
    }
}
