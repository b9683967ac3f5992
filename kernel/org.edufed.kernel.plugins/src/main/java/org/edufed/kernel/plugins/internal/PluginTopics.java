package org.edufed.kernel.plugins.internal;

import java.util.regex.Pattern;
import org.edufed.kernel.api.federation.Topic;
import org.osgi.service.component.annotations.Component;

/**
 * The exchange topics of the plugin platform. Down the tree: the catalogue (one item a plugin, its mode
 * saying mandatory or recommended), the archives (in parts of at most {@link #PART_CHARS} base64 characters,
 * so that a plugin travels through the same signed, resumable feed as everything else), the certification
 * trust anchor and the revocations. Up the tree: the status of every plugin at every node.
 */
final class PluginTopics {

    static final String CATALOGUE = "plugin.catalogue";
    static final String ARCHIVES = "plugin.archives";
    static final String TRUST = "plugin.trust";
    static final String REVOCATIONS = "plugin.revocations";
    static final String STATUS = "plugin.status";

    /** The trust item: the root certificate of the province's certification authority (PEM). */
    static final String TRUST_ROOT = "ca";

    /** Raw bytes per archive part: 22,500 bytes are 30,000 base64 characters, under the item limit. */
    static final int PART_BYTES = 22_500;

    static final int PART_CHARS = 30_000;

    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/=]+");

    private PluginTopics() {}

    /** The key of part {@code n} of an archive. */
    static String partKey(String digest, int n) {
        return digest + "." + n;
    }

    private abstract static class Down implements Topic {
        @Override
        public Direction direction() {
            return Direction.DOWN;
        }
    }

    @Component(service = Topic.class)
    public static final class Catalogue extends Down {
        @Override
        public String name() {
            return CATALOGUE;
        }

        @Override
        public void validate(String key, String value) {
            CatalogueEntry.parse(key, value); // throws IllegalArgumentException with a text key
        }

        @Override
        public String description() {
            return "插件目录（必装 / 推荐 / 可选）";
        }
    }

    @Component(service = Topic.class)
    public static final class Archives extends Down {
        @Override
        public String name() {
            return ARCHIVES;
        }

        @Override
        public void validate(String key, String value) {
            if (value.length() > PART_CHARS || !BASE64.matcher(value).matches()) {
                throw new IllegalArgumentException("setting.badValue");
            }
        }

        @Override
        public String description() {
            return "插件安装包（分段）";
        }
    }

    @Component(service = Topic.class)
    public static final class Trust extends Down {
        @Override
        public String name() {
            return TRUST;
        }

        @Override
        public void validate(String key, String value) {
            if (!value.startsWith("-----BEGIN CERTIFICATE-----")) {
                throw new IllegalArgumentException("setting.badValue");
            }
        }

        @Override
        public String description() {
            return "插件认证根证书";
        }
    }

    @Component(service = Topic.class)
    public static final class Revocations extends Down {
        @Override
        public String name() {
            return REVOCATIONS;
        }

        @Override
        public String description() {
            return "已吊销的插件与证书";
        }
    }

    @Component(service = Topic.class)
    public static final class Status implements Topic {
        @Override
        public String name() {
            return STATUS;
        }

        @Override
        public Direction direction() {
            return Direction.UP;
        }

        @Override
        public String description() {
            return "各节点插件运行状态";
        }
    }
}
