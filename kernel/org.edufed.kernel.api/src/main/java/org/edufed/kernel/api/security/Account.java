package org.edufed.kernel.api.security;

import java.time.Instant;
import java.util.Set;

/** A local account of this node, as seen by the rest of the kernel (never with its password hash). */
public record Account(
        String username,
        String displayName,
        Set<String> roles,
        boolean mustChangePassword,
        boolean locked,
        Instant created,
        Instant lastLogin) {}
