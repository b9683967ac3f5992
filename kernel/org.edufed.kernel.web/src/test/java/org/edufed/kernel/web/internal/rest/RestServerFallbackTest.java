package org.edufed.kernel.web.internal.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Locale;
import javax.ws.rs.core.HttpHeaders;
import org.junit.jupiter.api.Test;

/**
 * The fallback endpoint at {@code /api}: a request under {@code /v1} reaches it only while no {@code /v1} endpoint
 * is registered (before the first publication, or while it is swapped for a rebuilt one), so it is told to retry,
 * never that the resource does not exist; anything else is not found.
 */
class RestServerFallbackTest {

    private static final HttpHeaders HEADERS = (HttpHeaders) Proxy.newProxyInstance(
            RestServerFallbackTest.class.getClassLoader(),
            new Class<?>[] {HttpHeaders.class},
            (p, m, a) -> m.getName().equals("getAcceptableLanguages") ? List.of(Locale.SIMPLIFIED_CHINESE) : null);

    @Test
    void underTheApiVersionItIsUnavailableNotMissing() {
        RestServer.NotFound idle = new RestServer.NotFound(() -> false);
        assertEquals(
                503,
                idle.notFound(HEADERS, "v1/inherited/hello.settings/greeting").status());
        assertEquals(503, idle.notFound(HEADERS, "v1").status());
        assertEquals(404, idle.notFound(HEADERS, "v2/inherited").status());
        assertEquals(404, idle.notFound(HEADERS, "v10/x").status());
        assertEquals(404, idle.notFound(HEADERS, "secret").status());
        // a path that walked out of /v1 was not routed there: not found, as any hostile path
        assertEquals(
                404,
                idle.notFound(HEADERS, "v1/accounts/import/../../../etc/passwd").status());
        assertEquals(
                503,
                idle.notFound(HEADERS, "v1/./accounts/../federation/status").status());
        assertEquals(404, idle.notFound(HEADERS, "v1/..").status());
        RestServer.NotFound swapping = new RestServer.NotFound(() -> true);
        assertEquals(503, swapping.notFound(HEADERS, "v2/inherited").status());
    }
}
