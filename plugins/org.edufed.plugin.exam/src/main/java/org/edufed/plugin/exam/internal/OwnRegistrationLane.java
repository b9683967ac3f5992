package org.edufed.plugin.exam.internal;

import java.util.Optional;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.web.DirectOperation;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The fast lane of {@code POST /api/v1/exam/my}: a student registering themself (the other half of the busy day's
 * traffic where students register from their own accounts) is stored and answered here, as {@link
 * OwnRegistrationResource#registerSelf} stores and answers it, with the same code; anything else (bad input, a
 * second registration of the same account or student, a closed window) is declined with nothing written and goes
 * to that method, which answers the problem.
 */
@Component(service = DirectOperation.class)
public final class OwnRegistrationLane extends ExamApi implements DirectOperation {

    @Activate
    public OwnRegistrationLane(@Reference ExamStore store, @Reference NodeIdentity node) {
        super(store, node);
    }

    @Override
    public String path() {
        return OwnRegistrationResource.PATH;
    }

    @Override
    public String permission() {
        return SELF;
    }

    /** Stores the caller's own registration and answers 201, or throws (the check's problem, rolled back). */
    @Override
    public Optional<Answer> post(byte[] body) throws Exception {
        return Optional.of(laneRegistration(body, Actor.current().name()));
    }
}
