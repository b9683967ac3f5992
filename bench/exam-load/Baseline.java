import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baseline of bench/exam-load.sh: single-row durable inserts (autocommit, Derby's defaults) of a row the size
 * of a registration into embedded Derby 10.14.2.0, from as many threads as the load has connections, for the
 * same time. Prints {@code baseline_rps <rate>}.
 *   java -cp derby.jar Baseline.java <database-dir> <threads> <seconds>
 */
public class Baseline {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        String url = "jdbc:derby:" + dir.toAbsolutePath() + ";create=true";
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE reg (id VARCHAR(36) NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL,"
                    + " id_cipher VARCHAR(200) NOT NULL, phone_cipher VARCHAR(200) NOT NULL,"
                    + " preferences VARCHAR(2000) NOT NULL, created_at TIMESTAMP NOT NULL)");
        }
        String cipher = "k1:" + "A".repeat(80);
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(url);
                        PreparedStatement ps = c.prepareStatement("INSERT INTO reg VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)")) {
                    while (System.nanoTime() < end) {
                        ps.setString(1, UUID.randomUUID().toString());
                        ps.setString(2, "考生甲乙丙");
                        ps.setString(3, cipher);
                        ps.setString(4, cipher);
                        ps.setString(5, "{\"1\":[\"5101040001\",\"5101040002\"],\"2\":[\"5101040002\"]}");
                        ps.executeUpdate();
                        done.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            ts[t].start();
        }
        long start = System.nanoTime();
        for (Thread t : ts) {
            t.join();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("baseline_rps %.1f%n", done.get() / secs);
        try {
            DriverManager.getConnection("jdbc:derby:;shutdown=true");
        } catch (java.sql.SQLException expected) {
            // Derby says so with an exception
        }
    }
}
