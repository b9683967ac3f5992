package org.edufed.bench.sync;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * One province serving its feed to many children at once. The children are {@link SimulatedChild}ren with
 * distinct county codes inside 51xxxx, each with its own SM2 key, enrolled with its own one-time token. They
 * poll like county nodes: a pull every second when idle, the next page at once while the province says there
 * is more; at most {@code concurrency} requests are in flight (one shared HTTP client).
 *
 * <ol>
 *   <li>untimed: issue the tokens and enroll every child (the time is printed); let every child pull to the
 *       current head; measure the province's CPU while they idle for a few seconds;
 *   <li>timed: publish 1,000 settings at the province ({@code POST /api/v1/settings/batch}), clock started just
 *       before the call; stop it when every child's watermark has reached the feed head read after the call.
 *       Meanwhile the province's CPU time (utime + stime) and peak RSS are taken from /proc.
 * </ol>
 *
 * <p>Usage: {@code FanOut <provinceUrl> <children> <concurrency> <provincePid> <clockTicks>}, the admin password
 * in {@code EDUFED_PROVINCE_PASSWORD}. Prints {@code fanout_*} figures (name and value per line) on standard
 * output.
 */
public final class FanOut {

    /** The bench's real county (bench/sync.sh), which the simulated ones must not collide with. */
    private static final String REAL_COUNTY = "510104";

    private static final long IDLE_PULL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int IDLE_WINDOW_S = 5;
    private static final int PUBLISHED = 1000;
    private static final int ENROLL_THREADS = 8;
    private static final long TIMEOUT_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final Rest province;
    private final List<SimulatedChild> children;
    private final Proc proc;
    /** This load client: it shares the cores with the province. */
    private final Proc self;
    private final int cores = Runtime.getRuntime().availableProcessors();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final DelayQueue<Due> due = new DelayQueue<>();
    private final LongAdder pulls = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    private volatile boolean polling = true;

    /** A child's next pull. */
    private record Due(SimulatedChild child, long atNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(atNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(atNanos, ((Due) other).atNanos);
        }
    }

    private FanOut(Rest province, List<SimulatedChild> children, Proc proc, Proc self) {
        this.province = province;
        this.children = children;
        this.proc = proc;
        this.self = self;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: FanOut <provinceUrl> <children> <concurrency> <provincePid> <clockTicks>");
            System.exit(2);
        }
        Rest province = Rest.admin(args[0], "EDUFED_PROVINCE_PASSWORD");
        int n = Integer.parseInt(args[1]);
        int concurrency = Integer.parseInt(args[2]);
        int clockTicks = Integer.parseInt(args[4]);
        Proc proc = new Proc(Long.parseLong(args[3]), clockTicks);
        Proc self = new Proc(ProcessHandle.current().pid(), clockTicks);

        long t0 = System.nanoTime();
        List<SimulatedChild> children = new ArrayList<>();
        for (String code : codes(n)) {
            children.add(new SimulatedChild(code));
        }
        FanOut fanOut = new FanOut(province, children, proc, self);
        fanOut.enrollAll();
        System.err.printf("  fan-out: %,d key pairs made and children enrolled in %.1f s%n", n, Batches.seconds(t0));

        ExecutorService pollers = Executors.newFixedThreadPool(concurrency);
        for (int i = 0; i < concurrency; i++) {
            pollers.execute(fanOut::poll);
        }
        try {
            fanOut.catchUpAndIdle();
            fanOut.publishAndAwait();
        } finally {
            fanOut.polling = false;
            pollers.shutdownNow();
            pollers.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    /** Untimed: every child pulls to the feed's head; then the province's CPU while they only poll. */
    private void catchUpAndIdle() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        long head = province.feedHead();
        awaitConverged(head, t0);
        System.err.printf(
                "  fan-out: every child pulled the feed from 0 to its head (%d) in %.1f s%n", head, Batches.seconds(t0));
        long pulls0 = pulls.sum();
        double cpu0 = proc.cpuSeconds();
        Thread.sleep(IDLE_WINDOW_S * 1000L);
        double idlePct = percentOfCores(proc.cpuSeconds() - cpu0, IDLE_WINDOW_S);
        System.err.printf(
                "  fan-out: %,d children polling idle (meant: 1/s each): %,.0f pulls/s, province CPU %.0f %% of %d"
                        + " cores%n",
                children.size(), (pulls.sum() - pulls0) / (double) IDLE_WINDOW_S, idlePct, cores);
        System.out.printf("fanout_idle_cpu_pct %.1f%n", idlePct);
    }

