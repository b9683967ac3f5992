package org.edufed.kernel.web.internal.rest;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.core.MediaType;
import org.edufed.kernel.api.security.Permissions;
import org.edufed.kernel.api.web.ConsolePage;
import org.edufed.kernel.api.web.PublicEndpoint;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code GET /api/v1/operations}: every REST operation of this node with the permission it requires, read
 * from the same annotations the authorisation filter enforces. The authorisation tests are generated from it,
 * so an operation that is neither public nor checked shows up (and fails them).
 */
@Component(service = {RestResource.class, OperationsResource.class})
@Path("/operations")
@Produces(MediaType.APPLICATION_JSON)
public final class OperationsResource implements RestResource {

    private final List<RestResource> resources = new CopyOnWriteArrayList<>();

    /**
     * One operation: method, path template under {@code /api/v1}, what it needs; {@code unit} over which
     * organisation unit ({@code ""} the whole node, {@code "{param}"} the unit a parameter names, {@code "*"} any,
     * the answer filtered by scope); {@code consumes} the media types of the body it takes (empty: any);
     * {@code bodyLimit} the largest body it takes, in bytes ({@link org.edufed.kernel.api.web.BodyLimit}).
     */
    public record Operation(
            String method,
            String path,
            String permission,
            String unit,
            boolean publicEndpoint,
            boolean beforePasswordChange,
            List<String> consumes,
            long bodyLimit) {}

    /** Every resource but this one (binding itself would be a cycle for DS, logged as an error at each boot). */
    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY,
            target = "(!(component.name=org.edufed.kernel.web.internal.rest.OperationsResource))")
    void add(RestResource resource) {
        resources.add(resource);
    }

    void remove(RestResource resource) {
        resources.remove(resource);
    }

    private final List<ConsolePage> pages = new CopyOnWriteArrayList<>();

    /** One console page: its path under {@code /console/}, the permission to see it and to submit its forms. */
    public record Page(String path, String title, String permission, String submitPermission) {}

    @Reference(
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addPage(ConsolePage page) {
        pages.add(page);
    }

    void removePage(ConsolePage page) {
        pages.remove(page);
    }

    /**
     * Every console page registered at this node with the permissions it declares: the console's authorisation
     * matrix is generated from it, so a page without a permission shows up (and fails it).
     */
    @GET
    @Path("/console")
    @RequiresPermission(Permissions.ACCOUNT_ADMIN)
    public List<Page> consolePages() {
        List<Page> out = new ArrayList<>();
        for (ConsolePage p : pages) {
            out.add(new Page(
                    p.path(), p.title(java.util.Locale.SIMPLIFIED_CHINESE), p.permission(), p.submitPermission()));
        }
        out.sort(Comparator.comparing(Page::path));
        return out;
    }

    @GET
    @RequiresPermission(Permissions.ACCOUNT_ADMIN)
    public List<Operation> list() {
        List<Operation> out = new ArrayList<>(operations(OperationsResource.class));
        for (RestResource r : resources) {
            out.addAll(operations(r.getClass()));
        }
        out.sort(Comparator.comparing(Operation::path).thenComparing(Operation::method));
        return out;
    }

    static List<Operation> operations(Class<?> type) {
        List<Operation> out = new ArrayList<>();
        Path root = type.getAnnotation(Path.class);
        if (root == null) {
            return out;
        }
        for (Method m : type.getMethods()) {
            String verb = m.isAnnotationPresent(GET.class)
                    ? "GET"
                    : m.isAnnotationPresent(POST.class)
                            ? "POST"
                            : m.isAnnotationPresent(PUT.class)
                                    ? "PUT"
                                    : m.isAnnotationPresent(DELETE.class) ? "DELETE" : null;
            if (verb == null) {
                continue;
            }
            Path sub = m.getAnnotation(Path.class);
            String path = join(root.value(), sub == null ? "" : sub.value());
            RequiresPermission p = m.getAnnotation(RequiresPermission.class);
            if (p == null) {
                p = type.getAnnotation(RequiresPermission.class);
            }
            Consumes consumes = m.getAnnotation(Consumes.class);
            if (consumes == null) {
                consumes = type.getAnnotation(Consumes.class);
            }
            out.add(new Operation(
                    verb,
                    path,
                    p == null ? null : p.value(),
                    p == null ? null : p.unit(),
                    m.isAnnotationPresent(PublicEndpoint.class) || type.isAnnotationPresent(PublicEndpoint.class),
                    m.isAnnotationPresent(AllowedBeforePasswordChange.class)
                            || type.isAnnotationPresent(AllowedBeforePasswordChange.class),
                    consumes == null ? List.of() : List.of(consumes.value()),
                    BodyLimitFilter.limitOf(m, type)));
        }
        return out;
    }

    private static String join(String a, String b) {
        String path = ("/" + a + "/" + b).replaceAll("/+", "/");
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
