package org.edufed.kernel.plugins.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.edufed.kernel.api.Level;
import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;

/**
 * A plugin's descriptor, {@code META-INF/edufed-plugin.json} inside its KAR: who it is, where it runs, what
 * kernel API it needs, and everything it asks for — the permissions it checks, the topics it syncs and the
 * inheritable items it defines. The certification signature covers the whole archive, so what a node enforces
 * is exactly what the certifier saw.
 */
record Descriptor(
        String id,
        Version version,
        String nameZh,
        String nameEn,
        String vendor,
        Set<Level> levels,
        VersionRange kernelApi,
        String feature,
        Set<String> permissions,
        List<TopicDecl> topics,
        List<ItemDecl> items,
        String health) {

    static final String PATH = "META-INF/edufed-plugin.json";

    static final Pattern ID = Pattern.compile("[a-z][a-z0-9]*(\\.[a-z][a-z0-9_-]*)+");
    static final Pattern PERMISSION = Pattern.compile("[a-z][a-z0-9._-]*:[a-z*][a-z0-9._*-]*");
    static final Pattern TOPIC = Pattern.compile("[a-z][a-z0-9]*(\\.[a-z0-9_-]+)*");
    static final Pattern ITEM_KEY = Pattern.compile("[a-z0-9][a-z0-9._-]{0,199}");

    /** A topic the plugin syncs: {@code up} (records to the levels above) or {@code down} (inherited items). */
    record TopicDecl(String name, String direction) {}

    /** An inheritable item the plugin defines, on one of its {@code down} topics. */
    record ItemDecl(String topic, String key) {}

    /** A descriptor that does not hold: {@code key} is the text key of the reason, {@code detail} what is wrong. */
    static final class Invalid extends Exception {
        final String detail;

        Invalid(String detail) {
            super(detail);
            this.detail = detail;
        }
    }

    String name(Locale locale) {
        return locale != null && "en".equals(locale.getLanguage()) && nameEn != null ? nameEn : nameZh;
    }

    /** Whether the topic is one the plugin declares, in that direction. */
    boolean declaresTopic(String name) {
        return topics.stream().anyMatch(t -> t.name().equals(name));
    }

    static Descriptor parse(byte[] json, ObjectMapper mapper) throws Invalid {
        JsonNode root;
        try {
            root = mapper.readTree(json);
        } catch (IOException e) {
            throw new Invalid("not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(root instanceof ObjectNode o)) {
            throw new Invalid("not a JSON object");
        }
        String id = text(o, "id", true);
        if (id.length() > 100 || !ID.matcher(id).matches()) {
            throw new Invalid("id '" + id + "': lower-case, dotted, e.g. cn.example.hello");
        }
        Version version;
        try {
            version = osgiVersion(text(o, "version", true));
        } catch (IllegalArgumentException e) {
            throw new Invalid("version: " + e.getMessage());
        }
        JsonNode name = o.get("name");
        String zh = name == null ? null : name.path("zh-CN").asText(null);
        if (zh == null || zh.isBlank()) {
            throw new Invalid("name.zh-CN is missing");
        }
        String en = name.path("en").asText(null);
        String vendor = text(o, "vendor", true);
        Set<Level> levels = new LinkedHashSet<>();
        for (String l : strings(o, "levels", true)) {
            Level level = Level.parse(l);
            if (level == null) {
                throw new Invalid("levels: unknown level '" + l + "'");
            }
            levels.add(level);
        }
        if (levels.isEmpty()) {
            throw new Invalid("levels: at least one of province, county, school");
        }
        VersionRange api;
        try {
            api = new VersionRange(text(o, "kernelApi", true));
        } catch (IllegalArgumentException e) {
            throw new Invalid("kernelApi: not a version range, e.g. [0.1,1)");
        }
        String feature = o.hasNonNull("feature") ? text(o, "feature", true) : id;
        Set<String> permissions = new LinkedHashSet<>();
        for (String p : strings(o, "permissions", false)) {
            if (!PERMISSION.matcher(p).matches()) {
                throw new Invalid("permissions: '" + p + "' is not domain:action");
            }
            permissions.add(p);
        }
        List<TopicDecl> topics = new ArrayList<>();
        JsonNode ts = o.get("topics");
        if (ts != null && !(ts instanceof ArrayNode)) {
            throw new Invalid("topics: a list of {name, direction}");
        }
        if (ts != null) {
            for (JsonNode t : ts) {
                String n = t.path("name").asText("");
                String d = t.path("direction").asText("").toLowerCase(Locale.ROOT);
                if (n.length() > 64 || !TOPIC.matcher(n).matches() || !(d.equals("up") || d.equals("down"))) {
                    throw new Invalid("topics: '" + n + "' needs a dotted lower-case name and direction up or down");
                }
                if (n.startsWith("plugin.") || n.equals("settings") || n.startsWith("security.")) {
                    throw new Invalid("topics: '" + n + "' belongs to the kernel");
                }
                topics.add(new TopicDecl(n, d));
            }
        }
        List<ItemDecl> items = new ArrayList<>();
        JsonNode is = o.get("items");
        if (is != null) {
            for (JsonNode i : is) {
                String t = i.path("topic").asText("");
                String k = i.path("key").asText("");
                boolean down = topics.stream()
                        .anyMatch(x -> x.name().equals(t) && x.direction().equals("down"));
                if (!down || !ITEM_KEY.matcher(k).matches()) {
                    throw new Invalid("items: '" + t + "/" + k + "' must be on a declared down topic");
                }
                items.add(new ItemDecl(t, k));
            }
        }
        String health = o.hasNonNull("health") ? o.get("health").asText() : null;
        return new Descriptor(
                id,
                version,
                zh,
                en,
                vendor,
                Set.copyOf(levels),
                api,
                feature,
                Set.copyOf(permissions),
                List.copyOf(topics),
                List.copyOf(items),
                health);
    }

    private static final Pattern MAVEN_VERSION = Pattern.compile("(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?-([0-9A-Za-z_-]+)");

    /**
     * A version as OSGi reads it; a Maven version with a qualifier ({@code 1.0-SNAPSHOT}, {@code 2.1.0-rc1}) is
     * read the way Karaf and bnd convert it ({@code 1.0.0.SNAPSHOT}, {@code 2.1.0.rc1}).
     */
    static Version osgiVersion(String text) {
        java.util.regex.Matcher m = MAVEN_VERSION.matcher(text);
        if (m.matches()) {
            return new Version(
                    Integer.parseInt(m.group(1)),
                    m.group(2) == null ? 0 : Integer.parseInt(m.group(2)),
                    m.group(3) == null ? 0 : Integer.parseInt(m.group(3)),
                    m.group(4));
        }
        return Version.parseVersion(text);
    }

    /** The descriptor as the console and the API show it. */
    ObjectNode toJson(ObjectMapper mapper) {
        ObjectNode o = mapper.createObjectNode();
        o.put("id", id);
        o.put("version", version.toString());
        o.putObject("name").put("zh-CN", nameZh).put("en", nameEn);
        o.put("vendor", vendor);
        ArrayNode ls = o.putArray("levels");
        for (Level l : Level.values()) {
            if (levels.contains(l)) {
                ls.add(l.name().toLowerCase(Locale.ROOT));
            }
        }
        o.put("kernelApi", kernelApi.toString());
        o.put("feature", feature);
        ArrayNode ps = o.putArray("permissions");
        permissions.stream().sorted().forEach(ps::add);
        ArrayNode ts = o.putArray("topics");
        topics.forEach(t -> ts.addObject().put("name", t.name()).put("direction", t.direction()));
        ArrayNode is = o.putArray("items");
        items.forEach(i -> is.addObject().put("topic", i.topic()).put("key", i.key()));
        return o;
    }

    private static String text(ObjectNode o, String field, boolean required) throws Invalid {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            if (required) {
                throw new Invalid(field + " is missing");
            }
            return null;
        }
        return v.asText().strip();
    }

    private static List<String> strings(ObjectNode o, String field, boolean required) throws Invalid {
        JsonNode v = o.get(field);
        if (v == null) {
            if (required) {
                throw new Invalid(field + " is missing");
            }
            return List.of();
        }
        if (!(v instanceof ArrayNode a)) {
            throw new Invalid(field + ": a list of texts");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : a) {
            if (!e.isTextual()) {
                throw new Invalid(field + ": a list of texts");
            }
            out.add(e.asText());
        }
        return out;
    }
}
