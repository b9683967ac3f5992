package org.edufed.kernel.core.internal.org;

import static org.edufed.kernel.core.internal.storage.Queries.count;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.security.OrgUnit;
import org.edufed.kernel.api.security.Organisation;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The organisation tree at this node: this node, the units kept inside it ({@code edufed_org_unit}), and the
 * nodes below it as the federation last heard of them (revoked children left out). The view is built at most
 * every {@link #TTL_MS} ms and at once after a change here.
 */
@Component(service = Organisation.class, immediate = true)
public final class OrganisationComponent implements Organisation {

    private static final Logger LOG = LoggerFactory.getLogger(OrganisationComponent.class);
    static final long TTL_MS = 2_000;
    static final Pattern LOCAL_CODE = Pattern.compile("[a-z0-9][a-z0-9.]{0,30}");

    private final OrgUnit self;
    private final Storage storage;
    private final AuditLog audit;

    @Reference(
            cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Federation federation;

    private volatile View view;

    /** Units by code, in tree order, with the children of each. */
    record View(Map<String, OrgUnit> units, Map<String, List<String>> children, long builtAt) {}

    @Activate
    public OrganisationComponent(
            @Reference NodeIdentity identity, @Reference Storage storage, @Reference AuditLog audit) {
        this(
                new OrgUnit(
                        identity.code(), null, identity.name(), identity.level().id()),
                storage,
                audit,
                null);
    }

    OrganisationComponent(OrgUnit self, Storage storage, AuditLog audit, Federation federation) {
        this.self = self;
        this.storage = storage;
        this.audit = audit;
        this.federation = federation;
    }

    @Override
    public List<OrgUnit> units() {
        return List.copyOf(view().units().values());
    }

    @Override
    public Optional<OrgUnit> find(String code) {
        return Optional.ofNullable(code == null ? null : view().units().get(code));
    }

    @Override
    public Set<String> subtree(String code) {
        View v = view();
        if (code == null || !v.units().containsKey(code)) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        List<String> todo = new ArrayList<>(List.of(code));
        while (!todo.isEmpty()) {
            String c = todo.remove(todo.size() - 1);
            if (out.add(c)) {
                todo.addAll(v.children().getOrDefault(c, List.of()));
            }
        }
        return Collections.unmodifiableSet(out);
    }

    @Override
    public boolean within(String code, String ancestor) {
        if (code == null || ancestor == null) {
            return false;
        }
        View v = view();
        for (OrgUnit u = v.units().get(code);
                u != null;
                u = u.parentCode() == null ? null : v.units().get(u.parentCode())) {
            if (u.code().equals(ancestor)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public OrgUnit add(String parentCode, String localCode, String name, String kind) {
        if (localCode == null
                || !LOCAL_CODE.matcher(localCode).matches()
                || name == null
                || name.isBlank()
                || name.length() > 200
                || kind == null
                || !OrgUnit.INNER_KINDS.contains(kind)) {
            throw new IllegalArgumentException("org.badUnit");
        }
        String own = self.code();
        String parent = parentCode == null || parentCode.isBlank() ? own : parentCode;
        if (!parent.equals(own) && !parent.startsWith(own + "-")) {
            throw new IllegalArgumentException("org.badParent"); // units are added inside this node only
        }
        OrgUnit unit = new OrgUnit(own + "-" + localCode, parent, name.trim(), kind);
        try {
            storage.inTransaction(c -> {
                if (!parent.equals(own) && !exists(c, parent)) {
                    throw new IllegalArgumentException("org.badParent");
                }
                if (exists(c, unit.code())) {
                    throw new IllegalArgumentException("org.exists");
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO edufed_org_unit (code, parent_code, name,"
                        + " kind, created_at) VALUES (?, ?, ?, ?, ?)")) {
                    ps.setString(1, unit.code());
                    ps.setString(2, unit.parentCode());
                    ps.setString(3, unit.name());
                    ps.setString(4, unit.kind());
                    ps.setTimestamp(5, Timestamp.from(Instant.now()));
                    ps.executeUpdate();
                }
                return null;
            });
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        view = null;
        audit.record(AuditLog.Event.of(
                "org.unit.add", unit.code(), AuditLog.Result.SUCCESS, unit.kind() + " under " + parent));
        return unit;
    }

    @Override
    public void remove(String code) {
        try {
            storage.inTransaction(c -> {
                if (code == null || !exists(c, code)) {
                    throw new IllegalArgumentException("org.notFound");
                }
                if (count(c, "SELECT COUNT(*) FROM edufed_org_unit WHERE parent_code = ?", code) > 0
                        || count(c, "SELECT COUNT(*) FROM edufed_grant WHERE unit_code = ?", code) > 0
                        || count(c, "SELECT COUNT(*) FROM edufed_grant_idp WHERE unit_code = ?", code) > 0) {
                    throw new IllegalArgumentException("org.inUse");
                }
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM edufed_org_unit WHERE code = ?")) {
                    ps.setString(1, code);
                    ps.executeUpdate();
                }
                return null;
            });
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        view = null;
        audit.record(AuditLog.Event.of("org.unit.remove", code, AuditLog.Result.SUCCESS, null));
    }

    private static boolean exists(Connection c, String code) throws SQLException {
        return count(c, "SELECT COUNT(*) FROM edufed_org_unit WHERE code = ?", code) > 0;
    }

    private View view() {
        View v = view;
        if (v == null || System.currentTimeMillis() - v.builtAt() > TTL_MS) {
            v = build();
            view = v;
        }
        return v;
    }

    private View build() {
        Map<String, OrgUnit> units = new LinkedHashMap<>();
        Map<String, List<String>> children = new LinkedHashMap<>();
        units.put(self.code(), self);
        // units inside this node, each after its parent
        List<OrgUnit> inner = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT code, parent_code, name, kind FROM edufed_org_unit ORDER BY code");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                inner.add(new OrgUnit(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
        for (boolean placed = true; placed && !inner.isEmpty(); ) {
            placed = false;
            for (var it = inner.iterator(); it.hasNext(); ) {
                OrgUnit u = it.next();
                if (units.containsKey(u.parentCode())) {
                    add(units, children, u);
                    it.remove();
                    placed = true;
                }
            }
        }
        // nodes below, as the federation knows them
        Federation f = federation;
        if (f != null) {
            try {
                addNodes(units, children, self.code(), f.tree().children());
            } catch (RuntimeException e) {
                LOG.warn("the organisation tree is shown without the nodes below this one: {}", e.getMessage());
            }
        }
        return new View(Collections.unmodifiableMap(units), children, System.currentTimeMillis());
    }

    private static void addNodes(
            Map<String, OrgUnit> units,
            Map<String, List<String>> children,
            String parent,
            List<Federation.TreeNode> nodes) {
        for (Federation.TreeNode n : nodes) {
            if ("revoked".equals(n.status()) || units.containsKey(n.node().code())) {
                continue;
            }
            add(
                    units,
                    children,
                    new OrgUnit(
                            n.node().code(), parent, n.node().name(), n.node().level()));
            addNodes(units, children, n.node().code(), n.children());
        }
    }

    private static void add(Map<String, OrgUnit> units, Map<String, List<String>> children, OrgUnit u) {
        units.put(u.code(), u);
        children.computeIfAbsent(u.parentCode(), k -> new ArrayList<>()).add(u.code());
    }
}
