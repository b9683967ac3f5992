package org.edufed.plugin.exam.internal;

import java.sql.SQLException;
import org.edufed.kernel.api.HealthCheck;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Healthy when the exam's tables answer; the kernel waits for this before it calls an install done. */
@Component(service = HealthCheck.class)
public final class ExamHealth implements HealthCheck {

    private final ExamStore store;

    @Activate
    public ExamHealth(@Reference ExamStore store) {
        this.store = store;
    }

    @Override
    public String name() {
        return "exam";
    }

    @Override
    public Result check() {
        try {
            store.answers();
            return Result.ok("tables answer");
        } catch (SQLException e) {
            return Result.fail("exam tables: " + e.getMessage());
        }
    }
}
