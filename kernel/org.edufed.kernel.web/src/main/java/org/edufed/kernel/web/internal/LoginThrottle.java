package org.edufed.kernel.web.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Component;

/**
 * Failed logins per client address, for the console and the API together: after {@link #LIMIT} failures
 * within {@link #WINDOW_MS} ms, an address is refused (HTTP 429) until the window ends, without a password
 * being checked. This stops guessing across many accounts from one place, which the per-account back-off does
 * not, and keeps Argon2 from being used to load the node.
 */
@Component(service = LoginThrottle.class)
public final class LoginThrottle {

    public static final int LIMIT = 30;
    public static final long WINDOW_MS = 60_000;
    static final int MAX_ADDRESSES = 100_000;

    private record Window(long start, int failures) {}

    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    /** Seconds until the address may try again; 0 when it may now. */
    public long blockedFor(String address) {
        Window w = windows.get(key(address));
        long now = System.currentTimeMillis();
        if (w == null || now - w.start() >= WINDOW_MS || w.failures() < LIMIT) {
            return 0;
        }
        return Math.max(1, (w.start() + WINDOW_MS - now + 999) / 1000);
    }

    public void failed(String address) {
        if (windows.size() >= MAX_ADDRESSES) {
            windows.clear(); // bounded: a flood of addresses only resets the counts
        }
        long now = System.currentTimeMillis();
        windows.compute(
                key(address),
                (k, w) -> w == null || now - w.start() >= WINDOW_MS
                        ? new Window(now, 1)
                        : new Window(w.start(), w.failures() + 1));
    }

    private static String key(String address) {
        return address == null ? "?" : address;
    }
}
