package org.edufed.kernel.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    @Test
    void anAddressIsRefusedAfterTheLimitOthersAreNot() {
        LoginThrottle throttle = new LoginThrottle();
        for (int i = 0; i < LoginThrottle.LIMIT - 1; i++) {
            throttle.failed("10.0.0.1");
        }
        assertEquals(0, throttle.blockedFor("10.0.0.1"), "below the limit");
        throttle.failed("10.0.0.1");
        long wait = throttle.blockedFor("10.0.0.1");
        assertTrue(wait > 0 && wait <= LoginThrottle.WINDOW_MS / 1000, "refused for the rest of the window: " + wait);
        assertEquals(0, throttle.blockedFor("10.0.0.2"), "another address is not");
        assertEquals(0, throttle.blockedFor(null));
    }
}
