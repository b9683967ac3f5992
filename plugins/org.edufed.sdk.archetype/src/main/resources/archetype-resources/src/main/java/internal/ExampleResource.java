package ${package}.internal;

import java.sql.SQLException;
import java.util.List;
import javax.ws.rs.Consumes;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.web.ProblemException;
import org.edufed.kernel.api.web.RequiresPermission;
import org.edufed.kernel.api.web.RestResource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code /api/v1/${domain}}: the inherited greeting, notes written here, and the notes of the subtree. */
@Component(service = RestResource.class)
@Path("/${domain}")
@Produces(MediaType.APPLICATION_JSON)
public final class ExampleResource implements RestResource {

    static final String READ = "${domain}:read";
    static final String WRITE = "${domain}:write";

    private final Inheritance inheritance;
    private final Upward upward;
    private final NodeIdentity node;
    private final ExampleStore store;

    @Activate
    public ExampleResource(
            @Reference Inheritance inheritance,
            @Reference Upward upward,
            @Reference NodeIdentity node,
            @Reference ExampleStore store) {
        this.inheritance = inheritance;
        this.upward = upward;
        this.node = node;
        this.store = store;
    }

    public record Greeting(String greeting, String node, int notes) {}

    public record Note(String text) {}

    public record Created(String id) {}

    public record Received(String origin, String payload) {}

    @GET
    @RequiresPermission(READ)
    public Greeting greeting(@QueryParam("name") String name) throws SQLException {
        String template = inheritance
                .effective(ExampleTopics.SETTINGS, ExampleTopics.GREETING)
                .map(Inheritance.Item::value)
                .orElse(Greetings.DEFAULT);
        return new Greeting(Greetings.greet(template, name), node.code(), store.count());
    }

    @POST
    @Path("/notes")
    @Consumes(MediaType.APPLICATION_JSON)
    @RequiresPermission(WRITE)
    public Response add(Note note) throws SQLException {
        String text = Greetings.note(note == null ? null : note.text());
        if (text == null) {
            throw new ProblemException(400, "bad-request", "留言不能为空，最多 " + Greetings.MAX_NOTE + " 字");
        }
        return Response.status(201).entity(new Created(store.add(text))).build();
    }

    @GET
    @Path("/notes")
    @RequiresPermission(READ)
    public List<Received> notes() {
        return upward.records(ExampleTopics.NOTES, 100).stream()
                .map(r -> new Received(r.origin(), r.payload()))
                .toList();
    }
}
