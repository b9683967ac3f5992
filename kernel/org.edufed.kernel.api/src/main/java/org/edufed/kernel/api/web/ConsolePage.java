package org.edufed.kernel.api.web;

import java.io.IOException;
import java.util.Locale;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A page of the web console, registered as an OSGi service. The kernel adds it to the menu (ordered by
 * {@link #rank()}), serves it at {@code /console/<path>} inside the console layout, and only to users who
 * hold {@link #permission()}.
 */
@ConsumerType
public interface ConsolePage {

    /** One path segment, e.g. {@code exam}; {@code ""} is the overview. */
    String path();

    /** The menu and page title in the given locale (zh-CN or en). */
    String title(Locale locale);

    /** The permission needed to see the page. */
    String permission();

    /** Position in the menu, lower first. */
    default int rank() {
        return 100;
    }

    /**
     * Renders the page body as an HTML fragment. Every value taken from data must be escaped with
     * {@link PageContext#escape(String)}.
     */
    String render(PageContext context) throws IOException;

    /**
     * Handles a form the page posted to itself ({@code <form method="post">} with
     * {@link PageContext#csrfField()} inside): the kernel has checked the login, the CSRF token and
     * {@link #submitPermission()}. Returns the page body to show after it (a result, or the page with an error).
     * Pages without forms keep the default, which refuses.
     */
    default String submit(PageContext context) throws IOException {
        throw new UnsupportedOperationException("this page has no forms");
    }

    /** The permission needed to submit the page's forms (the page's own permission unless said otherwise). */
    default String submitPermission() {
        return permission();
    }

    /** What a page sees of the request. */
    interface PageContext {
        Locale locale();

        String username();

        /**
         * A request parameter, or {@code null}. A file field of a multipart form ({@code enctype=
         * "multipart/form-data"}) gives the file's bytes in base64, {@code ""} when no file was chosen.
         */
        String parameter(String name);

        /** Escapes text for HTML element content and quoted attribute values. */
        String escape(String text);

        /** The hidden input every form of the page must carry (the session's CSRF token). */
        String csrfField();
    }
}
