package org.edufed.kernel.plugins.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.karaf.features.BundleInfo;
import org.apache.karaf.features.Feature;
import org.apache.karaf.features.FeaturesService;
import org.apache.karaf.features.Repository;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.edufed.kernel.api.HealthCheck;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.storage.Storage;
import org.edufed.kernel.plugins.internal.PluginStore.Row;
import org.edufed.kernel.plugins.internal.PluginStore.State;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs at every node: keeps what is installed in line with the effective catalogue. A plugin the catalogue
 * wants at this node's level is assembled from its parts on the feed, verified (digest, certification
 * signature against the inherited root, revocations, descriptor, level, kernel API range), unpacked into
 * Karaf's KAR repository and installed as its Karaf feature; it counts as running only when its bundles are
 * active, its components satisfied, its health checks pass and it used nothing it did not declare —
 * otherwise it is uninstalled and the version that ran before is put back. Installed plugins are verified
 * again at each start; a revoked one is stopped. At the province the same component is the certification
 * authority. Every outcome is kept per plugin, audited, and reported up the tree.
 */
@Component(service = PluginManager.class, configurationPid = "org.edufed.plugins")
@Designate(ocd = PluginManager.Config.class)
public final class PluginManager {

    @ObjectClassDefinition(name = "EduFed plugins", description = "Plugin catalogue, certification and installs")
    @interface Config {
        @AttributeDefinition(description = "Certification algorithm at the province: sm2 (default) or ecdsa")
        String certification_algorithm() default "sm2";

        @AttributeDefinition(description = "Validity of the certification signing certificate, in days")
        int signing_days() default 1095;

        @AttributeDefinition(description = "Let this node publish uncertified plugins for itself only (audited)")
        boolean allow_uncertified() default false;

        @AttributeDefinition(description = "Seconds between catalogue checks")
        int poll_seconds() default 3;

        @AttributeDefinition(description = "Seconds a new plugin has to become healthy before it is rolled back")
        int health_seconds() default 60;
    }

    static final long MAX_ARCHIVE = 16L * 1024 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(PluginManager.class);
    private static final EnumSet<FeaturesService.Option> NO_REFRESH =
            EnumSet.of(FeaturesService.Option.NoAutoRefreshBundles);

    private final Storage storage;
    private final PluginStore store;
    private final Inheritance inheritance;
    private final Upward upward;
    private final NodeIdentity identity;
    private final AuditLog audit;
    private final FeaturesService features;
    private final ServiceComponentRuntime scr;
    private final Guard guard;
    private final org.edufed.kernel.api.federation.Federation federation;
    private final BundleContext context;
    private final Provider bc = new BouncyCastleProvider();
    private final Path archives;
    private final Path karRepository;
    private final Config config;
    private final Certification authority;
    private final ScheduledExecutorService loop;
    private volatile boolean verifiedSinceStart;

