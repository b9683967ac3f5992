package org.edufed.kernel.plugins.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.edufed.kernel.api.Level;

/**
 * One plugin in the catalogue (item {@code plugin.catalogue/<id>}): the version to run, its archive (digest,
 * size, parts on {@code plugin.archives}) and certification signature, the descriptor as certified, whether
 * it is enabled, and at which levels. The item's mode says how binding it is: {@code locked} = mandatory at
 * those levels, {@code overridable} = recommended (or, when not enabled, available), each node below may
 * choose; a node's own value is its choice for itself and its subtree.
 */
record CatalogueEntry(
        String id,
        String version,
        String digest,
        long size,
        int parts,
        String signature,
        JsonNode descriptor,
        boolean enabled,
        Set<Level> levels,
        boolean certified,
        Set<String> nodes) {

    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
    static final Pattern CODE = Pattern.compile("[0-9]{6}|[0-9]{10}");

    /**
     * Whether a node runs it: enabled, at its level, and — while a rollout goes in waves — the node or its
     * parent is among the nodes named (empty: every node).
     */
    boolean wantedAt(Level level, String code, String parentCode) {
        return enabled
                && levels.contains(level)
                && (nodes.isEmpty() || nodes.contains(code) || (parentCode != null && nodes.contains(parentCode)));
    }

    CatalogueEntry withNodes(Set<String> wave) {
        return new CatalogueEntry(
                id, version, digest, size, parts, signature, descriptor, enabled, levels, certified, Set.copyOf(wave));
    }

    byte[] signatureBytes() {
        return signature == null ? null : Base64.getDecoder().decode(signature);
    }

    String name(Locale locale) {
        JsonNode n = descriptor.path("name");
        String en = n.path("en").asText(null);
        return Texts.of(locale).equals(Locale.ENGLISH) && en != null
                ? en
                : n.path("zh-CN").asText(id);
    }

    CatalogueEntry withEnabled(boolean on) {
        return new CatalogueEntry(
                id, version, digest, size, parts, signature, descriptor, on, levels, certified, nodes);
    }

    String toJson() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", id);
        o.put("version", version);
        o.put("digest", digest);
        o.put("size", size);
        o.put("parts", parts);
        if (signature != null) {
            o.put("signature", signature);
        }
        o.put("certified", certified);
        o.set("descriptor", descriptor);
        o.put("enabled", enabled);
        ArrayNode ls = o.putArray("levels");
        for (Level l : Level.values()) {
            if (levels.contains(l)) {
                ls.add(l.name().toLowerCase(Locale.ROOT));
            }
        }
        if (!nodes.isEmpty()) {
            ArrayNode ns = o.putArray("nodes");
            nodes.stream().sorted().forEach(ns::add);
        }
        return o.toString();
    }

    /** Reads an item's value; {@link IllegalArgumentException} with a text key when it is not an entry. */
    static CatalogueEntry parse(String key, String value) {
        JsonNode o;
        try {
            o = MAPPER.readTree(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("setting.badValue");
        }
        String id = o.path("id").asText("");
        String digest = o.path("digest").asText("");
        int parts = o.path("parts").asInt(0);
        if (!id.equals(key)
                || !HEX.matcher(digest).matches()
                || parts < 1
                || parts > 3000
                || !o.path("descriptor").isObject()) {
            throw new IllegalArgumentException("setting.badValue");
        }
        Set<Level> levels = EnumSet.noneOf(Level.class);
        for (JsonNode l : o.path("levels")) {
            Level level = Level.parse(l.asText());
            if (level != null) {
                levels.add(level);
            }
        }
        String signature = o.hasNonNull("signature") ? o.get("signature").asText() : null;
        Set<String> nodes = new java.util.TreeSet<>();
        for (JsonNode n : o.path("nodes")) {
            if (!CODE.matcher(n.asText()).matches()) {
                throw new IllegalArgumentException("setting.badValue");
            }
            nodes.add(n.asText());
        }
        return new CatalogueEntry(
                id,
                o.path("version").asText(""),
                digest,
                o.path("size").asLong(0),
                parts,
                signature,
                o.get("descriptor"),
                o.path("enabled").asBoolean(false),
                Set.copyOf(levels),
                signature != null && o.path("certified").asBoolean(true),
                Set.copyOf(nodes));
    }
}
