package org.edufed.kernel.core.internal.audit;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail in the node's database. An append takes the head row's lock (so entries are numbered and
 * chained in commit order), hashes the entry with the previous entry's hash (SM3), inserts it and moves the
 * head. Retention drops the oldest entries and keeps the last dropped hash as the chain's anchor.
 */
@Component(service = AuditLog.class, configurationPid = "org.edufed.audit")
@Designate(ocd = AuditLogImpl.Config.class)
public final class AuditLogImpl implements AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLogImpl.class);
    static final String OWNER = "org.edufed.kernel.core";
    private static final char SEP = '\u001f';

    @ObjectClassDefinition(name = "EduFed audit trail")
    public @interface Config {
        @AttributeDefinition(description = "Days an entry is kept (等级保护 asks for at least 180)")
        int retention_days() default 180;
    }

    private final Storage storage;
    private final String node;
    private final ScheduledExecutorService retention;

    @Activate
    public AuditLogImpl(@Reference NodeIdentity identity, @Reference Storage storage, Config config)
            throws SQLException {
        this(identity.level().id() + " " + identity.code(), storage, config.retention_days());
    }

    public AuditLogImpl(String node, Storage storage, int retentionDays) throws SQLException {
        this.node = node;
        this.storage = storage;
        storage.migrate(OWNER, AuditLogImpl.class.getClassLoader(), "org/edufed/kernel/core/db");
        this.retention = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "edufed-audit-retention");
            t.setDaemon(true);
            return t;
        });
        Duration keep = Duration.ofDays(Math.max(1, retentionDays));
        retention.scheduleWithFixedDelay(() -> purge(Instant.now().minus(keep)), 1, 6 * 60, TimeUnit.MINUTES);
    }

    @Deactivate
    void deactivate() {
        retention.shutdownNow();
    }

    @Override
    public void record(Event event) {
        try {
            storage.inTransaction(c -> {
                record(c, event);
                return null;
            });
        } catch (SQLException | RuntimeException e) {
            LOG.error("could not write the audit entry {} {}: {}", event.action(), event.result(), e.getMessage());
        }
    }

    @Override
    public void record(Connection c, Event event) throws SQLException {
        Actor.Who who = Actor.current();
        String actor = cut(event.actor() != null ? event.actor() : who.name(), 100);
        String address = cut(event.address() != null ? event.address() : who.address(), 64);
        String action = cut(event.action(), 64);
        String target = cut(event.target(), 200);
        String detail = cut(event.detail(), 1000);
        Result result = event.result() == null ? Result.SUCCESS : event.result();
        try (PreparedStatement up = c.prepareStatement("UPDATE edufed_audit_head SET seq = seq + 1 WHERE id = 1")) {
            up.executeUpdate();
        }
        long id;
        String previous;
        try (PreparedStatement q = c.prepareStatement("SELECT seq, last_hash FROM edufed_audit_head WHERE id = 1");
                ResultSet rs = q.executeQuery()) {
            rs.next();
            id = rs.getLong(1);
            previous = rs.getString(2);
        }
        long at = System.currentTimeMillis();
        String hash = hash(previous, id, at, node, actor, address, action, target, result.name(), detail);
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO edufed_audit (id, at_ms, node, actor, address,"
                + " action, target, result, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ins.setLong(1, id);
            ins.setLong(2, at);
            ins.setString(3, node);
            ins.setString(4, actor);
            ins.setString(5, address);
            ins.setString(6, action);
            ins.setString(7, target);
            ins.setString(8, result.name());
            ins.setString(9, detail);
            ins.setString(10, hash);
            ins.executeUpdate();
        }
        try (PreparedStatement up = c.prepareStatement("UPDATE edufed_audit_head SET last_hash = ? WHERE id = 1")) {
            up.setString(1, hash);
            up.executeUpdate();
        }
    }

    @Override
    public List<Entry> recent(int limit, String action) {
        String where = action == null || action.isBlank() ? "" : " WHERE action LIKE ? ESCAPE '\\'";
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT id, at_ms, node, actor, address, action, target, result, detail, hash FROM edufed_audit"
                                + where + " ORDER BY id DESC")) {
            if (!where.isEmpty()) {
                ps.setString(1, action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
            }
            ps.setMaxRows(Math.max(1, Math.min(limit, 10_000)));
            List<Entry> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(entry(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public List<Count> countsSince(Instant since) {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT action, result, COUNT(*) FROM edufed_audit"
                        + " WHERE at_ms >= ? GROUP BY action, result ORDER BY action, result")) {
            ps.setLong(1, since.toEpochMilli());
            List<Count> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Count(rs.getString(1), Result.valueOf(rs.getString(2)), rs.getLong(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    @Override
    public Verification verify() {
        try (Connection c = storage.dataSource().getConnection()) {
            long anchorId;
            String expected;
            long headSeq;
            String headHash;
            try (PreparedStatement q = c.prepareStatement(
                            "SELECT anchor_id, anchor_hash, seq, last_hash FROM edufed_audit_head WHERE id = 1");
                    ResultSet rs = q.executeQuery()) {
                rs.next();
                anchorId = rs.getLong(1);
                expected = rs.getString(2);
                headSeq = rs.getLong(3);
                headHash = rs.getString(4);
            }
            long next = anchorId + 1;
            long checked = 0;
            try (PreparedStatement ps = c.prepareStatement("SELECT id, at_ms, node, actor, address, action, target,"
                            + " result, detail, hash FROM edufed_audit WHERE id > ? ORDER BY id");
                    ResultSet rs = bind(ps, anchorId).executeQuery()) {
                while (rs.next()) {
                    Entry e = entry(rs);
                    if (e.id() != next) {
                        return new Verification(checked, false, next, "entry " + next + " is missing");
                    }
                    String hash = hash(
                            expected,
                            e.id(),
                            rs.getLong(2),
                            e.node(),
                            e.actor(),
                            e.address(),
                            e.action(),
                            e.target(),
                            rs.getString(8),
                            e.detail());
                    if (!hash.equals(e.hash())) {
                        return new Verification(checked, false, e.id(), "entry " + e.id() + " was changed");
                    }
                    expected = hash;
                    next++;
                    checked++;
                }
            }
            if (next - 1 != headSeq || !expected.equals(headHash)) {
                return new Verification(checked, false, next, "entries after " + (next - 1) + " were removed");
            }
            return new Verification(checked, true, null, null);
        } catch (SQLException e) {
            throw new IllegalStateException("storage: " + e.getMessage(), e);
        }
    }

    /** Drops entries older than {@code before}, keeping the last dropped hash as the chain's anchor. */
    int purge(Instant before) {
        try {
            return storage.inTransaction(c -> {
                try (PreparedStatement lock =
                        c.prepareStatement("UPDATE edufed_audit_head SET seq = seq WHERE id = 1")) {
                    lock.executeUpdate();
                }
                long lastId;
                String lastHash;
                try (PreparedStatement q =
                        c.prepareStatement("SELECT id, hash FROM edufed_audit WHERE at_ms < ? ORDER BY id DESC")) {
                    q.setLong(1, before.toEpochMilli());
                    q.setMaxRows(1);
                    try (ResultSet rs = q.executeQuery()) {
                        if (!rs.next()) {
                            return 0;
                        }
                        lastId = rs.getLong(1);
                        lastHash = rs.getString(2);
                    }
                }
                int n;
                try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_audit WHERE id <= ?")) {
                    del.setLong(1, lastId);
                    n = del.executeUpdate();
                }
                try (PreparedStatement up = c.prepareStatement(
                        "UPDATE edufed_audit_head SET anchor_id = ?, anchor_hash = ? WHERE id = 1")) {
                    up.setLong(1, lastId);
                    up.setString(2, lastHash);
                    up.executeUpdate();
                }
                LOG.info("Audit retention: dropped {} entries up to {}", n, lastId);
                return n;
            });
        } catch (SQLException | RuntimeException e) {
            LOG.error("audit retention failed: {}", e.getMessage());
            return 0;
        }
    }

    private static PreparedStatement bind(PreparedStatement ps, long value) throws SQLException {
        ps.setLong(1, value);
        return ps;
    }

    private static Entry entry(ResultSet rs) throws SQLException {
        return new Entry(
                rs.getLong(1),
                Instant.ofEpochMilli(rs.getLong(2)),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                rs.getString(7),
                Result.valueOf(rs.getString(8)),
                rs.getString(9),
                rs.getString(10));
    }

    /** SM3 over the previous hash and every field of the entry, separated by U+001F. */
    static String hash(String previous, long id, long at, String... fields) {
        StringBuilder b =
                new StringBuilder(previous).append(SEP).append(id).append(SEP).append(at);
        for (String f : fields) {
            b.append(SEP).append(f == null ? "" : f);
        }
        byte[] data = b.toString().getBytes(StandardCharsets.UTF_8);
        SM3Digest sm3 = new SM3Digest();
        sm3.update(data, 0, data.length);
        byte[] out = new byte[sm3.getDigestSize()];
        sm3.doFinal(out, 0);
        return HexFormat.of().formatHex(out);
    }

    private static String cut(String s, int max) {
        if (s == null) {
            return null;
        }
        String clean = s.replaceAll("[\\p{Cntrl}&&[^\\t]]", " ");
        return clean.length() <= max ? clean : clean.substring(0, max);
    }
}
