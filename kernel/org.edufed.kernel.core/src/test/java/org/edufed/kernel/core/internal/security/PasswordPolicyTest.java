package org.edufed.kernel.core.internal.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.edufed.kernel.api.federation.EffectiveSetting;
import org.edufed.kernel.api.federation.Settings;
import org.edufed.kernel.api.security.AccountService.PasswordPolicyException;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.core.internal.audit.AuditLogImpl;
import org.edufed.kernel.core.internal.org.TestOrganisations;
import org.edufed.kernel.core.internal.storage.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordPolicyTest {

    @TempDir
    Path tmp;

    static PasswordPolicy of(Map<String, String> settings) {
        return PasswordPolicy.from(k -> Optional.ofNullable(settings.get(k)));
    }

    @Test
    void settingsSetThePolicyAndValuesOutOfRangeFallBack() {
        assertEquals(PasswordPolicy.DEFAULT, of(Map.of()));
        PasswordPolicy strict = of(Map.of(
                PasswordPolicy.MIN_LENGTH, "14",
                PasswordPolicy.CLASSES, "4",
                PasswordPolicy.HISTORY, "3",
                PasswordPolicy.MAX_AGE_DAYS, "90"));
        assertEquals(new PasswordPolicy(14, 4, 3, 90), strict);
        assertEquals(PasswordPolicy.DEFAULT, of(Map.of(PasswordPolicy.MIN_LENGTH, "4", PasswordPolicy.HISTORY, "x")));

        PasswordPolicyException e =
                assertThrows(PasswordPolicyException.class, () -> strict.check("li", "Short-1a".toCharArray()));
        assertEquals("password.tooShort", e.getMessage());
        assertArrayEquals(new Object[] {14}, e.args());
        assertEquals(
                "password.tooSimple",
                assertThrows(PasswordPolicyException.class, () -> strict.check("li", "Longenough2024abc".toCharArray()))
                        .getMessage());
        assertThrows(PasswordPolicyException.class, () -> strict.check("li", "abcdefghijklmnop".toCharArray()));
        for (int i = 0; i < 50; i++) {
            char[] generated = strict.generate();
            assertTrue(generated.length >= 16);
            assertDoesNotThrow(strict, generated);
        }
    }

    private static void assertDoesNotThrow(PasswordPolicy p, char[] password) {
        try {
            p.check("admin", password);
        } catch (PasswordPolicyException e) {
            throw new AssertionError(new String(password) + ": " + e.getMessage());
        }
    }

    @Test
    void earlierPasswordsAreRefusedAndAnOldPasswordMustBeChanged() throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(Dialect.DERBY, tmp)) {
            AuditLogImpl audit = new AuditLogImpl("school 2151010001", storage, 180);
            PrintStream out = System.out;
            System.setOut(new PrintStream(PrintStream.nullOutputStream()));
            AccountServiceImpl accounts;
            try {
                accounts = new AccountServiceImpl(
                        "school 2151010001",
                        "2151010001",
                        storage,
                        audit,
                        TestOrganisations.of("2151010001", "演示小学", "school", storage, audit));
            } finally {
                System.setOut(out);
            }
            String first = accounts.create("wang", "王老师", Set.of("viewer"));
            accounts.changePassword("wang", first.toCharArray(), "Spring-2027a".toCharArray());
            accounts.changePassword("wang", "Spring-2027a".toCharArray(), "Summer-2027b".toCharArray());
            accounts.changePassword("wang", "Summer-2027b".toCharArray(), "Autumn-2027c".toCharArray());
            PasswordPolicyException reused = assertThrows(
                    PasswordPolicyException.class,
                    () -> accounts.changePassword("wang", "Autumn-2027c".toCharArray(), "Spring-2027a".toCharArray()));
            assertEquals("password.reused", reused.getMessage());
            assertTrue(
                    accounts.authenticate("wang", "Autumn-2027c".toCharArray()).isPresent(), "nothing changed");
            assertTrue(!accounts.find("wang").orElseThrow().mustChangePassword());

            // a password older than the default policy's limit (none) stays; the limit is a setting
            try (Connection c = storage.dataSource().getConnection();
                    PreparedStatement ps = c.prepareStatement(
                            "UPDATE edufed_account SET password_changed_at = ? WHERE username = ?")) {
                ps.setTimestamp(1, Timestamp.from(Instant.now().minus(400, ChronoUnit.DAYS)));
                ps.setString(2, "wang");
                ps.executeUpdate();
            }
            accounts.forgetReads(); // changed in the database behind the service's back (else seen within 2 s)
            assertTrue(!accounts.find("wang").orElseThrow().mustChangePassword());
            accounts.settings((Settings) Proxy.newProxyInstance(
                    getClass().getClassLoader(), new Class<?>[] {Settings.class}, (proxy, m, args) -> {
                        if (m.getName().equals("effective") && args != null && args.length == 1) {
                            return PasswordPolicy.MAX_AGE_DAYS.equals(args[0])
                                    ? Optional.of(new EffectiveSetting((String) args[0], "90", null, 1))
                                    : Optional.empty();
                        }
                        throw new UnsupportedOperationException(m.getName());
                    }));
            assertTrue(accounts.find("wang").orElseThrow().mustChangePassword(), "older than 90 days");
            assertTrue(accounts.authenticate("wang", "Autumn-2027c".toCharArray())
                    .orElseThrow()
                    .mustChangePassword());
            accounts.changePassword("wang", "Autumn-2027c".toCharArray(), "Winter-2028d".toCharArray());
            assertTrue(!accounts.find("wang").orElseThrow().mustChangePassword());
        }
    }
}
