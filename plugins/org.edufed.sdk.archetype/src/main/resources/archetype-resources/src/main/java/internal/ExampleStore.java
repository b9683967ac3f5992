package ${package}.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.storage.Storage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The plugin's table, migrated when it starts; a note and its upward record are written in one transaction. */
@Component(service = ExampleStore.class)
public final class ExampleStore {

    private final Storage storage;
    private final Upward upward;

    @Activate
    public ExampleStore(@Reference Storage storage, @Reference Upward upward) throws SQLException {
        this.storage = storage;
        this.upward = upward;
        storage.migrate("${artifactId}", ExampleStore.class.getClassLoader(), "${packageInPathFormat}/db");
    }

    /** Stores a note and queues it for the levels above; returns its id. */
    String add(String text) throws SQLException {
        String id = UUID.randomUUID().toString();
        return storage.inTransaction(c -> {
            try (PreparedStatement ps =
                    c.prepareStatement("INSERT INTO ${domain}_note (note_id, note_text, created_at) VALUES (?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, text);
                ps.setTimestamp(3, Timestamp.from(Instant.now()));
                ps.executeUpdate();
            }
            String json = "{\"text\":" + quote(text) + "}";
            upward.enqueue(c, ExampleTopics.NOTES, id, 1, json, false);
            return id;
        });
    }

    int count() throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM ${domain}_note");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
