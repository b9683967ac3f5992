package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.Topic;
import org.edufed.kernel.api.plugin.PluginGuard;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** The topics declared on this node, by any bundle, as {@link Topic} services. */
@Component(service = Topics.class)
public final class Topics {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Topics.class);

    private final Map<String, Topic> declared = new ConcurrentHashMap<>();
    private final Map<Topic, org.osgi.framework.Bundle> bundles = new ConcurrentHashMap<>();
    private final PluginGuard guard;
    private final BiFunction<org.osgi.framework.Bundle, Connection, Connection> scope;

    /** Without a guard: every topic is taken (tests). */
    Topics() {
        this(null, (b, c) -> c);
    }

    /**
     * @param scope the kernel's checked view of a connection for a plugin's bundle: the connection the exchange
     *     hands to a plugin's topic reaches only that plugin's tables
     */
    @Activate
    public Topics(
            @Reference PluginGuard guard,
            @Reference(target = "(edufed.storage.scope=plugin)")
                    BiFunction<org.osgi.framework.Bundle, Connection, Connection> scope) {
        this.guard = guard;
        this.scope = scope;
    }

    /** The connection as the topic's bundle may use it (checked when the bundle is a plugin's). */
    Connection forTopic(Topic topic, Connection connection) {
        org.osgi.framework.Bundle b = bundles.get(topic);
        return b == null ? connection : scope.apply(b, connection);
    }

    /** A plugin's bundle may declare only the topics its certified descriptor names. */
    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbind")
    void bind(ServiceReference<Topic> ref, Topic topic) {
        org.osgi.framework.Bundle b = ref.getBundle();
        if (guard != null && b != null) {
            var refusal = guard.refuseTopic(b.getLocation(), topic.name());
            if (refusal.isPresent()) {
                LOG.warn("topic {} from {} not declared: {}", topic.name(), b.getSymbolicName(), refusal.get());
                return;
            }
        }
        if (b != null) {
            bundles.put(topic, b);
        }
        add(topic);
    }

    void unbind(Topic topic) {
        remove(topic);
        bundles.remove(topic);
    }

    void add(Topic topic) {
        declared.put(topic.name(), topic);
    }

    void remove(Topic topic) {
        declared.remove(topic.name(), topic);
    }

    /** The topic declared under the name, if any. */
    Topic get(String name) {
        return name == null ? null : declared.get(name);
    }

    boolean isDeclared(String name, Topic.Direction direction) {
        Topic t = declared.get(name);
        return t != null && t.direction() == direction;
    }

    /** Every declared topic, ordered by name. */
    List<Topic> list() {
        return declared.values().stream()
                .sorted(java.util.Comparator.comparing(Topic::name))
                .toList();
    }

    /** Whether the topic's items travel only toward the node their key names ({@link Topic#addressed()}). */
    boolean isAddressed(String topic) {
        Topic t = declared.get(topic);
        return t != null && t.addressed();
    }

    /** Whether the topic shows some of its fields only to some levels (see {@link #visibleTo}). */
    boolean hidesFields(String topic) {
        Topic t = declared.get(topic);
        return t != null && !t.fieldLevels().isEmpty();
    }

    /**
     * A record's JSON as a node of {@code level} may see it: without the top-level fields its topic shows only
     * to other levels (see {@link Topic#fieldLevels()}). Unchanged when the topic hides nothing, is not
     * declared here, or the text is not a JSON object.
     */
    String visibleTo(String topic, Level level, String json) {
        Topic t = declared.get(topic);
        Map<String, Set<Level>> fields = t == null ? Map.of() : t.fieldLevels();
        if (fields.isEmpty() || level == null || json == null) {
            return json;
        }
        JsonNode parsed = Json.parse(json);
        if (!(parsed instanceof ObjectNode object)) {
            return json;
        }
        boolean removed = false;
        for (Map.Entry<String, Set<Level>> f : fields.entrySet()) {
            if (!f.getValue().contains(level) && object.remove(f.getKey()) != null) {
                removed = true;
            }
        }
        return removed ? Json.text(object) : json;
    }

    /** Every declared topic, by name, with its direction. */
    Map<String, String> all() {
        Map<String, String> out = new TreeMap<>();
        declared.forEach((name, t) -> out.put(name, t.direction().name().toLowerCase(java.util.Locale.ROOT)));
        return out;
    }

    /** The exchange's own topics: settings go down, reports go up, and so do the keys of own values. */
    @Component(service = Topic.class)
    public static final class SettingsTopic implements Topic {
        @Override
        public String name() {
            return Inheritance.SETTINGS;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public String description() {
            return "继承设置（锁定 / 可覆盖 / 本级）";
        }
    }

    /** Which items each node below has its own value for (keys and modes, not values): for previews. */
    @Component(service = Topic.class)
    public static final class OwnValuesTopic implements Topic {
        @Override
        public String name() {
            return InheritanceComponent.OWN_TOPIC;
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public String description() {
            return "下级自有值（仅键与模式），用于变更预览";
        }
    }

    /** Reports written at a node and kept by every level above it. */
    @Component(service = Topic.class)
    public static final class ReportsTopic implements Topic {
        @Override
        public String name() {
            return ReportsResource.TOPIC;
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public String description() {
            return "上报（统计、通知），逐级汇总到省级";
        }
    }
}
