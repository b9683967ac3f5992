package org.edufed.kernel.core.internal.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.core.internal.storage.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The hash-chained trail on Derby and PostgreSQL: intact when untouched, and every kind of tampering found. */
class AuditLogImplTest {

    @TempDir
    Path tmp;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    private static void write(AuditLogImpl log, int n) {
        for (int i = 0; i < n; i++) {
            log.record(AuditLog.Event.of("settings.change", "k" + i, AuditLog.Result.SUCCESS, "值 " + i));
        }
    }

    private static void sql(TestDatabases.TestStorage storage, String sql) throws Exception {
        storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.executeUpdate();
            }
            return null;
        });
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void anUntouchedTrailVerifiesAndTheActorIsTheThreadsOne(Dialect dialect) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp)) {
            AuditLogImpl log = new AuditLogImpl("county 510104", storage, 180);
            try (Actor.Scope s = Actor.as("zhang.san", "192.0.2.7")) {
                log.record(AuditLog.Event.of("login", null, AuditLog.Result.SUCCESS, null));
            }
            log.record(AuditLog.Event.of("login", null, AuditLog.Result.FAILURE, "bad\npassword"));
            write(log, 20);
            AuditLog.Verification v = log.verify();
            assertTrue(v.intact(), v.toString());
            assertEquals(22, v.checked());
            List<AuditLog.Entry> logins = log.recent(10, "login");
            assertEquals(2, logins.size());
            assertEquals("system", logins.get(0).actor(), "no actor set: the system");
            assertEquals("bad password", logins.get(0).detail(), "no control characters in the trail");
            assertEquals("zhang.san", logins.get(1).actor());
            assertEquals("192.0.2.7", logins.get(1).address());
            assertEquals("county 510104", logins.get(1).node());
            assertEquals(
                    20,
                    log.countsSince(Instant.now().minusSeconds(60)).stream()
                            .filter(c -> c.action().equals("settings.change"))
                            .findFirst()
                            .orElseThrow()
                            .count());
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void aChangedARemovedAndATruncatedEntryAreFound(Dialect dialect) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp)) {
            AuditLogImpl log = new AuditLogImpl("county 510104", storage, 180);
            write(log, 10);
            sql(storage, "UPDATE edufed_audit SET detail = '值 99' WHERE id = 4");
            AuditLog.Verification changed = log.verify();
            assertFalse(changed.intact());
            assertEquals(4L, changed.firstBroken());
            assertEquals("entry 4 was changed", changed.reason());

            sql(storage, "DELETE FROM edufed_audit WHERE id = 4");
            assertEquals("entry 4 is missing", log.verify().reason());

            try (TestDatabases.TestStorage other = TestDatabases.open(dialect, tmp.resolve("b"))) {
                AuditLogImpl fresh = new AuditLogImpl("county 510104", other, 180);
                write(fresh, 5);
                sql(other, "DELETE FROM edufed_audit WHERE id = 5");
                AuditLog.Verification tail = fresh.verify();
                assertFalse(tail.intact());
                assertEquals("entries after 4 were removed", tail.reason());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void retentionDropsTheOldestAndTheChainStillVerifiesFromItsAnchor(Dialect dialect) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp)) {
            AuditLogImpl log = new AuditLogImpl("county 510104", storage, 180);
            write(log, 5);
            Thread.sleep(5);
            Instant cut = Instant.now();
            Thread.sleep(5);
            write(log, 3);
            assertEquals(5, log.purge(cut));
            AuditLog.Verification v = log.verify();
            assertTrue(v.intact(), v.toString());
            assertEquals(3, v.checked());
            assertEquals(0, log.purge(cut));
        }
    }
}
