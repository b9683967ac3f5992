package org.edufed.kernel.core.internal.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.federation.NodeRef;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Grant;
import org.edufed.kernel.api.security.OrgUnit;
import org.edufed.kernel.api.security.Scope;
import org.edufed.kernel.api.storage.Dialect;
import org.edufed.kernel.core.internal.audit.AuditLogImpl;
import org.edufed.kernel.core.internal.org.OrganisationComponent;
import org.edufed.kernel.core.internal.org.TestOrganisations;
import org.edufed.kernel.core.internal.storage.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Roles over organisation units at a county: the county, a department inside it, two schools below it (one
 * with a school of its own reported, as a prefecture's would be), a revoked school left out.
 */
class GrantsTest {

    static final String COUNTY = "510104";
    static final String SCHOOL_A = "2151010001";
    static final String SCHOOL_B = "2151010002";

    @TempDir
    Path tmp;

    static List<Dialect> dialects() {
        return TestDatabases.available();
    }

    /** A federation that only knows its tree. */
    static Federation tree() {
        Federation.TreeNode a = node("school", SCHOOL_A, "甲小学", "active");
        Federation.TreeNode b = node("school", SCHOOL_B, "乙小学", "active");
        Federation.TreeNode gone = node("school", "2151010009", "已撤销学校", "revoked");
        Federation.TreeNode root = new Federation.TreeNode(
                new NodeRef("county", COUNTY, "锦江区"), "active", Instant.now(), "1", List.of(a, b, gone));
        return (Federation) Proxy.newProxyInstance(
                GrantsTest.class.getClassLoader(), new Class<?>[] {Federation.class}, (p, m, args) -> {
                    if (m.getName().equals("tree")) {
                        return root;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    static Federation.TreeNode node(String level, String code, String name, String status) {
        return new Federation.TreeNode(new NodeRef(level, code, name), status, Instant.now(), "1", List.of());
    }

    @ParameterizedTest
    @MethodSource("dialects")
    void grantsReachTheirUnitAndItsSubtreeOnlyAndScopesFilterInTheQuery(Dialect dialect) throws Exception {
        try (TestDatabases.TestStorage storage = TestDatabases.open(dialect, tmp)) {
            AuditLogImpl audit = new AuditLogImpl("county " + COUNTY, storage, 180);
            OrganisationComponent org = TestOrganisations.of(COUNTY, "锦江区教育局", "county", storage, audit, tree());
            PrintStream out = System.out;
            System.setOut(new PrintStream(PrintStream.nullOutputStream()));
            AccountServiceImpl accounts;
            try {
                accounts = new AccountServiceImpl("county " + COUNTY, COUNTY, storage, audit, org);
            } finally {
                System.setOut(out);
            }

            // the tree: the county, a department and a section inside it, the schools below (not the revoked one)
            OrgUnit exams = org.add(null, "exam", "考试科", "department");
            OrgUnit section = org.add(exams.code(), "exam.a", "报名组", "department");
            assertEquals("510104-exam", exams.code());
            assertEquals(
                    List.of(COUNTY, "510104-exam", "510104-exam.a", SCHOOL_A, SCHOOL_B),
                    org.units().stream().map(OrgUnit::code).toList());
            assertEquals(Set.of("510104-exam", "510104-exam.a"), org.subtree(exams.code()));
            assertTrue(org.within(SCHOOL_A, COUNTY));
            assertFalse(org.within(SCHOOL_A, exams.code()));
            assertEquals(
                    "org.badParent",
                    assertThrows(IllegalArgumentException.class, () -> org.add(SCHOOL_A, "g7", "七年级", "grade"))
                            .getMessage());
            assertEquals(
                    "org.exists",
                    assertThrows(IllegalArgumentException.class, () -> org.add(null, "exam", "重复", "department"))
                            .getMessage());
            assertEquals(
                    "org.badUnit",
                    assertThrows(IllegalArgumentException.class, () -> org.add(null, "X Y", "坏", "department"))
                            .getMessage());

            accounts.defineRole(new AccountService.Role("exam-reviewer", "中考审核员", Set.of("exam:review", "node:read")));
            accounts.create("li", "李审核", Set.of());
            accounts.setGrants("li", List.of(new Grant("exam-reviewer", SCHOOL_A, false)));

            // one school: that school only, nothing over the county as a whole
            assertTrue(accounts.isPermitted("li", "exam:review", SCHOOL_A));
            assertFalse(accounts.isPermitted("li", "exam:review", SCHOOL_B));
            assertFalse(accounts.isPermitted("li", "exam:review", COUNTY));
            assertFalse(accounts.isPermitted("li", "exam:review"));
            assertFalse(accounts.isPermitted("li", "exam:approve", SCHOOL_A));
            assertFalse(accounts.isPermitted("li", "exam:review", "2151010009"), "a revoked school is no unit");
            assertEquals(Scope.of(Set.of(SCHOOL_A)), accounts.scope("li", "exam:review"));
            assertEquals(Scope.NONE, accounts.scope("li", "oa:issue"));

            // the department with its subtree
            accounts.setGrants("li", List.of(new Grant("exam-reviewer", exams.code(), true)));
            assertTrue(accounts.isPermitted("li", "exam:review", section.code()));
            assertEquals(Scope.of(Set.of(exams.code(), section.code())), accounts.scope("li", "exam:review"));

            // the county with its subtree is the whole node
            accounts.setGrants("li", List.of(new Grant("exam-reviewer", COUNTY, true)));
            assertTrue(accounts.isPermitted("li", "exam:review"));
            assertEquals(Scope.ALL, accounts.scope("li", "exam:review"));
            // …but the county alone is not its schools
            accounts.setGrants("li", List.of(new Grant("exam-reviewer", COUNTY, false)));
            assertFalse(accounts.isPermitted("li", "exam:review", SCHOOL_A));
            assertEquals(Scope.of(Set.of(COUNTY)), accounts.scope("li", "exam:review"));

            // what was read of accounts and roles is reused between requests, and forgotten at every change: a
            // role losing a permission, and getting it back, counts at once
            assertTrue(accounts.isPermitted("li", "exam:review", COUNTY));
            accounts.defineRole(new AccountService.Role("exam-reviewer", "中考审核员", Set.of("node:read")));
            assertFalse(accounts.isPermitted("li", "exam:review", COUNTY));
            accounts.defineRole(new AccountService.Role("exam-reviewer", "中考审核员", Set.of("exam:review", "node:read")));
            assertTrue(accounts.isPermitted("li", "exam:review", COUNTY));

            // an administrator over the node holds everything everywhere
            assertEquals(Scope.ALL, accounts.scope("admin", "exam:review"));
            assertTrue(accounts.isPermitted("admin", "exam:review", SCHOOL_B));

            // the scope filters rows in the query itself
            try (Connection c = storage.dataSource().getConnection();
                    Statement st = c.createStatement()) {
                st.executeUpdate("CREATE TABLE t_scope (id INT NOT NULL, origin VARCHAR(20) NOT NULL)");
                st.executeUpdate("INSERT INTO t_scope (id, origin) VALUES (1, '" + SCHOOL_A + "'), (2, '" + SCHOOL_B
                        + "'), (3, '" + COUNTY + "')");
            }
            assertEquals(List.of(1), select(storage, Scope.of(Set.of(SCHOOL_A))));
            assertEquals(List.of(1, 2, 3), select(storage, Scope.ALL));
            assertEquals(List.of(), select(storage, Scope.NONE));
            assertThrows(IllegalArgumentException.class, () -> Scope.ALL.where("origin; DROP TABLE t_scope"));

            // refusals: nothing changes
            accounts.setGrants("li", List.of(new Grant("exam-reviewer", SCHOOL_A, false)));
            assertEquals(
                    "org.notFound",
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> accounts.setGrants(
                                            "li", List.of(new Grant("exam-reviewer", "9999999999", false))))
                            .getMessage());
            assertEquals(
                    "account.badRole",
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> accounts.setGrants("li", List.of(new Grant("nope", SCHOOL_A, false))))
                            .getMessage());
            assertEquals(List.of(new Grant("exam-reviewer", SCHOOL_A, false)), accounts.grants("li"));
            accounts.setGrants("li", List.of(new Grant("exam-reviewer", exams.code(), false)));
            assertEquals(
                    "org.inUse",
                    assertThrows(IllegalArgumentException.class, () -> org.remove(exams.code()))
                            .getMessage());
            assertEquals(
                    "role.inUse",
                    assertThrows(IllegalArgumentException.class, () -> accounts.removeRole("exam-reviewer"))
                            .getMessage());
            assertEquals(
                    "role.builtIn",
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> accounts.defineRole(
                                            new AccountService.Role("admin", "x", Set.of("node:read"))))
                            .getMessage());
            assertEquals(
                    "role.bad",
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> accounts.defineRole(new AccountService.Role("r1", "x", Set.of("a b"))))
                            .getMessage());
            accounts.setGrants("li", List.of());
            org.remove(section.code());
            org.remove(exams.code());
            accounts.removeRole("exam-reviewer");
            assertEquals(
                    List.of(COUNTY, SCHOOL_A, SCHOOL_B),
                    org.units().stream().map(OrgUnit::code).toList());
            assertTrue(audit.recent(10, "account.grants").size() >= 4, "grant changes are audited");
        }
    }

    private static List<Integer> select(TestDatabases.TestStorage storage, Scope scope) throws Exception {
        Scope.Condition where = scope.where("origin");
        List<Integer> ids = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT id FROM t_scope WHERE " + where.sql() + " ORDER BY id")) {
            for (int i = 0; i < where.parameters().size(); i++) {
                ps.setString(i + 1, where.parameters().get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getInt(1));
                }
            }
        }
        return ids;
    }
}