    /** Timed: 1,000 settings published at the province, until every child has them; CPU and peak RSS meanwhile. */
    private void publishAndAwait() throws IOException, InterruptedException {
        List<byte[]> change = Batches.settings("bench.fanout.", PUBLISHED);
        AtomicLong peakRssKb = new AtomicLong(proc.rssKb());
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(
                () -> {
                    try {
                        peakRssKb.accumulateAndGet(proc.rssKb(), Math::max);
                    } catch (IOException e) {
                        // the province has exited: the children's pulls fail and the wait says so
                    }
                },
                0,
                100,
                TimeUnit.MILLISECONDS);
        long pulls0 = pulls.sum();
        double cpu0 = proc.cpuSeconds();
        double clientCpu0 = self.cpuSeconds();
        long t0 = System.nanoTime();
        double[] at;
        long head;
        try {
            Batches.post(province, Batches.SETTINGS, change, 200);
            head = province.feedHead();
            at = awaitConverged(head, t0);
        } finally {
            sampler.shutdownNow();
        }
        double seconds = Batches.seconds(t0);
        double cpu = proc.cpuSeconds() - cpu0;
        double clientCpu = self.cpuSeconds() - clientCpu0;
        double rssMb = peakRssKb.get() / 1024.0;
        Arrays.sort(at);
        System.err.printf(
                "  fan-out: %,d settings published, every child at the head (%d) %.2f s from the call (half of"
                        + " them after %.2f s); %,d pulls; province CPU %.1f s = %.0f %% of %d cores, peak RSS %.0f MB;"
                        + " this client's CPU %.1f s%n",
                PUBLISHED,
                head,
                seconds,
                at[at.length / 2],
                pulls.sum() - pulls0,
                cpu,
                percentOfCores(cpu, seconds),
                cores,
                rssMb,
                clientCpu);
        if (failures.sum() > 0) {
            System.err.printf("  fan-out: %,d pulls failed, the first: %s%n", failures.sum(), firstFailure.get());
        }
        System.out.printf(
                "fanout_s %.2f%nfanout_cpu_s %.2f%nfanout_cpu_pct %.1f%nfanout_rss_mb %.0f%n",
                seconds, cpu, percentOfCores(cpu, seconds), rssMb);
    }

    private double percentOfCores(double cpuSeconds, double wallSeconds) {
        return 100 * cpuSeconds / (wallSeconds * cores);
    }

    /** n distinct county codes 51AABB (AA, BB 01–99), none ending in 00, none the real county's. */
    static List<String> codes(int n) {
        List<String> out = new ArrayList<>();
        for (int a = 1; a <= 99 && out.size() < n; a++) {
            for (int b = 1; b <= 99 && out.size() < n; b++) {
                String code = String.format("51%02d%02d", a, b);
                if (!code.equals(REAL_COUNTY)) {
                    out.add(code);
                }
            }
        }
        if (out.size() < n) {
            throw new IllegalArgumentException("at most " + out.size() + " simulated children");
        }
        return out;
    }

    /** A token from the admin API for each child, then its signed enrollment; a few at a time. */
    private void enrollAll() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(ENROLL_THREADS);
        try {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (SimulatedChild child : children) {
                tasks.add(() -> {
                    byte[] request = "{\"validityMinutes\":60}".getBytes(StandardCharsets.UTF_8);
                    String token = province.call("POST", "/api/v1/federation/tokens", request, 201)
                            .path("token")
                            .asText();
                    child.enroll(http, province.base(), token);
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(tasks)) {
                f.get(); // the first failure, if any, ends the bench
            }
        } finally {
            pool.shutdownNow();
        }
        // the children start polling spread over one interval, as nodes started at different times do
        for (SimulatedChild child : children) {
            long offset = ThreadLocalRandom.current().nextLong(IDLE_PULL_NANOS);
            due.add(new Due(child, System.nanoTime() + offset));
        }
    }

    /** One poller: takes the next child whose pull is due, pulls one page, and schedules its next pull. */
    private void poll() {
        while (polling) {
            Due d;
            try {
                d = due.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (d == null) {
                continue;
            }
            long pause = IDLE_PULL_NANOS;
            try {
                if (d.child().pull(http, province.base())) {
                    pause = 0;
                }
                pulls.increment();
            } catch (InterruptedException e) {
                return;
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                failures.increment();
                firstFailure.compareAndSet(null, d.child().code() + ": " + e);
            }
            due.add(new Due(d.child(), System.nanoTime() + pause));
        }
    }

    /**
     * Waits until every child has pulled and its watermark is at least {@code head}; returns, per child, the
     * seconds from {@code sinceNanos} until it was seen there (checked every 10 ms).
     */
    private double[] awaitConverged(long head, long sinceNanos) throws IOException, InterruptedException {
        double[] at = new double[children.size()];
        Arrays.fill(at, -1);
        int converged = 0;
        while (converged < at.length) {
            if (System.nanoTime() - sinceNanos > TIMEOUT_NANOS) {
                throw new IOException(converged + " of " + at.length + " children reached the feed head " + head
                        + " in " + TimeUnit.NANOSECONDS.toSeconds(TIMEOUT_NANOS) + " s; failed pulls: "
                        + failures.sum() + ", the first: " + firstFailure.get());
            }
            Thread.sleep(10);
            for (int i = 0; i < at.length; i++) {
                if (at[i] < 0 && children.get(i).reached(head)) {
                    at[i] = Batches.seconds(sinceNanos);
                    converged++;
                }
            }
        }
        return at;
    }
}
