import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baseline of bench/exam-load.sh: single-row durable inserts (autocommit) of a row the size of a registration
 * into embedded Derby 10.14.2.0, from as many threads as the load has connections, for the same time; Derby's
 * settings are what the JVM's {@code derby.*} system properties say (exam-load.sh runs it with Derby's defaults,
 * then again with the settings the school's storage gives its own database). Prints {@code baseline_rps <rate>}. Then, for comparison only (not the baseline), the same
 * threads for the same time writing in plain JDBC what a registration writes at a school: two rows of those
 * sizes (the registration, and its outbox row, which names it: the exchange keeps no copy of a record its plugin
 * keeps) in one durable transaction; prints {@code baseline_tx_rps <transactions per second>}.
 *
 * <p>Each rate is measured after a warm-up of the same work on the same threads, not counted (its rate printed to
 * standard error): a fresh JVM runs Derby interpreted at first, and its first 20 s of inserts ran at 0.6–0.7 of the
 * rate of the next 60 s (5,746 then 9,558/s; 8,699 then 11,944/s; exam-load.sh, 2026-12-05), while the node it is
 * compared with has been warmed for minutes.
 *   java -cp derby.jar Baseline.java <database-dir> <threads> <seconds> <warm-up seconds> [single]
 *   (single: the first only)
 */
public class Baseline {

    /** What a thread prepares on its connection once, then runs as many times as it can. */
    interface Work {
        Step prepare(Connection c) throws Exception;
    }

    /** One unit of work. */
    interface Step {
        void run() throws Exception;
    }

    static final AtomicLong OUTBOX_IDS = new AtomicLong();

    static final String CIPHER = "k1:" + "A".repeat(80);
    static final String PREFS = "{\"1\":[\"5101040001\",\"5101040002\"],\"2\":[\"5101040002\"]}";

    public static void main(String[] args) throws Exception {
        String url = "jdbc:derby:" + java.nio.file.Path.of(args[0]).toAbsolutePath() + ";create=true";
        int threads = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        long warmup = Long.parseLong(args[3]);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE reg (id VARCHAR(36) NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL,"
                    + " id_cipher VARCHAR(200) NOT NULL, phone_cipher VARCHAR(200) NOT NULL,"
                    + " preferences VARCHAR(2000) NOT NULL, created_at TIMESTAMP NOT NULL)");
            // outbox ids given by the writer, as the node's exchange does: Derby's identity generator failed this
            // baseline too once ("a lock could not be obtained" in its range reservation)
            s.executeUpdate("CREATE TABLE outbox (id BIGINT NOT NULL PRIMARY KEY,"
                    + " topic VARCHAR(64) NOT NULL, global_id VARCHAR(300) NOT NULL, origin VARCHAR(20) NOT NULL,"
                    + " version BIGINT NOT NULL, deleted BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL)");
        }
        System.out.printf("baseline_rps %.1f%n", rate(url, threads, warmup, seconds, c -> {
            PreparedStatement ps = c.prepareStatement("INSERT INTO reg VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)");
            return () -> {
                bindRegistration(ps, UUID.randomUUID().toString());
                ps.executeUpdate();
            };
        }));
        if (args.length > 4 && args[4].equals("single")) {
            shutdown();
            return;
        }
        System.out.printf("baseline_tx_rps %.1f%n", rate(url, threads, warmup, seconds, c -> {
            c.setAutoCommit(false);
            PreparedStatement reg = c.prepareStatement("INSERT INTO reg VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)");
            PreparedStatement out = c.prepareStatement("INSERT INTO outbox (topic, global_id, origin, version,"
                    + " deleted, created_at, id) VALUES (?, ?, '2151010001', 1, FALSE, CURRENT_TIMESTAMP, ?)");
            return () -> {
                String id = UUID.randomUUID().toString();
                bindRegistration(reg, id);
                reg.executeUpdate();
                out.setString(1, "exam.registrations");
                out.setString(2, "2151010001:" + id);
                out.setLong(3, OUTBOX_IDS.incrementAndGet());
                out.executeUpdate();
                c.commit();
            };
        }));
        shutdown();
    }

    static void shutdown() {
        try {
            DriverManager.getConnection("jdbc:derby:;shutdown=true");
        } catch (java.sql.SQLException expected) {
            // Derby says so with an exception
        }
    }

    static void bindRegistration(PreparedStatement ps, String id) throws Exception {
        ps.setString(1, id);
        ps.setString(2, "考生甲乙丙");
        ps.setString(3, CIPHER);
        ps.setString(4, CIPHER);
        ps.setString(5, PREFS);
    }

    /**
     * Units of work per second from {@code threads} threads, each on its own connection, for {@code seconds}, after
     * {@code warmup} seconds of the same (its rate to standard error).
     */
    static double rate(String url, int threads, long warmup, long seconds, Work work) throws Exception {
        if (warmup > 0) {
            double warm = rate(url, threads, warmup, work);
            System.err.printf("  (warm-up: %.1f a second for %d s, not counted)%n", warm, warmup);
        }
        return rate(url, threads, seconds, work);
    }

    /** Units of work per second from {@code threads} threads, each on its own connection, for {@code seconds}. */
    static double rate(String url, int threads, long seconds, Work work) throws Exception {
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(url)) {
                    Step step = work.prepare(c);
                    while (System.nanoTime() < end) {
                        step.run();
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
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }
}
