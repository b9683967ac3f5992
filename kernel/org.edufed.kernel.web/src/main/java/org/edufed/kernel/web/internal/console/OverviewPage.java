package org.edufed.kernel.web.internal.console;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.edufed.kernel.api.HealthService;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ConsolePage;
import org.edufed.kernel.web.internal.Messages;
import org.edufed.kernel.web.internal.NodeInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The console's first page: who this node is, how it is, what it runs. A console page like any plugin's. */
@Component(service = ConsolePage.class)
public final class OverviewPage implements ConsolePage {

    private final NodeInfo info;

    @Activate
    public OverviewPage(@Reference NodeInfo info) {
        this.info = info;
    }

    @Override
    public String path() {
        return "";
    }

    @Override
    public String title(Locale locale) {
        return Messages.get(locale, "console.overview");
    }

    @Override
    public String permission() {
        return Permissions.NODE_READ;
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public String render(PageContext context) throws IOException {
        Locale locale = context.locale();
        NodeIdentity id = info.identity();
        HealthService.Report health = info.health();
        Map<String, Object> model = new HashMap<>();
        model.put("m", Messages.all(locale));
        model.put("level", id.level().displayName(locale));
        model.put("code", id.code());
        model.put("name", id.name());
        if (id.parentUrl() != null) {
            model.put("parent", id.parentUrl());
        }
        model.put("version", id.version());
        model.put("uptime", uptime(health.uptimeSeconds()));
        model.put("storage", info.storageType());
        model.put("algorithm", id.signatureAlgorithm());
        model.put("publicKey", id.publicKeyPem());
        model.put("ready", health.ready());
        model.put("checks", health.checks());
        model.put("plugins", info.installedPlugins());
        model.put("features", info.installedFeatures());
        return Templates.render("overview.ftlh", model);
    }

    static String uptime(long seconds) {
        Duration d = Duration.ofSeconds(seconds);
        return String.format("%dd %02d:%02d:%02d", d.toDays(), d.toHoursPart(), d.toMinutesPart(), d.toSecondsPart());
    }
}
