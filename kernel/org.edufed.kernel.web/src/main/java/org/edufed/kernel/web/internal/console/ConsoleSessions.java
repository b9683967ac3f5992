package org.edufed.kernel.web.internal.console;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.servlet.http.HttpSession;
import javax.servlet.http.HttpSessionAttributeListener;
import javax.servlet.http.HttpSessionBindingEvent;
import javax.servlet.http.HttpSessionEvent;
import javax.servlet.http.HttpSessionListener;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardListener;

/**
 * The console sessions of this node by account, so that they can be ended together: "log out everywhere" for
 * one's own account, an administrator ending someone's sessions, and a locked account or a changed password
 * ending the sessions opened before. Follows the session attribute that names the logged-in user.
 */
@Component(service = {ConsoleSessions.class, HttpSessionListener.class, HttpSessionAttributeListener.class})
@HttpWhiteboardListener
public final class ConsoleSessions implements HttpSessionListener, HttpSessionAttributeListener {

    private final Map<String, Set<HttpSession>> byUser = new ConcurrentHashMap<>();

    /**
     * Ends every console session of {@code username} at this node except {@code keep} (may be {@code null});
     * returns how many ended.
     */
    public int end(String username, HttpSession keep) {
        Set<HttpSession> sessions = byUser.get(username);
        if (sessions == null) {
            return 0;
        }
        List<HttpSession> ending = new ArrayList<>(sessions);
        int ended = 0;
        for (HttpSession s : ending) {
            if (keep != null && s.getId().equals(keep.getId())) {
                continue;
            }
            sessions.remove(s);
            try {
                s.invalidate();
                ended++;
            } catch (IllegalStateException alreadyOver) {
                // ended meanwhile
            }
        }
        return ended;
    }

    /** How many console sessions {@code username} has open here. */
    public int count(String username) {
        Set<HttpSession> sessions = byUser.get(username);
        return sessions == null ? 0 : sessions.size();
    }

    @Override
    public void attributeAdded(HttpSessionBindingEvent e) {
        if (ConsoleServlet.USER.equals(e.getName()) && e.getValue() != null) {
            byUser.computeIfAbsent(e.getValue().toString(), k -> ConcurrentHashMap.newKeySet())
                    .add(e.getSession());
        }
    }

    @Override
    public void attributeReplaced(HttpSessionBindingEvent e) {
        if (ConsoleServlet.USER.equals(e.getName())) {
            forget(String.valueOf(e.getValue()), e.getSession());
            Object now = e.getSession().getAttribute(ConsoleServlet.USER);
            if (now != null) {
                byUser.computeIfAbsent(now.toString(), k -> ConcurrentHashMap.newKeySet())
                        .add(e.getSession());
            }
        }
    }

    @Override
    public void attributeRemoved(HttpSessionBindingEvent e) {
        if (ConsoleServlet.USER.equals(e.getName())) {
            forget(String.valueOf(e.getValue()), e.getSession());
        }
    }

    @Override
    public void sessionDestroyed(HttpSessionEvent e) {
        byUser.values()
                .forEach(
                        set -> set.removeIf(s -> s.getId().equals(e.getSession().getId())));
        byUser.values().removeIf(Set::isEmpty);
    }

    private void forget(String username, HttpSession session) {
        Set<HttpSession> set = byUser.get(username);
        if (set != null) {
            set.removeIf(s -> s.getId().equals(session.getId()));
        }
    }
}
