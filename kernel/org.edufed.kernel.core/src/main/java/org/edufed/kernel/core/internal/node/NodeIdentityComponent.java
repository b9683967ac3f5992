package org.edufed.kernel.core.internal.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and validates {@code etc/org.edufed.node.cfg}, creates or loads the node key pair, and offers the
 * node's identity as a service. A wrong value stops the whole node with one line naming the key and the
 * reason: a node that is not sure who it is must not join a federation.
 */
@Component(
        service = NodeIdentity.class,
        immediate = true,
        configurationPid = "org.edufed.node",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class NodeIdentityComponent implements NodeIdentity {

    private static final Logger LOG = LoggerFactory.getLogger(NodeIdentityComponent.class);

    private final NodeSettings settings;
    private final Path keyDir;
    private volatile NodeKeys keys;
    private final String version;

    @Activate
    public NodeIdentityComponent(BundleContext context, Map<String, Object> properties) throws IOException {
        NodeSettings parsed;
        try {
            parsed = NodeSettings.from(properties);
        } catch (NodeConfigException e) {
            stopNode(context, "节点配置错误 / node configuration error: " + e.getMessage());
            throw new IllegalStateException(e.getMessage(), e);
        }
        this.settings = parsed;
        this.keyDir = DataDirs.dataDir().resolve("keys");
        try {
            this.keys = NodeKeys.loadOrCreate(keyDir, settings.keyAlgorithm());
        } catch (IOException e) {
            stopNode(context, "节点密钥错误 / node key error: " + e.getMessage());
            throw e;
        }
        if (keys.created()) {
            LOG.info(
                    "Created the {} node key pair in {}",
                    settings.keyAlgorithm().name(),
                    keyDir);
        }
        this.version = context.getBundle().getVersion().toString();
        LOG.info("EduFed node {} {} ({}) version {}", settings.level().id(), settings.code(), settings.name(), version);
    }

    /**
     * A configuration update (Karaf's features service marks the configurations it manages, an operator
     * edits the file) must not cycle every component of the node. The identity of a running node does not
     * change under it: a different level, code, name, parent or key algorithm takes effect at the next start.
     */
    @Modified
    void modified(Map<String, Object> properties) {
        try {
            if (!NodeSettings.from(properties).equals(settings)) {
                LOG.warn("etc/org.edufed.node.cfg changed: the new identity takes effect when the node restarts");
            }
        } catch (NodeConfigException e) {
            LOG.warn("etc/org.edufed.node.cfg changed to a value the next start will refuse: {}", e.getMessage());
        }
    }

    /** Prints the reason once, to the console and the log, and stops the framework. */
    static void stopNode(BundleContext context, String line) {
        System.err.println("EDUFED FATAL: " + line);
        LOG.error("EDUFED FATAL: {}", line);
        Thread stopper = new Thread(
                () -> {
                    try {
                        context.getBundle(0).stop();
                    } catch (BundleException | IllegalStateException e) {
                        LOG.error("could not stop the framework", e);
                    }
                },
                "edufed-stop");
        stopper.setDaemon(true);
        stopper.start();
    }

    @Override
    public Level level() {
        return settings.level();
    }

    @Override
    public String code() {
        return settings.code();
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String parentUrl() {
        return settings.parentUrl();
    }

    @Override
    public String signatureAlgorithm() {
        return keys.algorithm().signature();
    }

    @Override
    public String publicKeyPem() {
        return keys.publicKeyPem();
    }

    @Override
    public byte[] sign(byte[] data) {
        return keys.sign(data);
    }

    @Override
    public byte[] unseal(byte[] sealed) {
        try {
            return keys.unseal(sealed);
        } catch (IllegalArgumentException e) {
            NodeKeys previous = NodeKeys.previous(keyDir, keys.algorithm());
            if (previous == null || !Sealing.isSealed(sealed)) {
                throw e;
            }
            return previous.unseal(sealed);
        }
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public KeyRotation rotateKey() {
        NodeKeys next = keys.next();
        return new KeyRotation() {
            @Override
            public String publicKeyPem() {
                return next.publicKeyPem();
            }

            @Override
            public byte[] sign(byte[] data) {
                return next.sign(data);
            }

            @Override
            public void commit() {
                synchronized (NodeIdentityComponent.this) {
                    try {
                        NodeKeys.install(keyDir, next);
                    } catch (IOException e) {
                        throw new IllegalStateException("cannot write the new node key: " + e.getMessage(), e);
                    }
                    keys = next;
                }
                LOG.info("Rotated the node key; the previous key is kept as {}/node-key.previous.pem", keyDir);
            }
        };
    }
}
