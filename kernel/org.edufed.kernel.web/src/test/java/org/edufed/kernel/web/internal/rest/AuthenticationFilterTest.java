package org.edufed.kernel.web.internal.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import javax.ws.rs.Consumes;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.core.MediaType;
import org.apache.cxf.jaxrs.model.ClassResourceInfo;
import org.apache.cxf.jaxrs.model.OperationResourceInfo;
import org.apache.cxf.jaxrs.utils.ResourceUtils;
import org.edufed.kernel.api.web.PublicEndpoint;
import org.junit.jupiter.api.Test;

/** Which operation a request is for, decided before matching from path and method only (media types left out). */
class AuthenticationFilterTest {

    @Path("/health")
    public static class Health {
        @GET
        @PublicEndpoint
        @Produces(MediaType.APPLICATION_JSON)
        public String get() {
            return "";
        }
    }

    @Path("/accounts")
    public static class Accounts {
        @POST
        @Consumes(MediaType.APPLICATION_JSON)
        public void create(String body) {}

        @PUT
        @Path("/{user}/grants")
        @Consumes(MediaType.APPLICATION_JSON)
        public void grants(String body) {}
    }

    @Path("/accounts/import")
    public static class Import {
        @POST
        @Consumes("text/csv")
        public void start(byte[] csv) {}
    }

    @Path("/federation/exchange")
    @PublicEndpoint
    public static class Exchange {
        @POST
        @Path("/up")
        @Consumes(MediaType.APPLICATION_JSON)
        public void up(byte[] body) {}
    }

    static final List<ClassResourceInfo> RESOURCES =
            List.of(Health.class, Accounts.class, Import.class, Exchange.class).stream()
                    .map(c -> ResourceUtils.createClassResourceInfo(c, c, true, true))
                    .toList();

    static Optional<OperationResourceInfo> target(String method, String path) {
        return AuthenticationFilter.target(RESOURCES, path, method);
    }

    @Test
    void anOperationIsFoundWhateverTheMediaTypesAndThePublicOnesAreKnown() {
        OperationResourceInfo create = target("POST", "/accounts").orElseThrow();
        assertEquals("create", create.getMethodToInvoke().getName());
        assertFalse(AuthenticationFilter.isPublic(create));
        assertEquals(
                "grants",
                target("PUT", "/accounts/li.hua/grants")
                        .orElseThrow()
                        .getMethodToInvoke()
                        .getName());
        // the more specific resource wins, as CXF would choose
        assertEquals(
                "start",
                target("POST", "/accounts/import")
                        .orElseThrow()
                        .getMethodToInvoke()
                        .getName());
        assertTrue(AuthenticationFilter.isPublic(target("GET", "/health").orElseThrow()));
        assertTrue(AuthenticationFilter.isPublic(target("HEAD", "/health").orElseThrow()));
        assertTrue(AuthenticationFilter.isPublic(
                target("POST", "/federation/exchange/up").orElseThrow()));
    }

    @Test
    void noOperationForAnUnknownPathOrMethod() {
        assertTrue(target("GET", "/nothing").isEmpty());
        assertTrue(target("DELETE", "/accounts").isEmpty());
        assertTrue(target("POST", "/accounts/li.hua/grants/more").isEmpty());
    }

    @Test
    void theOperationsFoundAreKeptPerMethodAndPathAndForgottenWithTheResources() {
        AuthenticationFilter filter = new AuthenticationFilter(null, null, null);
        OperationResourceInfo create =
                filter.cachedTarget(RESOURCES, "/accounts", "POST").orElseThrow();
        assertSame(create, filter.cachedTarget(RESOURCES, "/accounts", "POST").orElseThrow());
        assertTrue(filter.cachedTarget(RESOURCES, "/accounts", "DELETE").isEmpty());
        assertEquals(
                "grants",
                filter.cachedTarget(RESOURCES, "/accounts/li.hua/grants", "PUT")
                        .orElseThrow()
                        .getMethodToInvoke()
                        .getName());
        // more paths than are kept (ids in them): still the right answers, the map starting again
        for (int i = 0; i <= AuthenticationFilter.TARGETS_KEPT; i++) {
            assertEquals(
                    "grants",
                    filter.cachedTarget(RESOURCES, "/accounts/u" + i + "/grants", "PUT")
                            .orElseThrow()
                            .getMethodToInvoke()
                            .getName());
        }
        assertSame(create, filter.cachedTarget(RESOURCES, "/accounts", "POST").orElseThrow());
        // a path too long to keep is still looked up
        String longUser = "u".repeat(AuthenticationFilter.TARGET_PATH_KEPT);
        assertEquals(
                "grants",
                filter.cachedTarget(RESOURCES, "/accounts/" + longUser + "/grants", "PUT")
                        .orElseThrow()
                        .getMethodToInvoke()
                        .getName());
        // a rebuilt endpoint (another list of resources): looked up in it, not in what was kept
        List<ClassResourceInfo> rebuilt = RESOURCES.subList(0, 1);
        assertTrue(filter.cachedTarget(rebuilt, "/accounts", "POST").isEmpty());
        assertTrue(filter.cachedTarget(rebuilt, "/health", "GET").isPresent());
    }
}
