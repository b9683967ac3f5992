package org.edufed.kernel.core.internal.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.AccountService.PasswordPolicyException;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.core.internal.storage.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AccountServiceImplTest {

    static final String SCHOOL = "2151010001";

    @TempDir
    Path tmp;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    /** Starts the service and returns the one-time password it printed. */
    private static String start(TestDatabases.TestStorage storage, AccountServiceImpl[] out) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            var audit = new org.edufed.kernel.core.internal.audit.AuditLogImpl("school 2151010001", storage, 180);
            out[0] = new AccountServiceImpl(
                    "school 2151010001",
                    SCHOOL,
                    storage,
                    audit,
                    org.edufed.kernel.core.internal.org.TestOrganisations.of(SCHOOL, "演示小学", "school", storage, audit));
        } finally {
            System.setOut(original);
        }
        Matcher m = Pattern.compile("admin / (\\S+)").matcher(captured.toString(StandardCharsets.UTF_8));
        return m.find() ? m.group(1) : null;
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void firstStartCreatesAdminOnceWithAOneTimePassword(Dialect dialect) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp)) {
            AccountServiceImpl[] svc = new AccountServiceImpl[1];
            String password = start(storage, svc);
            assertTrue(password != null && password.length() == 16, "printed a 16-character password");

            Account admin = svc[0].authenticate("admin", password.toCharArray()).orElseThrow();
            assertTrue(admin.mustChangePassword());
            assertTrue(admin.roles().contains("admin"));
            assertTrue(svc[0].isPermitted("admin", "node:read"));
            assertTrue(svc[0].authenticate("admin", "wrong-password1".toCharArray())
                    .isEmpty());
            assertTrue(svc[0].authenticate("nobody", password.toCharArray()).isEmpty());

            // a restart prints nothing and keeps the password
            AccountServiceImpl[] again = new AccountServiceImpl[1];
            assertEquals(null, start(storage, again));
            assertTrue(again[0].authenticate("admin", password.toCharArray()).isPresent());

            // the forced change, with the policy
            PasswordPolicyException tooShort = assertThrows(
                    PasswordPolicyException.class,
                    () -> again[0].changePassword("admin", password.toCharArray(), "short1".toCharArray()));
            assertEquals("password.tooShort", tooShort.getMessage());
            assertEquals(
                    "password.wrongCurrent",
                    assertThrows(
                                    PasswordPolicyException.class,
                                    () -> again[0].changePassword(
                                            "admin", "not-it-123".toCharArray(), "Good-pass-2024".toCharArray()))
                            .getMessage());
            assertEquals(
                    "password.tooSimple",
                    assertThrows(
                                    PasswordPolicyException.class,
                                    () -> again[0].changePassword(
                                            "admin", password.toCharArray(), "onlyletterspassword".toCharArray()))
                            .getMessage());
            again[0].changePassword("admin", password.toCharArray(), "Good-pass-2024".toCharArray());
            assertTrue(again[0].authenticate("admin", password.toCharArray()).isEmpty());
            Account changed = again[0].authenticate("admin", "Good-pass-2024".toCharArray())
                    .orElseThrow();
            assertFalse(changed.mustChangePassword());

            // operator reset: a new one-time password
            String reset = again[0].resetPassword(AccountService.ADMIN);
            assertNotEquals(password, reset);
            assertTrue(again[0].authenticate("admin", reset.toCharArray())
                    .orElseThrow()
                    .mustChangePassword());
        }
    }

    @Test
    void repeatedFailuresBackOff() throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(Dialect.DERBY, tmp)) {
            AccountServiceImpl[] svc = new AccountServiceImpl[1];
            String password = start(storage, svc);
            for (int i = 0; i < AccountServiceImpl.FREE_FAILURES; i++) {
                assertTrue(svc[0].authenticate("admin", "wrong-password1".toCharArray())
                        .isEmpty());
            }
            // even the right password is refused during the back-off
            assertTrue(svc[0].authenticate("admin", password.toCharArray()).isEmpty());
        }
    }

    @Test
    void backoffGrowsAndIsCapped() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        assertEquals(Instant.MIN, AccountServiceImpl.backoffUntil(4, t));
        assertEquals(t.plusSeconds(2), AccountServiceImpl.backoffUntil(5, t));
        assertEquals(t.plusSeconds(4), AccountServiceImpl.backoffUntil(6, t));
        assertEquals(t.plus(AccountServiceImpl.MAX_BACKOFF), AccountServiceImpl.backoffUntil(50, t));
    }

    @Test
    void hashesAreArgon2idAndSalted() {
        String a = PasswordHashing.hash("same-password-1".toCharArray());
        String b = PasswordHashing.hash("same-password-1".toCharArray());
        assertTrue(a.contains("argon2id"), a);
        assertTrue(a.contains("m=19456") && a.contains("t=2") && a.contains("p=1"), "OWASP minimum parameters: " + a);
        assertNotEquals(a, b);
        assertTrue(PasswordHashing.matches(a, "same-password-1".toCharArray()));
        assertFalse(PasswordHashing.matches(a, "same-password-2".toCharArray()));
        assertFalse(PasswordHashing.matches("garbage", "x".toCharArray()));
    }
}