    @Activate
    public PluginManager(
            @Reference Storage storage,
            @Reference Inheritance inheritance,
            @Reference Upward upward,
            @Reference NodeIdentity identity,
            @Reference AuditLog audit,
            @Reference FeaturesService features,
            @Reference ServiceComponentRuntime scr,
            @Reference Guard guard,
            @Reference org.edufed.kernel.api.federation.Federation federation,
            BundleContext context,
            Config config)
            throws IOException {
        this.storage = storage;
        this.store = new PluginStore(storage);
        this.inheritance = inheritance;
        this.upward = upward;
        this.identity = identity;
        this.audit = audit;
        this.features = features;
        this.scr = scr;
        this.guard = guard;
        this.federation = federation;
        this.context = context;
        this.config = config;
        Path data = Path.of(System.getProperty("karaf.data", "data"))
                .toAbsolutePath()
                .normalize();
        this.archives = data.resolve("edufed").resolve("plugins");
        this.karRepository = data.resolve("kar");
        Files.createDirectories(archives);
        if (identity.level() == Level.PROVINCE) {
            authority = Certification.loadOrCreate(
                    data.resolve("edufed").resolve("keys"),
                    identity.name(),
                    Certification.Algorithm.parse(config.certification_algorithm()),
                    Duration.ofDays(Math.max(30, config.signing_days())),
                    bc);
            publishTrust();
        } else {
            authority = null;
        }
        loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "edufed-plugins");
            t.setDaemon(true);
            return t;
        });
        loop.scheduleWithFixedDelay(this::reconcileQuietly, 0, Math.max(1, config.poll_seconds()), TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        // plugins keep running: a stop of the kernel is not an uninstall. No interrupt: Derby closes a
        // connection whose thread is interrupted
        loop.shutdown();
        try {
            if (!loop.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("plugin reconciliation still running at stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- the province's certification authority -----------------------------------------------------

    Optional<Certification> authority() {
        return Optional.ofNullable(authority);
    }

    private void publishTrust() throws IOException {
        String pem = Certification.pem(authority.root());
        Optional<Inheritance.Item> current = inheritance.effective(PluginTopics.TRUST, PluginTopics.TRUST_ROOT);
        if (current.isPresent() && current.get().value().equals(pem)) {
            return;
        }
        try {
            inheritance.change(
                    PluginTopics.TRUST, List.of(new Inheritance.Change(PluginTopics.TRUST_ROOT, pem, Mode.LOCKED)));
            LOG.info("plugin certification root published: {}", authority.root().getSubjectX500Principal());
        } catch (LockedException e) {
            LOG.error("plugin certification root is locked above this province node; not published");
        }
    }

    /** An archive's descriptor and the signature the authority made for it. */
    record Certified(Descriptor descriptor, byte[] signature) {}

    /** Signs an archive after checking that it is a plugin archive (nothing unreadable gets a signature). */
    Certified certify(byte[] archive) throws Verifier.Refused {
        if (authority == null) {
            throw new Verifier.Refused("plugin.notCa");
        }
        Descriptor d = contained(read(archive)).descriptor;
        byte[] signature = authority.sign(archive);
        audit.record(AuditLog.Event.of(
                "plugin.certify",
                d.id() + "@" + d.version(),
                AuditLog.Result.SUCCESS,
                "digest " + Verifier.digest(archive) + ", permissions " + d.permissions()));
        return new Certified(d, signature);
    }

    /** The trust anchor this node verifies against: the inherited root (the province's own at the province). */
    X509Certificate anchor() {
        if (authority != null) {
            return authority.root();
        }
        return inheritance
                .effective(PluginTopics.TRUST, PluginTopics.TRUST_ROOT)
                .map(i -> {
                    try {
                        return Certification.readCertificate(i.value(), bc);
                    } catch (IOException | java.security.GeneralSecurityException e) {
                        LOG.error("inherited plugin certification root cannot be read: {}", e.getMessage());
                        return null;
                    }
                })
                .orElse(null);
    }

    Set<String> revoked() {
        Set<String> out = new HashSet<>();
        inheritance.effective(PluginTopics.REVOCATIONS).forEach(i -> out.add(i.key()));
        return out;
    }

    // --- reading and checking an archive ------------------------------------------------------------

    record Read(KarArchive kar, Descriptor descriptor, String featuresPath) {}

    Read read(byte[] archive) throws Verifier.Refused {
        if (archive.length > MAX_ARCHIVE) {
            throw new Verifier.Refused("plugin.tooLarge", MAX_ARCHIVE >> 20);
        }
        KarArchive kar;
        String featuresPath;
        try {
            kar = KarArchive.read(archive);
            featuresPath = kar.featuresPath();
        } catch (KarArchive.Broken e) {
            throw new Verifier.Refused("plugin.badArchive", e.getMessage());
        }
        byte[] json = kar.descriptor();
        if (json == null) {
            throw new Verifier.Refused("plugin.noDescriptor");
        }
        try {
            return new Read(kar, Descriptor.parse(json, CatalogueEntry.MAPPER), featuresPath);
        } catch (Descriptor.Invalid e) {
            throw new Verifier.Refused("plugin.badDescriptor", e.detail);
        }
    }

    /**
     * The archive, when it holds nothing a plugin may not (imports outside the kernel API and the platform, a
     * feature reaching beyond the archive): checked at certification, publishing and every install, so that neither
     * a careless certifier nor an archive planted on the way runs such code.
     */
    static Read contained(Read read) throws Verifier.Refused {
        List<String> outside = DryRun.outside(read.kar, read.featuresPath);
        if (!outside.isEmpty()) {
            throw new Verifier.Refused("plugin.outside", String.join("; ", outside));
        }
        return read;
    }

    /** Whether this node can run the plugin at all: its level and the kernel API it needs. */
    void checkRunsHere(Descriptor d) throws Verifier.Refused {
        if (!d.levels().contains(identity.level())) {
            throw new Verifier.Refused(
                    "plugin.level",
                    identity.level().name().toLowerCase(java.util.Locale.ROOT),
                    d.levels().stream()
                            .map(l -> l.name().toLowerCase(java.util.Locale.ROOT))
                            .sorted()
                            .toList());
        }
        Version api = kernelApi();
        if (!d.kernelApi().includes(api)) {
            throw new Verifier.Refused("plugin.kernelApi", d.kernelApi(), api);
        }
    }

    Version kernelApi() {
        for (Bundle b : context.getBundles()) {
            if ("org.edufed.kernel.api".equals(b.getSymbolicName())) {
                return b.getVersion();
            }
        }
        return Version.emptyVersion;
    }

    // --- dry run ------------------------------------------------------------------------------------

    /** What installing an archive here would do, found out before anything changes. */
    record Report(String id, String version, String digest, boolean ok, List<DryRun.Check> checks) {}

    /**
     * Checks an archive against this node without installing it: descriptor, signature (when given), level,
     * kernel API range, the packages its bundles use, the migrations it carries, what it replaces and which
     * bundles depend on that, and whether Karaf's resolver can install its feature here (a simulation).
     */
    Report dryRun(byte[] archive, byte[] signature, java.util.Locale locale) throws SQLException {
        List<DryRun.Check> checks = new ArrayList<>();
        String digest = Verifier.digest(archive);
        Read read;
        try {
            read = read(archive);
        } catch (Verifier.Refused e) {
            checks.add(new DryRun.Check("archive", false, Texts.get(locale, e.key, e.args)));
            return new Report(null, null, digest, false, checks);
        }
        Descriptor d = read.descriptor;
        checks.add(new DryRun.Check(
                "descriptor",
                true,
                d.id() + " " + d.version() + "，权限 " + d.permissions() + "，主题 "
                        + d.topics().stream()
                                .map(t -> t.name() + "(" + t.direction() + ")")
                                .toList()));
        if (signature == null || signature.length == 0) {
            checks.add(new DryRun.Check("signature", false, Texts.get(locale, "plugin.unsigned")));
        } else {
            try {
                Verifier.Signed signed = Verifier.verify(archive, signature, anchor(), revoked(), Instant.now(), bc);
                checks.add(new DryRun.Check(
                        "signature", true, signed.algorithm() + "，" + signed.signer() + "，有效至 " + signed.notAfter()));
            } catch (Verifier.Refused e) {
                checks.add(new DryRun.Check("signature", false, Texts.get(locale, e.key, e.args)));
            }
        }
        try {
            checkRunsHere(d);
            checks.add(new DryRun.Check("level", true, identity.level().name().toLowerCase(java.util.Locale.ROOT)));
            checks.add(new DryRun.Check("kernelApi", true, d.kernelApi() + " ∋ " + kernelApi()));
        } catch (Verifier.Refused e) {
            checks.add(new DryRun.Check(
                    e.key.equals("plugin.level") ? "level" : "kernelApi", false, Texts.get(locale, e.key, e.args)));
        }
        checks.addAll(DryRun.inspect(read.kar, read.featuresPath));
        Row running = store.all().get(d.id());
        if (running != null && running.running()) {
            int cmp = d.version().compareTo(Version.parseVersion(running.runningVersion()));
            checks.add(new DryRun.Check(
                    "upgrade",
                    true,
                    (cmp > 0 ? "升级，替换运行中的 " : cmp < 0 ? "降级，替换运行中的 " : "重新安装同一版本 ") + running.runningVersion()
                            + "；失败时自动回滚"));
            List<String> dependants = dependants(running);
            checks.add(new DryRun.Check(
                    "dependants", true, dependants.isEmpty() ? "没有其他 bundle 依赖当前版本" : "依赖当前版本的 bundle：" + dependants));
        } else {
            checks.add(new DryRun.Check("upgrade", true, "新安装"));
        }
        checks.add(simulate(read, digest));
        boolean ok = checks.stream().allMatch(DryRun.Check::ok);
        audit.record(AuditLog.Event.of(
                "plugin.dryrun",
                d.id() + "@" + d.version(),
                ok ? AuditLog.Result.SUCCESS : AuditLog.Result.FAILURE,
                checks.stream()
                        .filter(c -> !c.ok())
                        .map(DryRun.Check::name)
                        .toList()
                        .toString()));
        return new Report(d.id(), d.version().toString(), digest, ok, checks);
    }

    /** Bundles outside the plugin wired to the packages or capabilities of its running bundles. */
    private List<String> dependants(Row running) {
        Set<String> own = new HashSet<>(running.bundles());
        Set<String> out = new java.util.TreeSet<>();
        for (String location : running.bundles()) {
            Bundle b = context.getBundle(location);
            org.osgi.framework.wiring.BundleWiring w =
                    b == null ? null : b.adapt(org.osgi.framework.wiring.BundleWiring.class);
            if (w == null) {
                continue;
            }
            for (org.osgi.framework.wiring.BundleWire wire : w.getProvidedWires(null)) {
                Bundle requirer = wire.getRequirerWiring().getBundle();
                if (!own.contains(requirer.getLocation()) && requirer.getBundleId() != b.getBundleId()) {
                    out.add(requirer.getSymbolicName());
                }
            }
        }
        return List.copyOf(out);
    }

    /** Asks Karaf's resolver whether the feature would install here; nothing is installed. */
    private DryRun.Check simulate(Read read, String digest) {
        Path dir = karRepository.resolve("edufed-check-" + digest.substring(0, 12));
        URI uri = dir.resolve(read.featuresPath.substring(KarArchive.REPOSITORY.length()))
                .toUri();
        boolean added = false;
        try {
            deleteTree(dir);
            read.kar.extractRepository(dir);
            features.addRepository(uri, false);
            added = true;
            Feature f = null;
            for (Feature candidate : features.getRepository(uri).getFeatures()) {
                if (candidate.getName().equals(read.descriptor.feature())) {
                    f = candidate;
                }
            }
            if (f == null) {
                return new DryRun.Check(
                        "resolution", false, "特性 " + read.descriptor.feature() + " 不在安装包的 features XML 中");
            }
            features.installFeature(
                    f.getName(),
                    f.getVersion(),
                    EnumSet.of(FeaturesService.Option.Simulate, FeaturesService.Option.NoAutoRefreshBundles));
            return new DryRun.Check("resolution", true, "依赖均可满足（Karaf 解析器模拟安装）");
        } catch (Exception e) {
            return new DryRun.Check("resolution", false, "依赖无法满足：" + rootMessage(e));
        } finally {
            if (added) {
                try {
                    features.removeRepository(uri, false);
                } catch (Exception e) {
                    LOG.warn("dry run: repository {} not removed: {}", uri, e.toString());
                }
            }
            try {
                deleteTree(dir);
            } catch (IOException e) {
                LOG.warn("dry run: {} not deleted", dir);
            }
        }
    }

    // --- publishing into the catalogue --------------------------------------------------------------

    /** What a publish did. */
    record Published(CatalogueEntry entry, Mode mode, int parts) {}

    /**
     * Puts a plugin into this node's catalogue for its subtree: the archive's parts, then the entry. A signed
     * archive must verify here as it will everywhere below; an unsigned one only where the operator allows it,
     * and then for this node only ({@code local}).
     */
    Published publish(
            byte[] archive, byte[] signature, Mode mode, boolean enabled, Set<Level> levels, Set<String> nodes)
            throws Verifier.Refused, LockedException {
        Read read = contained(read(archive));
        Descriptor d = read.descriptor;
        boolean certified = signature != null && signature.length > 0;
        if (certified) {
            Verifier.verify(archive, signature, anchor(), revoked(), Instant.now(), bc);
        } else if (!config.allow_uncertified()) {
            throw new Verifier.Refused("plugin.uncertifiedNotAllowed");
        } else {
            mode = Mode.LOCAL;
        }
        Set<Level> at = levels == null || levels.isEmpty() ? d.levels() : levels;
        if (!d.levels().containsAll(at)) {
            throw new Verifier.Refused(
                    "plugin.level",
                    at,
                    d.levels().stream().map(Enum::name).sorted().toList());
        }
        String digest = Verifier.digest(archive);
        int parts = (archive.length + PluginTopics.PART_BYTES - 1) / PluginTopics.PART_BYTES;
        CatalogueEntry entry = new CatalogueEntry(
                d.id(),
                d.version().toString(),
                digest,
                archive.length,
                parts,
                certified ? Base64.getEncoder().encodeToString(signature) : null,
                d.toJson(CatalogueEntry.MAPPER),
                enabled,
                Set.copyOf(at),
                certified,
                Set.copyOf(nodes));
        inheritance.preview(
                PluginTopics.CATALOGUE, d.id(), mode); // refuses (LockedException) before anything is written
        List<Inheritance.Change> changes = new ArrayList<>(parts);
        Mode partMode = mode == Mode.LOCAL ? Mode.LOCAL : Mode.LOCKED;
        for (int i = 0; i < parts; i++) {
            int from = i * PluginTopics.PART_BYTES;
            int to = Math.min(archive.length, from + PluginTopics.PART_BYTES);
            changes.add(new Inheritance.Change(
                    PluginTopics.partKey(digest, i),
                    Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(archive, from, to)),
                    partMode));
        }
        for (int from = 0; from < changes.size(); from += Inheritance.MAX_CHANGES) {
            inheritance.change(
                    PluginTopics.ARCHIVES,
                    changes.subList(from, Math.min(changes.size(), from + Inheritance.MAX_CHANGES)));
        }
        inheritance.change(PluginTopics.CATALOGUE, List.of(new Inheritance.Change(d.id(), entry.toJson(), mode)));
        audit.record(AuditLog.Event.of(
                certified ? "plugin.publish" : "plugin.uncertified",
                d.id() + "@" + d.version(),
                AuditLog.Result.SUCCESS,
                "mode " + mode.id() + ", enabled " + enabled + ", levels " + at
                        + (nodes.isEmpty() ? "" : ", wave " + nodes) + ", digest " + digest));
        loop.execute(this::reconcileQuietly);
        return new Published(entry, mode, parts);
    }

    /** This node's choice for a plugin of the catalogue (for itself and its subtree, or itself only). */
    void choose(String id, boolean enabled, Mode mode) throws LockedException {
        Inheritance.Item item = inheritance
                .effective(PluginTopics.CATALOGUE, id)
                .orElseThrow(() -> new IllegalArgumentException("plugin.notFound"));
        CatalogueEntry entry = CatalogueEntry.parse(id, item.value());
        inheritance.change(
                PluginTopics.CATALOGUE,
                List.of(new Inheritance.Change(id, entry.withEnabled(enabled).toJson(), mode)));
        audit.record(AuditLog.Event.of(
                "plugin.choose",
                id + "@" + entry.version(),
                AuditLog.Result.SUCCESS,
                "enabled " + enabled + ", mode " + mode.id()));
        loop.execute(this::reconcileQuietly);
    }

    /**
     * Runs another version of a plugin here (and, with {@code overridable}, in the subtree): a roll back to a
     * version this node ran before, from the archive and signature it kept, published as this node's own
     * catalogue value. Refused under a mandatory entry (that version is the one the level above requires).
     */
    Published pin(String id, String version, Mode mode) throws Verifier.Refused, LockedException, IOException {
        try (var files = Files.list(archives)) {
            for (Path kar : files.filter(f -> f.toString().endsWith(".kar")).toList()) {
                byte[] archive = Files.readAllBytes(kar);
                Descriptor d;
                try {
                    d = read(archive).descriptor;
                } catch (Verifier.Refused e) {
                    continue;
                }
                if (d.id().equals(id) && d.version().toString().equals(version)) {
                    Path sig = signatureFile(Verifier.digest(archive));
                    byte[] signature = Files.exists(sig) ? Files.readAllBytes(sig) : null;
                    audit.record(AuditLog.Event.of(
                            "plugin.pin", id + "@" + version, AuditLog.Result.SUCCESS, "mode " + mode.id()));
                    return publish(archive, signature, mode, true, Set.of(), Set.of());
                }
            }
        }
        throw new Verifier.Refused("plugin.unknownVersion", id, version);
    }

    /** The versions of a plugin whose archive this node kept (what {@link #pin} can run), newest first. */
    List<String> kept(String id) throws IOException {
        List<org.osgi.framework.Version> out = new ArrayList<>();
        try (var files = Files.list(archives)) {
            for (Path kar : files.filter(f -> f.toString().endsWith(".kar")).toList()) {
                try {
                    Descriptor d = read(Files.readAllBytes(kar)).descriptor;
                    if (d.id().equals(id) && !out.contains(d.version())) {
                        out.add(d.version());
                    }
                } catch (Verifier.Refused e) {
                    // not a readable archive: nothing a pin could run
                }
            }
        }
        out.sort(java.util.Comparator.reverseOrder());
        return out.stream().map(Object::toString).toList();
    }

    /**
     * The next wave of a rollout: the nodes (and their children) that run the plugin, empty for all. Changes
     * this node's own catalogue value, keeping its mode.
     */
    void wave(String id, Set<String> nodes) throws LockedException {
        Inheritance.Item item = inheritance
                .effective(PluginTopics.CATALOGUE, id)
                .orElseThrow(() -> new IllegalArgumentException("plugin.notFound"));
        if (item.provenance().setBy() == null
                || !identity.code().equals(item.provenance().setBy().code())) {
            throw new IllegalArgumentException("plugin.notOwn");
        }
        CatalogueEntry entry = CatalogueEntry.parse(id, item.value()).withNodes(nodes);
        inheritance.change(
                PluginTopics.CATALOGUE,
                List.of(new Inheritance.Change(
                        id, entry.toJson(), item.provenance().mode())));
        audit.record(AuditLog.Event.of(
                "plugin.wave",
                id + "@" + entry.version(),
                AuditLog.Result.SUCCESS,
                nodes.isEmpty() ? "all nodes" : nodes.toString()));
    }

    /** One node of the tree in a rollout: its state for the plugin as it last reported it, or none yet. */
    record Rollout(String code, String name, String level, String state, String version, String reason, Instant at) {}

    List<Rollout> rollout(String id) {
        Map<String, com.fasterxml.jackson.databind.JsonNode> reports = new java.util.HashMap<>();
        for (Upward.Record r : upward.records(PluginTopics.STATUS, 10_000)) {
            try {
                com.fasterxml.jackson.databind.JsonNode s = CatalogueEntry.MAPPER.readTree(r.payload());
                if (id.equals(s.path("id").asText())) {
                    reports.putIfAbsent(r.origin(), s);
                }
            } catch (IOException e) {
                LOG.debug("unreadable status record {}", r.globalId());
            }
        }
        try {
            Row own = store.all().get(id);
            if (own != null) {
                reports.put(identity.code(), CatalogueEntry.MAPPER.readTree(own.statusJson(identity.code())));
            }
        } catch (SQLException | IOException e) {
            LOG.warn("own plugin state unreadable: {}", e.toString());
        }
        List<Rollout> out = new ArrayList<>();
        walk(federation.tree(), reports, out);
        return out;
    }

    private static void walk(
            org.edufed.kernel.api.federation.Federation.TreeNode n,
            Map<String, com.fasterxml.jackson.databind.JsonNode> reports,
            List<Rollout> out) {
        com.fasterxml.jackson.databind.JsonNode s = reports.get(n.node().code());
        out.add(new Rollout(
                n.node().code(),
                n.node().name(),
                n.node().level(),
                s == null ? "none" : s.path("state").asText(),
                s == null ? null : s.path("version").asText(null),
                s == null ? null : s.path("reason").asText(null),
                s == null || !s.hasNonNull("at")
                        ? null
                        : Instant.parse(s.get("at").asText())));
        for (var c : n.children()) {
            walk(c, reports, out);
        }
    }

    /** Drops this node's own catalogue value of a plugin (its choice, or what it published). */
    boolean withdraw(String id) throws LockedException {
        boolean changed = inheritance.change(PluginTopics.CATALOGUE, List.of(Inheritance.Change.remove(id))) > 0;
        if (changed) {
            audit.record(AuditLog.Event.of("plugin.withdraw", id, AuditLog.Result.SUCCESS, null));
            loop.execute(this::reconcileQuietly);
        }
        return changed;
    }

    /** Revokes an archive (by digest) or a signing certificate ({@code cert-<serial hex>}) for the subtree. */
    void revoke(String key, String reason) throws LockedException {
        String value = CatalogueEntry.MAPPER
                .createObjectNode()
                .put("reason", reason)
                .put("by", identity.code())
                .put("at", Instant.now().toString())
                .toString();
        inheritance.change(PluginTopics.REVOCATIONS, List.of(new Inheritance.Change(key, value, Mode.LOCKED)));
        audit.record(AuditLog.Event.of("plugin.revoke", key, AuditLog.Result.SUCCESS, reason));
        loop.execute(this::reconcileQuietly);
    }

    // --- what the node shows ------------------------------------------------------------------------

    /** A plugin as this node sees it: its catalogue entry (if any), how it got here, and what runs. */
    record View(String id, CatalogueEntry entry, Inheritance.Item item, Row row) {}

    List<View> views() throws SQLException {
        Map<String, View> out = new LinkedHashMap<>();
        Map<String, Row> rows = store.all();
        for (Inheritance.Item i : inheritance.effective(PluginTopics.CATALOGUE)) {
            CatalogueEntry e;
            try {
                e = CatalogueEntry.parse(i.key(), i.value());
            } catch (IllegalArgumentException ex) {
                continue;
            }
            out.put(i.key(), new View(i.key(), e, i, rows.get(i.key())));
        }
        rows.forEach((id, r) -> out.putIfAbsent(id, new View(id, null, null, r)));
        return out.values().stream().sorted(Comparator.comparing(View::id)).toList();
    }

    /** Whether this node runs the entry (enabled, its level, inside the rollout's current wave). */
    boolean wanted(CatalogueEntry e) {
        return e.wantedAt(
                identity.level(),
                identity.code(),
                federation.parent().map(p -> p.node().code()).orElse(null));
    }

    Level level() {
        return identity.level();
    }

    String nodeCode() {
        return identity.code();
    }

    /** The status of plugins across the subtree, as reported up (newest first). */
    List<Upward.Record> subtreeStatus(int limit) {
        return upward.records(PluginTopics.STATUS, limit);
    }

    // --- keeping installs in line with the catalogue ------------------------------------------------

    private void reconcileQuietly() {
        try {
            reconcile();
        } catch (RuntimeException | SQLException e) {
            LOG.error("plugin reconciliation failed: {}", e.toString(), e);
        }
    }

    synchronized void reconcile() throws SQLException {
        Level level = identity.level();
        String parentCode = federation.parent().map(p -> p.node().code()).orElse(null);
        Set<String> revoked = revoked();
        Map<String, CatalogueEntry> wanted = new LinkedHashMap<>();
        Set<String> uncertifiedHere = new HashSet<>();
        for (Inheritance.Item i : inheritance.effective(PluginTopics.CATALOGUE)) {
            try {
                CatalogueEntry e = CatalogueEntry.parse(i.key(), i.value());
                if (e.wantedAt(level, identity.code(), parentCode)) {
                    wanted.put(e.id(), e);
                    if (!e.certified() && ownLocal(i)) {
                        uncertifiedHere.add(e.id());
                    }
                }
            } catch (IllegalArgumentException ex) {
                LOG.warn("catalogue entry {} unreadable; ignored", i.key());
            }
        }
        Map<String, Row> rows = store.all();
        X509Certificate anchor = anchor();
        // what runs: still wanted, not revoked, still verifying (checked again after each start)
        for (Row r : rows.values()) {
            if (!r.running()) {
                continue;
            }
            CatalogueEntry want = wanted.get(r.id());
            if (revoked.contains(r.runningDigest())) {
                stop(r, State.REVOKED, "plugin.revoked");
                continue;
            }
            if (!verifiedSinceStart) {
                Optional<Verifier.Refused> refusal = verifyStored(r, anchor, revoked);
                if (refusal.isPresent()) {
                    stop(r, State.REFUSED, refusal.get().key, refusal.get().args);
                    continue;
                }
            }
            if (want == null) {
                stop(r, State.REMOVED, null);
            }
        }
        verifiedSinceStart = true;
        rows = store.all();
        Set<String> attempted = store.attempted();
        for (CatalogueEntry e : wanted.values()) {
            Row r = rows.get(e.id());
            if (r != null && e.digest().equals(r.runningDigest())) {
                continue;
            }
            if (attempted.contains(e.digest())
                    || (r != null && e.digest().equals(r.digest()) && r.state() == State.REVOKED)) {
                continue; // tried and refused: wait for another version in the catalogue
            }
            attempt(e, r, anchor, revoked, uncertifiedHere.contains(e.id()) && config.allow_uncertified());
        }
    }

    private Optional<Verifier.Refused> verifyStored(Row r, X509Certificate anchor, Set<String> revoked) {
        try {
            byte[] archive = Files.readAllBytes(archiveFile(r.runningDigest()));
            Path sig = signatureFile(r.runningDigest());
            if (Files.exists(sig)) {
                Verifier.verify(archive, Files.readAllBytes(sig), anchor, revoked, Instant.now(), bc);
            } else if (!config.allow_uncertified()) {
                return Optional.of(new Verifier.Refused("plugin.unsigned"));
            }
            if (!Verifier.digest(archive).equals(r.runningDigest())) {
                return Optional.of(new Verifier.Refused("plugin.tampered"));
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(new Verifier.Refused("plugin.badArchive", e.getMessage()));
        } catch (Verifier.Refused e) {
            return Optional.of(e);
        }
    }

    /**
     * An uncertified plugin runs only where the operator allows it, and only when this node listed it for
     * itself ({@code local}): one that arrives from above unsigned is refused like any other.
     */
    private boolean ownLocal(Inheritance.Item i) {
        return i.provenance().mode() == Mode.LOCAL
                && i.provenance().setBy() != null
                && identity.code().equals(i.provenance().setBy().code());
    }

    private void attempt(
            CatalogueEntry e, Row previous, X509Certificate anchor, Set<String> revoked, boolean uncertifiedOk)
            throws SQLException {
        byte[] archive;
        int have = 0;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream((int) Math.min(e.size(), MAX_ARCHIVE));
        for (int i = 0; i < e.parts(); i++) {
            Optional<Inheritance.Item> part =
                    inheritance.effective(PluginTopics.ARCHIVES, PluginTopics.partKey(e.digest(), i));
            if (part.isEmpty()) {
                continue;
            }
            have++;
            buf.writeBytes(Base64.getDecoder().decode(part.get().value()));
        }
        if (have < e.parts()) {
            save(previous, e, State.WAITING, "plugin.waiting", have, e.parts());
            return;
        }
        archive = buf.toByteArray();
        Read read;
        try {
            if (!Verifier.digest(archive).equals(e.digest())) {
                throw new Verifier.Refused("plugin.tampered");
            }
            if (e.certified()) {
                Verifier.verify(archive, e.signatureBytes(), anchor, revoked, Instant.now(), bc);
            } else if (!uncertifiedOk) {
                throw new Verifier.Refused("plugin.unsigned");
            }
            read = contained(read(archive));
            Descriptor d = read.descriptor;
            if (!d.id().equals(e.id()) || !d.version().toString().equals(e.version())) {
                throw new Verifier.Refused("plugin.mismatch", d.id() + " " + d.version());
            }
            checkRunsHere(d);
        } catch (Verifier.Refused refused) {
            LOG.warn("plugin {} {} refused: {}", e.id(), e.version(), refused.getMessage());
            audit.record(AuditLog.Event.of(
                    "plugin.install", e.id() + "@" + e.version(), AuditLog.Result.DENIED, refused.key));
            save(previous, e, State.REFUSED, refused.key, refused.args);
            return;
        }
        install(e, archive, read, previous);
    }

    /** The Karaf side of a plugin: where its repository went and what its feature holds. */
    private record Installed(String featureName, String featureVersion, URI uri, List<String> bundles) {}

    private void install(CatalogueEntry e, byte[] archive, Read read, Row previous) throws SQLException {
        Descriptor d = read.descriptor;
        long started = System.nanoTime();
        Installed fresh = null;
        String failure;
        try {
            Files.write(archiveFile(e.digest()), archive);
            if (e.certified()) {
                Files.write(signatureFile(e.digest()), e.signatureBytes());
            }
            fresh = unpack(e, read);
            guard.allow(fresh.bundles(), d);
            if (previous != null && previous.running()) {
                uninstallFeature(installed(previous)); // an upgrade: the old version goes, and comes back on failure
            }
            features.installFeature(fresh.featureName(), fresh.featureVersion(), NO_REFRESH);
            failure = awaitHealthy(d, fresh, Duration.ofSeconds(Math.max(5, config.health_seconds())));
        } catch (Exception ex) {
            LOG.warn("plugin {} {}: install failed", e.id(), e.version(), ex);
            failure = Texts.get(java.util.Locale.ROOT, "plugin.installFailed", rootMessage(ex));
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (failure == null) {
            LOG.info("plugin {} {} running ({} ms)", e.id(), e.version(), ms);
            if (previous != null && previous.running()) {
                removeRepository(installed(previous));
                guard.forget(previous.bundles());
            }
            Row r = new Row(
                    e.id(),
                    e.version(),
                    e.digest(),
                    State.RUNNING,
                    null,
                    null,
                    e.version(),
                    e.digest(),
                    fresh.featureName(),
                    fresh.featureVersion(),
                    fresh.uri().toString(),
                    fresh.bundles(),
                    d.toJson(CatalogueEntry.MAPPER).toString(),
                    nextVersion(previous),
                    Instant.now());
            write(r);
            audit.record(AuditLog.Event.of(
                    "plugin.install",
                    e.id() + "@" + e.version(),
                    AuditLog.Result.SUCCESS,
                    (previous != null && previous.running() ? "upgrade from " + previous.runningVersion() + ", " : "")
                            + ms + " ms"));
            return;
        }
        LOG.warn("plugin {} {} rolled back: {}", e.id(), e.version(), failure);
        if (fresh != null) {
            try {
                uninstall(fresh);
            } catch (Exception ex) {
                LOG.error("plugin {} {}: could not uninstall after a failed start", e.id(), e.version(), ex);
            }
            guard.forget(fresh.bundles());
        }
        Row back = previous;
        if (previous != null && previous.running()) {
            try {
                Descriptor before =
                        Descriptor.parse(previous.descriptor().getBytes(StandardCharsets.UTF_8), CatalogueEntry.MAPPER);
                guard.allow(previous.bundles(), before); // also clears the failed version's violation
                features.installFeature(previous.featureName(), previous.featureVersion(), NO_REFRESH);
                String again = awaitHealthy(
                        before, installed(previous), Duration.ofSeconds(Math.max(5, config.health_seconds())));
                if (again != null) {
                    LOG.error("plugin {}: {} is back but not healthy: {}", e.id(), previous.runningVersion(), again);
                }
            } catch (Exception ex) {
                LOG.error("plugin {}: rollback to {} failed", e.id(), previous.runningVersion(), ex);
                back = null;
            }
        }
        audit.record(AuditLog.Event.of("plugin.install", e.id() + "@" + e.version(), AuditLog.Result.FAILURE, failure));
        Row r = new Row(
                e.id(),
                e.version(),
                e.digest(),
                State.FAILED,
                "plugin.startFailed",
                PluginStore.args(failure),
                back == null ? null : back.runningVersion(),
                back == null ? null : back.runningDigest(),
                back == null ? null : back.featureName(),
                back == null ? null : back.featureVersion(),
                back == null ? null : back.featuresUri(),
                back == null ? List.of() : back.bundles(),
                back == null ? null : back.descriptor(),
                nextVersion(previous),
                Instant.now());
        write(r);
    }

    private Installed unpack(CatalogueEntry e, Read read) throws Exception {
        Path dir = karRepository.resolve(
                "edufed-" + e.id() + "-" + e.version() + "-" + e.digest().substring(0, 12));
        deleteTree(dir);
        read.kar.extractRepository(dir);
        URI uri = dir.resolve(read.featuresPath.substring(KarArchive.REPOSITORY.length()))
                .toUri();
        features.addRepository(uri, false);
        Repository repo = features.getRepository(uri);
        Feature feature = null;
        for (Feature f : repo.getFeatures()) {
            if (f.getName().equals(read.descriptor.feature())) {
                feature = f;
            }
        }
        if (feature == null) {
            features.removeRepository(uri, false);
            throw new IllegalStateException(
                    "feature " + read.descriptor.feature() + " is not in the archive's features XML");
        }
        List<String> bundles = new ArrayList<>();
        for (BundleInfo b : feature.getBundles()) {
            bundles.add(b.getLocation().trim());
        }
        return new Installed(feature.getName(), feature.getVersion(), uri, bundles);
    }

    private static Installed installed(Row r) {
        return new Installed(r.featureName(), r.featureVersion(), URI.create(r.featuresUri()), r.bundles());
    }

    private void uninstall(Row r) throws Exception {
        uninstall(installed(r));
    }

    private void uninstall(Installed i) throws Exception {
        uninstallFeature(i);
        removeRepository(i);
    }

    private void uninstallFeature(Installed i) throws Exception {
        Feature f = features.getFeature(i.featureName(), i.featureVersion());
        if (f != null && features.isInstalled(f)) {
            features.uninstallFeature(i.featureName(), i.featureVersion(), NO_REFRESH);
        }
    }

    /** Forgets the plugin's features repository and deletes its unpacked copy. */
    private void removeRepository(Installed i) {
        try {
            features.removeRepository(i.uri(), false);
            Path file = Path.of(i.uri());
            Path dir = file;
            while (dir.getParent() != null && !dir.getParent().equals(karRepository)) {
                dir = dir.getParent();
            }
            if (dir.getParent() != null && dir.getFileName().toString().startsWith("edufed-")) {
                deleteTree(dir);
            }
        } catch (Exception e) {
            LOG.warn("plugin repository {} not removed: {}", i.uri(), e.toString());
        }
    }

    /** Stops a running plugin (revoked, refused at a start, or no longer wanted) and records why. */
    private void stop(Row r, State state, String reasonKey, Object... args) throws SQLException {
        try {
            uninstall(r);
        } catch (Exception e) {
            LOG.error("plugin {}: uninstall failed", r.id(), e);
        }
        guard.forget(r.bundles());
        LOG.warn("plugin {} {} stopped: {}", r.id(), r.runningVersion(), state);
        audit.record(AuditLog.Event.of(
                "plugin.uninstall", r.id() + "@" + r.runningVersion(), AuditLog.Result.SUCCESS, state.id()));
        write(new Row(
                r.id(),
                r.runningVersion(),
                r.runningDigest(),
                state,
                reasonKey,
                reasonKey == null ? null : PluginStore.args(args),
                null,
                null,
                null,
                null,
                null,
                List.of(),
                null,
                nextVersion(r),
                Instant.now()));
    }

    /**
     * Waits until the plugin's bundles are active, its components satisfied and its health checks pass, and it
     * was refused nothing; the reason (zh-CN) when it is not so within {@code limit}, {@code null} when healthy.
     */
    private String awaitHealthy(Descriptor d, Installed i, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        String problem;
        do {
            Optional<String> violation = guard.violation(d.id());
            if (violation.isPresent()) {
                return violation.get();
            }
            problem = unhealthy(i);
            if (problem == null) {
                // a refusal may come right after the components activate: look once more
                Thread.sleep(300);
                return guard.violation(d.id()).orElse(null);
            }
            if (problem.startsWith("!")) {
                return problem.substring(1);
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return problem;
    }

    /** {@code null} when healthy; a reason; or {@code !reason} for a failure that waiting will not mend. */
    private String unhealthy(Installed i) {
        for (String location : i.bundles()) {
            Bundle b = context.getBundle(location);
            if (b == null) {
                return "!" + location + " 未安装";
            }
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            if (!fragment && b.getState() != Bundle.ACTIVE) {
                return b.getSymbolicName() + " 未启动（状态 " + b.getState() + "）";
            }
            for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs(b)) {
                if (!scr.isComponentEnabled(desc)) {
                    continue;
                }
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(desc)) {
                    if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                        return "!组件 " + desc.name + " 激活失败：" + c.failure;
                    }
                    if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                        List<String> refs = new ArrayList<>();
                        for (UnsatisfiedReferenceDTO u : c.unsatisfiedReferences) {
                            refs.add(u.name);
                        }
                        return "组件 " + desc.name + " 缺少服务 " + refs;
                    }
                    if (c.state == ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION) {
                        return "组件 " + desc.name + " 缺少配置";
                    }
                }
            }
            ServiceReference<?>[] services = b.getRegisteredServices();
            if (services != null) {
                for (ServiceReference<?> ref : services) {
                    Object s = context.getService(ref);
                    try {
                        if (s instanceof HealthCheck check) {
                            HealthCheck.Result res = check.check();
                            if (!res.ok()) {
                                return "健康检查 " + check.name() + " 未通过：" + res.detail();
                            }
                        }
                    } finally {
                        context.ungetService(ref);
                    }
                }
            }
        }
        return null;
    }

    // --- rows -------------------------------------------------------------------------------------

    private void save(Row previous, CatalogueEntry e, State state, String reasonKey, Object... args)
            throws SQLException {
        String reasonArgs = PluginStore.args(args);
        if (previous != null
                && previous.state() == state
                && e.digest().equals(previous.digest())
                && java.util.Objects.equals(previous.reasonKey(), reasonKey)
                && java.util.Objects.equals(previous.reasonArgs(), reasonArgs)) {
            return; // nothing new to record or report
        }
        boolean keep = previous != null && previous.running();
        write(new Row(
                e.id(),
                e.version(),
                e.digest(),
                state,
                reasonKey,
                reasonArgs,
                keep ? previous.runningVersion() : null,
                keep ? previous.runningDigest() : null,
                keep ? previous.featureName() : null,
                keep ? previous.featureVersion() : null,
                keep ? previous.featuresUri() : null,
                keep ? previous.bundles() : List.of(),
                keep ? previous.descriptor() : null,
                nextVersion(previous),
                Instant.now()));
    }

    /** Writes the row and its status report up the tree in one transaction. */
    private void write(Row r) throws SQLException {
        storage.inTransaction(c -> {
            store.put(c, r);
            if ((r.state() == State.REFUSED && !"plugin.noTrust".equals(r.reasonKey())) || r.state() == State.FAILED) {
                store.attempted(c, r);
            }
            upward.enqueue(c, PluginTopics.STATUS, r.id(), r.statusVersion(), r.statusJson(identity.code()), false);
            return null;
        });
    }

    private static long nextVersion(Row previous) {
        long now = System.currentTimeMillis();
        return previous == null ? now : Math.max(now, previous.statusVersion() + 1);
    }

    Path archiveFile(String digest) {
        return archives.resolve(digest + ".kar");
    }

    Path signatureFile(String digest) {
        return archives.resolve(digest + ".p7s");
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
