package org.edufed.connector.exchange.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.edufed.kernel.api.federation.Topic;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** The topics declared on this node, by any bundle, as {@link Topic} services. */
@Component(service = Topics.class)
public final class Topics {

    private final Map<String, Topic> declared = new ConcurrentHashMap<>();

    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void add(Topic topic) {
        declared.put(topic.name(), topic);
    }

    void remove(Topic topic) {
        declared.remove(topic.name(), topic);
    }

    boolean isDeclared(String name, Topic.Direction direction) {
        Topic t = declared.get(name);
        return t != null && t.direction() == direction;
    }

    /** Every declared topic, by name, with its direction. */
    Map<String, String> all() {
        Map<String, String> out = new TreeMap<>();
        declared.forEach((name, t) -> out.put(name, t.direction().name().toLowerCase(java.util.Locale.ROOT)));
        return out;
    }

    /** The exchange's own topics: settings go down, reports go up. */
    @Component(service = Topic.class)
    public static final class SettingsTopic implements Topic {
        @Override
        public String name() {
            return SettingsComponent.TOPIC;
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
