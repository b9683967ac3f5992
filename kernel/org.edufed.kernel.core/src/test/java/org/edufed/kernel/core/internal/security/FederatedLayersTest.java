package org.edufed.kernel.core.internal.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import org.edufed.kernel.api.security.Account;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Grant;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.core.internal.audit.AuditLogImpl;
import org.edufed.kernel.core.internal.org.OrganisationComponent;
import org.edufed.kernel.core.internal.org.TestOrganisations;
import org.edufed.kernel.core.internal.storage.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A federated account at a county holds two layers of roles and grants: those its identity provider released
 * (replaced at each sign-on) and those the county's administrator gave it here (kept across sign-ons).
 */
class FederatedLayersTest {

    static final String COUNTY = GrantsTest.COUNTY;
    static final String USER = "wang@510000";

    @TempDir
    Path tmp;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void rolesGivenHereSurviveTheNextSignOnWhileReleasedOnesAreRefreshed(Dialect dialect) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp)) {
            AuditLogImpl audit = new AuditLogImpl("county " + COUNTY, storage, 180);
            OrganisationComponent org =
                    TestOrganisations.of(COUNTY, "锦江区教育局", "county", storage, audit, GrantsTest.tree());
            AccountServiceImpl accounts =
                    quietly(() -> new AccountServiceImpl("county " + COUNTY, COUNTY, storage, audit, org));
            accounts.defineRole(new AccountService.Role("exam-reviewer", "中考审核员", Set.of("exam:review")));
            accounts.defineRole(new AccountService.Role("oa-clerk", "收文员", Set.of("oa:receive")));

            // first sign-on: the IdP releases viewer over the node and exam-reviewer over school A
            Account first = accounts.federatedLogin(
                    USER, "王老师", Set.of("viewer"), List.of(new Grant("exam-reviewer", GrantsTest.SCHOOL_A, false)));
            assertEquals(Set.of("viewer"), first.roles());
            assertTrue(accounts.isPermitted(USER, "exam:review", GrantsTest.SCHOOL_A));

            // the county's administrator gives it a role and a grant here
            accounts.setRoles(USER, Set.of("oa-clerk"));
            accounts.setGrants(USER, List.of(new Grant("exam-reviewer", GrantsTest.SCHOOL_B, false)));
            assertEquals(
                    Set.of("oa-clerk", "viewer"),
                    accounts.find(USER).orElseThrow().roles());
            assertEquals(
                    List.of(
                            new Grant("exam-reviewer", GrantsTest.SCHOOL_A, false),
                            new Grant("exam-reviewer", GrantsTest.SCHOOL_B, false)),
                    accounts.grants(USER));

            // next sign-on: the IdP now releases nothing over the node and another school: the released layer is
            // replaced, the layer given here stays
            Account second = accounts.federatedLogin(USER, "王老师", Set.of(), List.of());
            assertEquals(Set.of("oa-clerk"), second.roles());
            assertTrue(accounts.isPermitted(USER, "oa:receive"));
            assertFalse(accounts.isPermitted(USER, "node:read"), "viewer was released once, not any more");
            assertFalse(accounts.isPermitted(USER, "exam:review", GrantsTest.SCHOOL_A));
            assertTrue(accounts.isPermitted(USER, "exam:review", GrantsTest.SCHOOL_B));
            assertEquals(
                    new AccountService.Layers(
                            Set.of("oa-clerk"),
                            List.of(new Grant("exam-reviewer", GrantsTest.SCHOOL_B, false)),
                            Set.of(),
                            List.of()),
                    accounts.layers(USER));

            // a role both released and given here: removing it here leaves the released one
            accounts.federatedLogin(USER, "王老师", Set.of("oa-clerk", "no-such-role"), List.of());
            accounts.setRoles(USER, Set.of());
            assertEquals(Set.of("oa-clerk"), accounts.find(USER).orElseThrow().roles());
            AccountService.Layers layers = accounts.layers(USER);
            assertEquals(Set.of(), layers.roles());
            assertEquals(Set.of("oa-clerk"), layers.releasedRoles(), "a role unknown here is dropped");

            // a role held through either layer is in use
            assertEquals(
                    "role.inUse",
                    assertThrows(IllegalArgumentException.class, () -> accounts.removeRole("oa-clerk"))
                            .getMessage());
            assertEquals(
                    "account.notFound",
                    assertThrows(IllegalArgumentException.class, () -> accounts.layers("nobody@510000"))
                            .getMessage());
            assertTrue(audit.recent(10, "account.roles").size() >= 2, "changes given here are audited");
            assertTrue(audit.recent(10, "account.grants").size() >= 1);
            // the released layer changed at each of the three sign-ons: audited each time, not when unchanged
            assertEquals(3, audit.recent(10, "account.released").size());
            accounts.federatedLogin(USER, "王老师", Set.of("oa-clerk"), List.of());
            assertEquals(3, audit.recent(10, "account.released").size());
        }
    }

    /** Before the two layers a federated account's roles were in the one table: they become released ones. */
    @ParameterizedTest
    @MethodSource("dialects")
    void theMigrationMovesAFederatedAccountsRolesToTheReleasedLayer(Dialect dialect) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp)) {
            AuditLogImpl audit = new AuditLogImpl("county " + COUNTY, storage, 180);
            OrganisationComponent org =
                    TestOrganisations.of(COUNTY, "锦江区教育局", "county", storage, audit, GrantsTest.tree());
            AccountServiceImpl accounts =
                    quietly(() -> new AccountServiceImpl("county " + COUNTY, COUNTY, storage, audit, org));
            accounts.federatedLogin(USER, "王老师", Set.of(), List.of());
            try (Connection c = storage.dataSource().getConnection();
                    Statement st = c.createStatement()) {
                st.executeUpdate(
                        "INSERT INTO edufed_account_role (username, role_name) VALUES ('" + USER + "', 'viewer')");
                st.executeUpdate("DELETE FROM edufed_grant_idp");
                st.executeUpdate("DELETE FROM edufed_account_role_idp");
            }
            String v5 = new String(
                    AccountServiceImpl.class
                            .getClassLoader()
                            .getResourceAsStream("org/edufed/kernel/core/db/V5.sql")
                            .readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8);
            try (Connection c = storage.dataSource().getConnection();
                    Statement st = c.createStatement()) {
                String script =
                        v5.lines().filter(l -> !l.startsWith("--")).collect(java.util.stream.Collectors.joining("\n"));
                for (String sql : script.split(";")) {
                    if (sql.strip().startsWith("INSERT") || sql.strip().startsWith("DELETE")) {
                        st.executeUpdate(sql.strip());
                    }
                }
            }
            AccountService.Layers layers = accounts.layers(USER);
            assertEquals(Set.of(), layers.roles());
            assertEquals(Set.of("viewer"), layers.releasedRoles());
            assertEquals(Set.of("admin"), accounts.layers("admin").roles(), "local accounts keep theirs");
        }
    }

    interface Creation<T> {
        T create() throws Exception;
    }

    static <T> T quietly(Creation<T> creation) throws Exception {
        PrintStream out = System.out;
        System.setOut(new PrintStream(PrintStream.nullOutputStream()));
        try {
            return creation.create();
        } finally {
            System.setOut(out);
        }
    }
}
