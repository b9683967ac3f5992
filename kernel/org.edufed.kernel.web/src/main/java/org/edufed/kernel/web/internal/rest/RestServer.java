package org.edufed.kernel.web.internal.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.EnumFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.jaxrs.json.JacksonJsonProvider;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.Response;
import org.apache.cxf.Bus;
import org.apache.cxf.BusFactory;
import org.apache.cxf.endpoint.Server;
import org.apache.cxf.jaxrs.JAXRSServerFactoryBean;
import org.apache.cxf.jaxrs.openapi.OpenApiFeature;
import org.apache.cxf.jaxrs.swagger.ui.SwaggerUiConfig;
import org.edufed.kernel.api.HealthCheck;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.plugin.PluginGuard;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RestResource;
import org.edufed.kernel.web.internal.LoginThrottle;
import org.edufed.kernel.web.internal.Messages;
import org.edufed.kernel.web.internal.PluginContributions;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small JAX-RS whiteboard on CXF: every {@link RestResource} service, from the kernel or a plugin, is
 * published under {@code /api/v1} (the CXF servlet sits at {@code /api}), with JSON, problem bodies,
 * authentication and permission checks, the OpenAPI document at {@code /api/v1/openapi.json} and Swagger UI
 * at {@code /api/v1/api-docs}. When resources come or go, the endpoint is rebuilt. Its first in-interceptor is
 * the {@link DirectLane}, which serves the common case of a {@code DirectOperation}'s {@code POST} ahead of the
 * JAX-RS work and hands everything else on.
 */
@Component(
        immediate = true,
        service = {})
public final class RestServer implements HealthCheck {

    private static final Logger LOG = LoggerFactory.getLogger(RestServer.class);
    static final String ADDRESS = "/v1";

