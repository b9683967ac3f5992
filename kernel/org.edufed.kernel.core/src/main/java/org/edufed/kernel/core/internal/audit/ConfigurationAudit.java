package org.edufed.kernel.core.internal.audit;

import org.edufed.kernel.api.audit.AuditLog;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Records every change of the node's OSGi configuration in the audit trail ({@code config.change}: the PID and
 * what happened, never the values, which may hold secrets): an edited {@code etc/*.cfg}, {@code config:edit} in
 * the shell, a feature's configuration. Changes made through the API or console are audited there too, with
 * their actor; here the actor is the node itself, since configuration events do not say who.
 */
@Component(service = ConfigurationListener.class, immediate = true)
public final class ConfigurationAudit implements ConfigurationListener {

    private final AuditLog audit;

    @Activate
    public ConfigurationAudit(@Reference AuditLog audit) {
        this.audit = audit;
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        String what =
                switch (event.getType()) {
                    case ConfigurationEvent.CM_UPDATED -> "updated";
                    case ConfigurationEvent.CM_DELETED -> "deleted";
                    case ConfigurationEvent.CM_LOCATION_CHANGED -> "bound elsewhere";
                    default -> "changed";
                };
        String target = event.getPid() + (event.getFactoryPid() == null ? "" : " (" + event.getFactoryPid() + ")");
        audit.record(new AuditLog.Event("system", null, "config.change", target, AuditLog.Result.SUCCESS, what));
    }
}
