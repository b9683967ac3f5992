package org.edufed.kernel.plugins.internal.shell;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.ShellUtil;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.plugins.internal.PluginsShell;

/** Karaf shell commands of the plugin platform, for operators with shell access (audited as shell:<user>). */
public final class PluginCommands {
    private PluginCommands() {}

    static Actor.Scope actor() {
        String user = ShellUtil.getCurrentUserName();
        return Actor.as("shell:" + (user == null ? "?" : user), null);
    }

    /** {@code edufed:plugins}: the catalogue as this node sees it, what runs, and why not. */
    @Command(scope = "edufed", name = "plugins", description = "List plugins and their state / 列出插件及状态")
    @Service
    public static class ListPlugins implements Action {
        @Reference
        PluginsShell plugins;

        @Override
        public Object execute() throws Exception {
            System.out.print(plugins.list(Locale.ROOT));
            return null;
        }
    }

    /** {@code edufed:plugin-enable <id> [--local]} and {@code edufed:plugin-disable <id> [--local]}. */
    abstract static class Choose implements Action {
        @Argument(index = 0, name = "id", required = true, description = "plugin id")
        String id;

        @Option(name = "--local", description = "for this node only (default: this node and its subtree)")
        boolean local;

        @Reference
        PluginsShell plugins;

        abstract boolean enable();

        @Override
        public Object execute() throws Exception {
            try (Actor.Scope who = actor()) {
                plugins.choose(id, enable(), local ? Mode.LOCAL : Mode.OVERRIDABLE);
                System.out.println((enable() ? "Enabled / 已启用 " : "Disabled / 已停用 ") + id);
            } catch (LockedException e) {
                System.err.println("Mandatory above, cannot change here / 上级设为必装，本级不能更改: " + id);
            } catch (IllegalArgumentException e) {
                System.err.println("Not in the catalogue / 目录中没有: " + id);
            }
            return null;
        }
    }

    @Command(scope = "edufed", name = "plugin-enable", description = "Enable a plugin here / 启用插件")
    @Service
    public static class Enable extends Choose {
        @Override
        boolean enable() {
            return true;
        }
    }

    @Command(scope = "edufed", name = "plugin-disable", description = "Disable a plugin here / 停用插件")
    @Service
    public static class Disable extends Choose {
        @Override
        boolean enable() {
            return false;
        }
    }

    /** {@code edufed:plugin-check <kar> [p7s]}: the dry run, as {@code POST /api/v1/plugins/check}. */
    @Command(scope = "edufed", name = "plugin-check", description = "Dry run of a plugin archive / 插件安装预检")
    @Service
    public static class Check implements Action {
        @Argument(index = 0, name = "kar", required = true, description = "the plugin archive")
        String kar;

        @Argument(index = 1, name = "signature", required = false, description = "its detached CMS signature (DER)")
        String signature;

        @Reference
        PluginsShell plugins;

        @Override
        public Object execute() throws Exception {
            try (Actor.Scope who = actor()) {
                byte[] sig = signature == null ? null : Files.readAllBytes(Path.of(signature));
                System.out.print(plugins.check(Files.readAllBytes(Path.of(kar)), sig, Locale.ROOT));
            }
            return null;
        }
    }

    /** {@code edufed:plugin-certify <kar>}: at the province, writes {@code <kar>.p7s}. */
    @Command(scope = "edufed", name = "plugin-certify", description = "Certify a plugin archive (province) / 认证插件")
    @Service
    public static class Certify implements Action {
        @Argument(index = 0, name = "kar", required = true, description = "the plugin archive")
        String kar;

        @Reference
        PluginsShell plugins;

        @Override
        public Object execute() throws Exception {
            try (Actor.Scope who = actor()) {
                Path out = Path.of(kar + ".p7s");
                Files.write(out, plugins.certify(Files.readAllBytes(Path.of(kar))));
                System.out.println("Signature / 签名: " + out);
            } catch (IllegalStateException e) {
                System.err.println(e.getMessage());
            }
            return null;
        }
    }

    /** {@code edufed:plugin-publish <kar> <p7s> [--mandatory]}: lists it in this node's catalogue for the subtree. */
    @Command(scope = "edufed", name = "plugin-publish", description = "List a certified plugin for the subtree / 发布插件")
    @Service
    public static class Publish implements Action {
        @Argument(index = 0, name = "kar", required = true, description = "the plugin archive")
        String kar;

        @Argument(index = 1, name = "signature", required = true, description = "its detached CMS signature (DER)")
        String signature;

        @Option(name = "--mandatory", description = "locked: every node of its levels runs it")
        boolean mandatory;

        @Reference
        PluginsShell plugins;

        @Override
        public Object execute() throws Exception {
            try (Actor.Scope who = actor()) {
                System.out.println(plugins.publish(
                        Files.readAllBytes(Path.of(kar)),
                        Files.readAllBytes(Path.of(signature)),
                        mandatory ? Mode.LOCKED : Mode.OVERRIDABLE,
                        Locale.ROOT));
            } catch (IllegalStateException e) {
                System.err.println(e.getMessage());
            }
            return null;
        }
    }
}
