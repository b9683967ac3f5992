package org.edufed.kernel.web.internal.rest;

import java.util.Map;
import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.core.MediaType;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.edufed.kernel.web.internal.NodeInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code GET /api/v1/node}: this node's identity, level, version, public key and installed features. */
@Component(service = RestResource.class)
@Path("/node")
public final class NodeResource implements RestResource {

    private final NodeInfo info;

    @Activate
    public NodeResource(@Reference NodeInfo info) {
        this.info = info;
    }

    /** The node as the API shows it. */
    public record NodeBody(
            String level,
            String code,
            String name,
            String parentUrl,
            String version,
            String signatureAlgorithm,
            String publicKey,
            String storage,
            long uptimeSeconds,
            Map<String, String> features) {}

    @GET
    @RequiresPermission(Permissions.NODE_READ)
    @Produces(MediaType.APPLICATION_JSON)
    public NodeBody get() {
        NodeIdentity id = info.identity();
        return new NodeBody(
                id.level().id(),
                id.code(),
                id.name(),
                id.parentUrl(),
                id.version(),
                id.signatureAlgorithm(),
                id.publicKeyPem(),
                info.storageType(),
                info.health().uptimeSeconds(),
                info.installedFeatures());
    }
}
