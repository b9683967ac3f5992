package org.edufed.kernel.core.internal.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.edufed.kernel.api.HealthCheck;
import org.edufed.kernel.api.HealthService.Report;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.junit.jupiter.api.Test;

class HealthServiceImplTest {

    /** The service with a school's identity in place and the clock given. */
    static HealthServiceImpl health(java.util.function.LongSupplier clock) {
        HealthServiceImpl health = new HealthServiceImpl(clock);
        health.setIdentity((NodeIdentity) Proxy.newProxyInstance(
                NodeIdentity.class.getClassLoader(),
                new Class<?>[] {NodeIdentity.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "level" -> Level.SCHOOL;
                    case "code" -> "2151010001";
                    default -> throw new UnsupportedOperationException(method.getName());
                }));
        return health;
    }

    /** A check that counts its runs and answers what it is told. */
    static final class Counting implements HealthCheck {
        final String name;
        final AtomicInteger runs = new AtomicInteger();
        volatile boolean ok = true;
        volatile CountDownLatch hold;

        Counting(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Result check() {
            runs.incrementAndGet();
            CountDownLatch h = hold;
            if (h != null) {
                try {
                    h.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ok ? Result.ok("fine") : Result.fail("not yet");
        }
    }

    @Test
    void aReportIsGivenAgainForOneSecondThenTheChecksRunAnew() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        HealthServiceImpl health = health(now::get);
        Counting storage = new Counting("storage");
        health.addCheck(storage);

        Report first = health.report();
        assertTrue(first.ready());
        storage.ok = false;
        now.addAndGet(HealthServiceImpl.FRESH_NANOS - 1);
        assertSame(first, health.report(), "within the second: the same report, the check not run again");
        assertEquals(1, storage.runs.get());

        now.addAndGet(1);
        Report second = health.report();
        assertFalse(second.ready(), "a second later the check runs again and its new answer shows");
        assertEquals(2, storage.runs.get());
    }

    @Test
    void aCheckAddedOrRemovedShowsAtOnce() {
        AtomicLong now = new AtomicLong();
        HealthServiceImpl health = health(now::get);
        Counting storage = new Counting("storage");
        health.addCheck(storage);
        assertTrue(health.report().ready());

        Counting plugin = new Counting("plugin");
        plugin.ok = false;
        health.addCheck(plugin);
        Report withPlugin = health.report();
        assertFalse(withPlugin.ready(), "the new check is in the next report, though a second has not passed");
        assertEquals(1, plugin.runs.get());

        health.removeCheck(plugin);
        Report without = health.report();
        assertTrue(without.ready());
        assertEquals(
                List.of("identity", "storage"),
                without.checks().stream().map(c -> c.name()).toList());
        assertEquals(3, storage.runs.get());
    }

    @Test
    void callersThatAskWhileAReportIsMadeShareIt() throws Exception {
        // a clock that stands still: the report made is fresh for every caller, however slow this machine is
        HealthServiceImpl health = health(() -> 0L);
        Counting slow = new Counting("storage");
        slow.hold = new CountDownLatch(1);
        health.addCheck(slow);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Report>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(pool.submit(health::report));
            }
            // every caller is waiting on the one run of the check in progress
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (slow.runs.get() == 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            Thread.sleep(100);
            slow.hold.countDown();
            Report one = answers.get(0).get(10, TimeUnit.SECONDS);
            for (Future<Report> f : answers) {
                assertTrue(f.get(10, TimeUnit.SECONDS).ready());
            }
            assertEquals(1, slow.runs.get(), "eight callers, one run of the check");
            assertTrue(one.ready());
        } finally {
            pool.shutdownNow();
        }
    }
}
