package org.edufed.kernel.core.internal.org;

import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.federation.Federation;
import org.edufed.kernel.api.security.OrgUnit;
import org.edufed.kernel.api.storage.Storage;

/** Organisations for tests of the components that use one. */
public final class TestOrganisations {
    private TestOrganisations() {}

    /** The organisation of a node without federation. */
    public static OrganisationComponent of(String code, String name, String level, Storage storage, AuditLog audit) {
        return of(code, name, level, storage, audit, null);
    }

    /** The organisation of a node whose nodes below come from {@code federation}. */
    public static OrganisationComponent of(
            String code, String name, String level, Storage storage, AuditLog audit, Federation federation) {
        return new OrganisationComponent(new OrgUnit(code, null, name, level), storage, audit, federation);
    }
}
