package org.edufed.kernel.core.internal.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.edufed.kernel.api.audit.AuditLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A full view of personal data is shown only when it is recorded, and the record never holds the value. */
class FieldKeysRevealTest {

    /** An audit trail that keeps what it is given. */
    static final class Recording implements AuditLog {
        final List<Event> events = new ArrayList<>();

        @Override
        public void record(Event event) {
            events.add(event);
        }

        @Override
        public void record(Connection connection, Event event) {
            events.add(event);
        }

        @Override
        public List<Entry> recent(int limit, String action) {
            return List.of();
        }

        @Override
        public List<Count> countsSince(Instant since) {
            return List.of();
        }

        @Override
        public Verification verify() {
            return new Verification(0, true, null, null);
        }
    }

    @Test
    void revealRecordsTheViewWithoutTheValue(@TempDir Path tmp) throws Exception {
        FieldKeys keys = new FieldKeys(tmp.resolve("keys"));
        String id = "11010519491231002X";
        String stored = keys.encrypt(id);
        // no audit trail: nothing is shown
        assertThrows(IllegalStateException.class, () -> keys.reveal(stored, "student:1", "exam.review"));
        Recording audit = new Recording();
        keys.bindAudit(audit);
        assertEquals(id, keys.reveal(stored, "student:1", "exam.review"));
        assertEquals(1, audit.events.size());
        AuditLog.Event e = audit.events.get(0);
        assertEquals("personal.view", e.action());
        assertEquals("student:1", e.target());
        assertTrue(e.detail().contains("exam.review"));
        assertFalse(e.toString().contains(id), "the value is never in the audit trail");
        // a value that does not decrypt is not recorded as seen
        assertThrows(IllegalArgumentException.class, () -> keys.reveal("sm4g:k1:AAAA", "student:2", "x"));
        assertEquals(1, audit.events.size());
        keys.unbindAudit(audit);
        assertThrows(IllegalStateException.class, () -> keys.reveal(stored, "student:1", "exam.review"));
    }
}
