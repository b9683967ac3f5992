package org.edufed.kernel.core.internal.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.edufed.kernel.api.security.Account;

/**
 * Credentials verified in the last ten minutes, so that an API client sending HTTP Basic on every request costs
 * one Argon2 verification every ten minutes instead of one per request (Argon2 is slow and memory-hard on
 * purpose; on a small school box under load one verification takes most of a second, and every request of that
 * client waits for it). The account itself is read again at every request (locked, expired), and a password
 * change, reset or lock forgets the user at once, so the time bounds memory, not what a user may do.
 * Entries are keyed by an HMAC of user and password under a key made at start and never stored, so the
 * cache holds nothing a heap dump could be brute-forced from offline. Only successes are kept; a password
 * change or reset forgets the user at once. Requests that arrive with the same credentials while they are being
 * verified wait for that one verification ({@link #once}) instead of each running Argon2: a client opening 32
 * connections at once costs one verification, not 32 contending for two cores.
 */
final class VerifiedCredentials {

    static final long TTL_NANOS = 600_000_000_000L;
    static final int MAX_ENTRIES = 10_000;

    private record Entry(Account account, long expires) {}

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Optional<Account>>> inFlight = new ConcurrentHashMap<>();
    private final byte[] key = new byte[32];

    VerifiedCredentials() {
        new SecureRandom().nextBytes(key);
    }

    Account get(String username, char[] password) {
        String k = key(username, password);
        Entry e = entries.get(k);
        if (e == null) {
            return null;
        }
        if (e.expires() - System.nanoTime() < 0) {
            entries.remove(k, e);
            return null;
        }
        return e.account();
    }

    void put(String username, char[] password, Account account) {
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear(); // crude but bounded: a flood of distinct users costs re-verification only
        }
        entries.put(key(username, password), new Entry(account, System.nanoTime() + TTL_NANOS));
    }

    /**
     * The outcome of {@code verification} for these credentials, run once however many requests bring them at
     * the same time: the others wait for it and share its outcome (success or failure).
     */
    Optional<Account> once(String username, char[] password, Supplier<Optional<Account>> verification) {
        String k = key(username, password);
        CompletableFuture<Optional<Account>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<Account>> running = inFlight.putIfAbsent(k, mine);
        if (running != null) {
            return running.join();
        }
        try {
            // verified by another request between this one's look and now: no second verification
            Account done = get(username, password);
            Optional<Account> outcome = done != null ? Optional.of(done) : verification.get();
            mine.complete(outcome);
            return outcome;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(k, mine);
        }
    }

    void forget(String username) {
        entries.values().removeIf(e -> e.account().username().equals(username));
    }

    /** One HMAC instance per thread: looking one up through the JCA for every request cost more than using it. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(() -> {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    private String key(String username, char[] password) {
        Mac mac = macs.get();
        mac.update(username.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 0);
        mac.update(new String(password).getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(mac.doFinal());
    }
}
