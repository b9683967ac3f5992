package ${package}.internal;

import java.sql.SQLException;
import org.edufed.kernel.api.HealthCheck;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Healthy when the plugin's table answers; the kernel waits for this before it calls an install done. */
@Component(service = HealthCheck.class)
public final class ExampleHealth implements HealthCheck {

    private final ExampleStore store;

    @Activate
    public ExampleHealth(@Reference ExampleStore store) {
        this.store = store;
    }

    @Override
    public String name() {
        return "${domain}";
    }

    @Override
    public Result check() {
        try {
            return Result.ok(store.count() + " notes");
        } catch (SQLException e) {
            return Result.fail("table ${domain}_note: " + e.getMessage());
        }
    }
}
