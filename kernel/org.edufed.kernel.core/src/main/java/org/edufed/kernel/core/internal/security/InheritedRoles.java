package org.edufed.kernel.core.internal.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.Topic;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.AccountService.Role;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Role definitions as inheritable items of the downward topic {@value #TOPIC}: a province defines its standard
 * roles once ({@code locked} or {@code overridable}), and every node below uses them. An item's key is the
 * role's name, its value {@code {"description": …, "permissions": […]}}. The effective definitions are read
 * at most every {@link #TTL_MS} ms.
 */
final class InheritedRoles {

    private static final Logger LOG = LoggerFactory.getLogger(InheritedRoles.class);
    static final String TOPIC = "security.roles";
    static final long TTL_MS = 2_000;
    static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{1,63}");
    static final Pattern PERMISSION = Pattern.compile("(\\*|[a-z][a-z0-9.-]{0,63})(:(\\*|[a-z0-9.,-]{1,64})){0,2}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Cached(Map<String, Role> roles, long at) {}

    private volatile Cached cached;

    /** The effective role definitions of the topic, by name (empty without the federation). */
    Map<String, Role> get(Inheritance inheritance) {
        Cached c = cached;
        if (c != null && System.currentTimeMillis() - c.at() < TTL_MS) {
            return c.roles();
        }
        Map<String, Role> roles = new TreeMap<>();
        if (inheritance != null) {
            try {
                for (Inheritance.Item item : inheritance.effective(TOPIC)) {
                    Role r = parse(item.key(), item.value());
                    if (r != null) {
                        roles.put(r.name(), r);
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("inherited role definitions cannot be read now: {}", e.getMessage());
            }
        }
        Map<String, Role> out = Collections.unmodifiableMap(roles);
        cached = new Cached(out, System.currentTimeMillis());
        return out;
    }

    void invalidate() {
        cached = null;
    }

    /** Checks a definition; throws {@code role.bad} or {@code role.builtIn}. */
    static void check(Role role) {
        if (role == null
                || role.name() == null
                || !NAME.matcher(role.name()).matches()
                || role.description() == null
                || role.description().isBlank()
                || role.description().length() > 200
                || role.permissions() == null
                || role.permissions().isEmpty()
                || role.permissions().size() > 200
                || role.permissions().stream()
                        .anyMatch(p -> p == null || !PERMISSION.matcher(p).matches())) {
            throw new IllegalArgumentException("role.bad");
        }
        if (AccountService.ADMIN.equals(role.name())) {
            throw new IllegalArgumentException("role.builtIn");
        }
    }

    static String json(Role role) {
        ObjectNode o =
                JSON.createObjectNode().put("description", role.description().trim());
        new TreeSet<>(role.permissions()).forEach(o.putArray("permissions")::add);
        return o.toString();
    }

    /** The definition an item holds, or {@code null} when it is not one (logged). */
    static Role parse(String name, String value) {
        try {
            return read(name, value);
        } catch (IllegalArgumentException e) {
            LOG.warn("role definition {} is not valid and is ignored", name);
            return null;
        }
    }

    /** The definition an item holds; throws as {@link #check} does when it is not a valid one. */
    static Role read(String name, String value) {
        JsonNode o;
        try {
            o = JSON.readTree(value == null ? "" : value);
        } catch (IOException e) {
            throw new IllegalArgumentException("role.bad");
        }
        Set<String> perms = new LinkedHashSet<>();
        o.path("permissions").forEach(p -> perms.add(p.asText()));
        Role r = new Role(name, o.path("description").asText(null), perms);
        check(r);
        return r;
    }

    /** Declares the topic, so that role definitions travel down and are checked before they are stored. */
    @Component(service = Topic.class)
    public static final class RolesTopic implements Topic {
        @Override
        public String name() {
            return TOPIC;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public void validate(String key, String value) {
            read(key, value);
        }

        @Override
        public String description() {
            return "角色定义（权限集合），由上级统一定义";
        }
    }
}
