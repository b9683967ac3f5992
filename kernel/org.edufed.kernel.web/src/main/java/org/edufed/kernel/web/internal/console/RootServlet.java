package org.edufed.kernel.web.internal.console;

import java.io.IOException;
import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.edufed.kernel.web.internal.Messages;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code /} leads to the console; any other path outside the console and the API (including one that a
 * {@code ../} walked out of them) is answered with a 404 problem body in the caller's language.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/")
@HttpWhiteboardServletName("edufed-root")
public final class RootServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        ConsoleServlet.securityHeaders(resp);
        if ("/".equals(req.getRequestURI()) && "GET".equals(req.getMethod())) {
            resp.setStatus(303);
            resp.setHeader("Location", "/console/");
            return;
        }
        problem(req, resp, 404, "not-found");
    }

    /** Writes an RFC 9457 problem body (for answers made outside the REST layer). */
    static void problem(HttpServletRequest req, HttpServletResponse resp, int status, String type) throws IOException {
        java.util.Locale locale = Messages.fromAcceptLanguage(
                req.getHeader("Accept-Language") == null
                        ? java.util.List.of()
                        : java.util.Collections.list(req.getLocales()));
        resp.setStatus(status);
        resp.setContentType("application/problem+json;charset=UTF-8");
        resp.getWriter()
                .write("{\"type\":\"urn:edufed:problem:" + type + "\",\"title\":\"" + type + "\",\"status\":" + status
                        + ",\"detail\":\"" + Html.json(Messages.get(locale, "problem." + type)) + "\"}");
    }
}
