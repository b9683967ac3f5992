package org.edufed.kernel.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** Runs every registered {@link HealthCheck}: the node is ready when all pass. */
@ProviderType
public interface HealthService {

    Report report();

    /** The outcome of every check, and when the node started. */
    record Report(boolean ready, long uptimeSeconds, List<Check> checks) {}

    /** One check's outcome. */
    record Check(String name, boolean ok, String detail) {}
}