    private final Set<RestResource> resources = new CopyOnWriteArraySet<>();
    private final AccountService accounts;
    private final AuditLog audit;
    private final NodeIdentity identity;
    private final java.util.concurrent.ScheduledExecutorService rebuilder =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "edufed-rest-rebuild");
                t.setDaemon(true);
                return t;
            });
    private java.util.concurrent.ScheduledFuture<?> pending;
    private Server server;
    private Server fallback;
    private boolean active;
    private org.osgi.framework.ServiceRegistration<HealthCheck> registration;

    private final LoginThrottle throttle;
    private final PluginGuard guard;
    private final DirectLane lane;

    @Activate
    public RestServer(
            @Reference AccountService accounts,
            @Reference NodeIdentity identity,
            @Reference AuditLog audit,
            @Reference LoginThrottle throttle,
            @Reference PluginGuard guard,
            @Reference DirectLane lane) {
        this.guard = guard;
        this.lane = lane;
        this.throttle = throttle;
        this.accounts = accounts;
        this.identity = identity;
        this.audit = audit;
    }

    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addResource(org.osgi.framework.ServiceReference<RestResource> ref, RestResource resource) {
        String what = resource.getClass().getName();
        if (!PluginContributions.admitted(
                guard, ref, what, PluginContributions.permissionsOf(resource.getClass()), LOG)) {
            return;
        }
        resources.add(resource);
        LOG.debug("REST resource added: {}", resource.getClass().getName());
        rebuildIfActive();
    }

    void removeResource(RestResource resource) {
        if (resources.remove(resource)) { // a refused one was never added
            LOG.info("REST resource removed: {}", resource.getClass().getName());
            rebuildIfActive();
        }
    }

    @Activate
    synchronized void activate(org.osgi.framework.BundleContext context) {
        active = true;
        rebuildIfActive(); // at boot resources keep arriving: publish once they have
        // registered by hand, not as a DS service: HealthService → this → HealthResource → HealthService
        // would be a circular reference for DS
        registration = context.registerService(HealthCheck.class, this, null);
    }

    @Deactivate
    synchronized void deactivate() {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
        active = false;
        rebuilder.shutdownNow();
        stop();
        if (fallback != null) {
            fallback.destroy();
            fallback = null;
        }
    }

    /**
     * Resources arriving one by one (at boot, when a plugin starts) are published together: the endpoint is
     * rebuilt once, a quarter second after the last change, not once per resource.
     */
    private synchronized void rebuildIfActive() {
        if (!active) {
            return;
        }
        if (pending != null) {
            pending.cancel(false);
        }
        pending = rebuilder.schedule(
                () -> {
                    synchronized (RestServer.this) {
                        if (active) {
                            rebuild();
                        }
                    }
                },
                250,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void publishFallbackOnce() {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(JAXRSServerFactoryBean.class.getClassLoader());
        try {
            publishFallback();
        } catch (RuntimeException e) {
            LOG.error("could not publish the REST fallback", e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private void stop() {
        if (server != null) {
            server.destroy();
            server = null;
        }
    }

    /**
     * The bus, told not to add CXF's default JSON provider (Jettison, for JAXB classes) to the endpoints built on it:
     * JSON here is Jackson's. That provider names {@code application/json}, so CXF ranked it before Jackson's
     * ({@code *}{@code /*}) and kept it as the one writer (and reader) to try first for every type sent as JSON;
     * it refused them all, and every answer then walked every provider again (4 % of a school's CPU while it
     * takes registrations).
     */
    static Bus withoutJettison(Bus bus) {
        bus.setProperty("skip.default.json.provider.registration", Boolean.TRUE);
        return bus;
    }

    /** Set while {@code /v1} is between the old endpoint and the new one. */
    private volatile boolean swapping;

    /**
     * Anything under {@code /api} that no endpoint serves (an unknown version, a path a {@code ../} walked out of
     * {@code /v1}, or {@code /v1} itself for the moment it is rebuilt) gets a 404 problem body from an endpoint
     * at {@code /}: CXF gives a request to the endpoint with the longest matching address.
     */
    private void publishFallback() {
        if (fallback != null) {
            return;
        }
        JAXRSServerFactoryBean factory = new JAXRSServerFactoryBean();
        factory.setBus(withoutJettison(BusFactory.getDefaultBus(true)));
        factory.setAddress("/");
        factory.setServiceBeans(List.of(new NotFound(() -> swapping)));
        ProblemMapper problems = new ProblemMapper();
        factory.setProviders(
                List.of(new JacksonJsonProvider(objectMapper()), problems, new ProblemMapper.WebApp(problems)));
        fallback = factory.create();
    }

    /**
     * The fallback endpoint's one resource: every method on every path is not found — except under {@code /v1}
     * and while {@code /v1} is being swapped for a rebuilt one: unavailable (503, retry in a second). A request
     * under {@code /v1} reaches the fallback only when no {@code /v1} endpoint was registered as it was routed:
     * before the first publication, or during a swap (testing the swap flag alone answered 404 to a request routed
     * during a swap and answered just after it: a client installing a plugin met it).
     */
    @Path("/")
    public static final class NotFound {
        private final java.util.function.BooleanSupplier updating;

        NotFound(java.util.function.BooleanSupplier updating) {
            this.updating = updating;
        }

        ProblemException notFound(HttpHeaders headers, String path) {
            java.util.Locale locale = Messages.fromAcceptLanguage(headers.getAcceptableLanguages());
            String under = ADDRESS.substring(1);
            String p = normalized(path);
            if (updating.getAsBoolean() || p.equals(under) || p.startsWith(under + "/")) {
                return new ProblemException(503, "unavailable", Messages.get(locale, "problem.updating"));
            }
            return new ProblemException(404, "not-found", Messages.get(locale, "problem.not-found"));
        }

        /**
         * The path as it was routed: {@code .} and {@code ..} segments resolved ({@code v1/a/../../etc} is
         * {@code etc}, which a {@code /v1} endpoint would not have been given either).
         */
        static String normalized(String path) {
            java.util.Deque<String> out = new java.util.ArrayDeque<>();
            for (String segment : path.split("/")) {
                if (segment.equals("..")) {
                    out.pollLast();
                } else if (!segment.isEmpty() && !segment.equals(".")) {
                    out.addLast(segment);
                }
            }
            return String.join("/", out);
        }

        @GET
        @Path("{any: .*}")
        public Response get(@Context HttpHeaders headers, @PathParam("any") String any) {
            throw notFound(headers, any);
        }

        @POST
        @Path("{any: .*}")
        public Response post(@Context HttpHeaders headers, @PathParam("any") String any) {
            throw notFound(headers, any);
        }

        @PUT
        @Path("{any: .*}")
        public Response put(@Context HttpHeaders headers, @PathParam("any") String any) {
            throw notFound(headers, any);
        }

        @DELETE
        @Path("{any: .*}")
        public Response delete(@Context HttpHeaders headers, @PathParam("any") String any) {
            throw notFound(headers, any);
        }
    }

    /**
     * Replaces the endpoint with one holding every resource known now. Requests that arrive in between (the
     * new endpoint's model and OpenAPI document take a few hundred milliseconds) get 503 with Retry-After, not
     * 404. (Building the new one first and swapping does not work with CXF's servlet transport: both would share
     * one destination, which the old one's destroy removes.)
     */
    private void rebuild() {
        publishFallbackOnce();
        swapping = true;
        try {
            stop();
            publish();
        } finally {
            swapping = false;
        }
    }

    private void publish() {
        if (resources.isEmpty()) {
            return;
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(JAXRSServerFactoryBean.class.getClassLoader());
        try {
            Bus bus = BusFactory.getDefaultBus(true);
            if (bus.getExtension(ClassLoader.class) == null) {
                // the class loader CXF sets for each request; without one on the bus its servlet asks the bus's
                // resource manager for one on every request, which the bundles' class loaders answer by failing
                // to find resource "" (an exception with its stack trace each time: 4 % of a school's CPU when
                // its students register). CXF's own, as while the endpoint is built.
                bus.setExtension(JAXRSServerFactoryBean.class.getClassLoader(), ClassLoader.class);
            }
            withoutJettison(bus);
            JAXRSServerFactoryBean factory = new JAXRSServerFactoryBean();
            factory.setBus(bus);
            factory.setAddress(ADDRESS);
            factory.setServiceBeans(new ArrayList<>(resources));
            ProblemMapper problems = new ProblemMapper();
            AuthenticationFilter authentication = new AuthenticationFilter(accounts, audit, throttle);
            factory.setProviders(List.of(
                    new JacksonJsonProvider(objectMapper()),
                    problems,
                    new ProblemMapper.Json(problems),
                    new ProblemMapper.WebApp(problems),
                    authentication,
                    new AuthFilter(accounts, audit, authentication),
                    new BodyLimitFilter()));
            factory.setFeatures(List.of(openApi()));
            factory.setOutInterceptors(List.of(new HttpDate.Interceptor()));
            factory.setInInterceptors(List.of(new NoInputCache(), lane));
            server = factory.create();
            LOG.info("REST API at /api{} with {} resources", ADDRESS, resources.size());
        } catch (RuntimeException e) {
            LOG.error("could not publish the REST API", e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Ready when the endpoint is published with every resource known so far (no rebuild pending). */
    @Override
    public String name() {
        return "rest";
    }

    @Override
    public synchronized Result check() {
        if (pending != null && !pending.isDone()) {
            return Result.fail("publishing " + resources.size() + " resources");
        }
        if (server == null) {
            return Result.fail("not published");
        }
        return Result.ok(resources.size() + " resources");
    }

    static ObjectMapper objectMapper() {
        // no flush after a value: Jetty then sends a small answer whole, with its length, in one write when the
        // request completes, instead of committing it chunked at the flush and writing the last chunk after it
        // (two writes to the socket for every answer; a large one still goes out as Jetty's buffer fills)
        return new ObjectMapper(JsonFactory.builder()
                        .disable(StreamWriteFeature.FLUSH_PASSED_TO_STREAM)
                        .build())
                .configure(SerializationFeature.FLUSH_AFTER_WRITE_VALUE, false)
                .registerModule(new JavaTimeModule())
                .configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false)
                .configure(EnumFeature.WRITE_ENUMS_TO_LOWERCASE, true)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
                .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);
    }

    private OpenApiFeature openApi() {
        OpenApiFeature openApi = new OpenApiFeature();
        openApi.setScan(false);
        Set<String> classes = new LinkedHashSet<>();
        for (RestResource r : resources) {
            classes.add(r.getClass().getName());
        }
        openApi.setResourceClasses(classes);
        openApi.setTitle("EduFed " + identity.level().id() + " node API");
        openApi.setDescription("REST API of EduFed node " + identity.code() + ". Errors are RFC 9457 problem bodies.");
        openApi.setVersion(identity.version());
        openApi.setPrettyPrint(true);
        openApi.setSupportSwaggerUi(true);
        openApi.setSwaggerUiConfig(
                new SwaggerUiConfig().url("/api/v1/openapi.json").queryConfigEnabled(false));
        return openApi;
    }
}
