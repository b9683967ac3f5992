package org.edufed.plugin.exam.internal;

import java.util.Optional;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.web.DirectOperation;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The fast lane of {@code POST /api/v1/exam/registrations} (a school clerk's registration, one at a time — the
 * request a school takes most of on the busy day): a registration that passes every check is stored and answered
 * here, as {@link RegistrationResource#register} stores and answers it, with the same code; anything else (bad
 * input, a duplicate, a closed window) is declined with nothing written and goes to that method, which answers the
 * problem.
 */
@Component(service = DirectOperation.class)
public final class RegistrationLane extends ExamApi implements DirectOperation {

    @Activate
    public RegistrationLane(@Reference ExamStore store, @Reference NodeIdentity node) {
        super(store, node);
    }

    @Override
    public String path() {
        return RegistrationResource.PATH;
    }

    @Override
    public String permission() {
        return REGISTER;
    }

    /**
     * Stores the registration and answers 201, or throws (the check's problem, a duplicate found in the
     * registration's transaction, rolled back): the kernel then hands the request to the JAX-RS method.
     */
    @Override
    public Optional<Answer> post(byte[] body) throws Exception {
        return Optional.of(laneRegistration(body, null));
    }
}
