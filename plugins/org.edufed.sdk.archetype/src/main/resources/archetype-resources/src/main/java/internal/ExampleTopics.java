package ${package}.internal;

import org.edufed.kernel.api.federation.Topic;
import org.osgi.service.component.annotations.Component;

/** The topics the plugin syncs, as its descriptor declares them (the kernel refuses any other). */
final class ExampleTopics {

    static final String NOTES = "${domain}.notes";
    static final String SETTINGS = "${domain}.settings";
    static final String GREETING = "greeting";

    private ExampleTopics() {}

    /** Notes written at a node travel up to every level above it. */
    @Component(service = Topic.class)
    public static final class Notes implements Topic {
        @Override
        public String name() {
            return NOTES;
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public String description() {
            return "${pluginNameZh}：留言（向上汇总）";
        }
    }

    /** The greeting is an inheritable item: set at a level, it reaches every node below. */
    @Component(service = Topic.class)
    public static final class Settings implements Topic {
        @Override
        public String name() {
            return SETTINGS;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public void validate(String key, String value) {
            if (!GREETING.equals(key) || value.length() > 100 || !value.contains("{name}")) {
                throw new IllegalArgumentException("setting.badValue");
            }
        }

        @Override
        public String description() {
            return "${pluginNameZh}：问候语（逐级继承）";
        }
    }
}
