package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import javax.ws.rs.DefaultValue;
import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.MediaType;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.federation.Topic;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.storage.Storage;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Security events of the tree at the province: every node below sends up, for each day (China time), how many
 * audit entries it wrote per action and result — counts only, no names or addresses — as the upward topic
 * {@value #TOPIC}; every level keeps its subtree's summaries. {@code GET /api/v1/federation/audit} lists them.
 */
@Component(service = {AuditSummaries.class, RestResource.class})
@Path("/federation/audit")
@Produces(MediaType.APPLICATION_JSON)
public final class AuditSummaries implements RestResource {

    static final String TOPIC = "audit.summary";
    private static final Logger LOG = LoggerFactory.getLogger(AuditSummaries.class);
    private static final ZoneId CHINA = ZoneId.of("Asia/Shanghai");

    private final AuditLog audit;
    private final Upward upward;
    private final Storage storage;
    private final NodeRef self;
    private final boolean hasParentLevel;
    private String lastSent;

    @Activate
    public AuditSummaries(
            @Reference AuditLog audit,
            @Reference Upward upward,
            @Reference Storage storage,
            @Reference NodeIdentity identity) {
        this.audit = audit;
        this.upward = upward;
        this.storage = storage;
        this.self = new NodeRef(identity.level().id(), identity.code(), identity.name());
        this.hasParentLevel = identity.level() != Level.PROVINCE;
    }

    /** Queues today's counts for the parent when they changed since the last time (called by a route). */
    public synchronized void publish() {
        if (!hasParentLevel) {
            return;
        }
        LocalDate today = LocalDate.now(CHINA);
        List<AuditLog.Count> counts =
                audit.countsSince(today.atStartOfDay(CHINA).toInstant());
        ObjectNode summary = Json.object().put("date", today.toString());
        summary.set("node", InheritanceComponent.refJson(self));
        ArrayNode arr = summary.putArray("counts");
        counts.forEach(c -> arr.addObject()
                .put("action", c.action())
                .put("result", c.result().name().toLowerCase(java.util.Locale.ROOT))
                .put("count", c.count()));
        String text = Json.text(summary);
        if (text.equals(lastSent)) {
            return;
        }
        Instant now = Instant.now();
        try {
            storage.inTransaction(c -> {
                upward.enqueue(
                        c,
                        TOPIC,
                        TOPIC + "/" + today,
                        now.getEpochSecond() * 1_000_000L + now.getNano() / 1000,
                        text,
                        false);
                return null;
            });
            lastSent = text;
        } catch (SQLException | RuntimeException e) {
            LOG.warn("could not queue the audit summary: {}", e.getMessage());
        }
    }

    /** The summaries held here: this node's subtree's, newest first. */
    @GET
    @RequiresPermission(Permissions.AUDIT_READ)
    public List<ObjectNode> tree(@QueryParam("limit") @DefaultValue("500") int limit) {
        return upward.records(TOPIC, limit).stream()
                .map(r -> {
                    ObjectNode n = (ObjectNode) Json.parse(r.payload());
                    n.put("receivedAt", r.receivedAt().toString());
                    return n;
                })
                .toList();
    }

    /** The topic, declared so that every level keeps and passes on the summaries of its subtree. */
    @Component(service = Topic.class)
    public static final class SummaryTopic implements Topic {
        @Override
        public String name() {
            return TOPIC;
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public String description() {
            return "安全审计摘要（按日、动作、结果计数）";
        }
    }
}
