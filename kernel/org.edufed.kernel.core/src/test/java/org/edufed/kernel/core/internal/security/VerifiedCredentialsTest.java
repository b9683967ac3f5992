package org.edufed.kernel.core.internal.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class VerifiedCredentialsTest {

    @Test
    void requestsArrivingTogetherShareOneVerification() throws Exception {
        VerifiedCredentials verified = new VerifiedCredentials();
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Optional<Object>>> answers = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                answers.add(pool.submit(() -> verified.once("admin", "pw".toCharArray(), () -> {
                            runs.incrementAndGet();
                            try {
                                release.await(5, TimeUnit.SECONDS); // a slow Argon2
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return Optional.empty();
                        })
                        .map(a -> (Object) a)));
            }
            Thread.sleep(300); // all 16 are waiting on the first one by now
            release.countDown();
            for (Future<Optional<Object>> a : answers) {
                assertTrue(a.get(5, TimeUnit.SECONDS).isEmpty());
            }
            assertEquals(1, runs.get(), "one verification for sixteen concurrent requests");
            // once it is done, a later request with other credentials runs its own
            verified.once("admin", "other".toCharArray(), () -> {
                runs.incrementAndGet();
                return Optional.empty();
            });
            assertEquals(2, runs.get());
        } finally {
            pool.shutdown();
        }
    }
}
