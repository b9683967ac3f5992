package org.edufed.kernel.api.plugin;

import java.util.Optional;
import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a bundle of an installed plugin may contribute. A plugin gets only the permissions and topics its
 * certified descriptor declares: the kernel asks here before it publishes a plugin's REST resource or console
 * page and before the exchange accepts a topic it declares. Bundles that are not part of a plugin (the kernel,
 * Karaf, the distribution's own libraries) are not restricted here.
 */
@ProviderType
public interface PluginGuard {

    /**
     * Why the bundle at {@code bundleLocation} may not contribute something that needs {@code permissions}
     * (its plugin did not declare them), in zh-CN; empty when it may. When refused, the plugin is marked as
     * failed with that reason, so an install or upgrade rolls back.
     *
     * @param what what the bundle tried to contribute, for the reason (e.g. the resource's class name)
     */
    Optional<String> refusePermissions(String bundleLocation, String what, Set<String> permissions);

    /** Why the bundle may not declare the topic (its plugin did not declare it), in zh-CN; empty when it may. */
    Optional<String> refuseTopic(String bundleLocation, String topic);

    /**
     * The id of the installed plugin (certified, or allowed uncertified at this node) the bundle belongs to; empty
     * for bundles of the kernel, Karaf and the distribution. Storage gives a plugin's bundles connections that
     * reach only that plugin's own tables.
     *
     * @since 1.1
     */
    Optional<String> plugin(String bundleLocation);

    /**
     * Records that storage refused a statement of the bundle's plugin (a table it does not own, a routine it may
     * not call): logged, audited {@code plugin.refuse}, and marked as the plugin's failure so an install or upgrade
     * rolls back. Returns the reason, in zh-CN.
     *
     * @param detail what was refused, e.g. {@code table edufed_account belongs to kernel}
     * @since 1.1
     */
    String refuseStorage(String bundleLocation, String detail);
}
