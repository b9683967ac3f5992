package org.edufed.kernel.web.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.karaf.features.Feature;
import org.apache.karaf.features.FeaturesService;
import org.edufed.kernel.api.HealthService;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** What the API and the console show about this node: identity, storage, health, installed features. */
@Component(service = NodeInfo.class)
public final class NodeInfo {

    private final NodeIdentity identity;
    private final HealthService health;
    private final Storage storage;
    private volatile FeaturesService features;

    @Activate
    public NodeInfo(@Reference NodeIdentity identity, @Reference HealthService health, @Reference Storage storage) {
        this.identity = identity;
        this.health = health;
        this.storage = storage;
    }

    @Reference(
            cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setFeatures(FeaturesService features) {
        this.features = features;
    }

    void unsetFeatures(FeaturesService features) {
        if (this.features == features) {
            this.features = null;
        }
    }

    public NodeIdentity identity() {
        return identity;
    }

    public HealthService.Report health() {
        return health.report();
    }

    public String storageType() {
        return storage.dialect().id();
    }

    /** Installed features as name → version, EduFed's first. */
    public Map<String, String> installedFeatures() {
        FeaturesService fs = features;
        Map<String, String> out = new LinkedHashMap<>();
        if (fs == null) {
            return out;
        }
        try {
            List<Feature> list = new ArrayList<>(List.of(fs.listInstalledFeatures()));
            list.sort((a, b) -> {
                boolean ea = a.getName().startsWith("edufed-");
                boolean eb = b.getName().startsWith("edufed-");
                return ea != eb ? (ea ? -1 : 1) : a.getName().compareTo(b.getName());
            });
            for (Feature f : list) {
                out.put(f.getName(), f.getVersion());
            }
        } catch (Exception e) {
            // the features service is starting or stopping: show none rather than fail the page
        }
        return out;
    }

    /** Installed plugin features ({@code edufed-plugin-*}). */
    public Map<String, String> installedPlugins() {
        Map<String, String> plugins = new LinkedHashMap<>();
        installedFeatures().forEach((name, version) -> {
            if (name.startsWith("edufed-plugin-")) {
                plugins.put(name, version);
            }
        });
        return plugins;
    }
}
