package org.edufed.kernel.shell.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.security.AccountService;

/**
 * {@code edufed:admin-reset}: a new one-time password for {@code admin} (or the named account), printed once
 * here and never logged; it must be changed at the next login.
 */
@Command(scope = "edufed", name = "admin-reset", description = "New one-time admin password / 重置管理员一次性密码")
@Service
public class AdminResetCommand implements Action {

    @Argument(index = 0, name = "username", description = "account to reset (default admin)", required = false)
    String username = AccountService.ADMIN;

    @Reference
    AccountService accounts;

    @Override
    public Object execute() {
        try (Actor.Scope who = ShellActor.current()) {
            return run();
        }
    }

    private Object run() {
        if (accounts.find(username).isEmpty()) {
            System.err.println("No such account / 账户不存在: " + username);
            return null;
        }
        String password = accounts.resetPassword(username);
        System.out.println("One-time password / 一次性密码: " + username + " / " + password);
        System.out.println("It must be changed at the next login. / 下次登录时必须修改。");
        return null;
    }
}
