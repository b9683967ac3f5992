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

    /** What a page sees of the request. */
    interface PageContext {
        Locale locale();

        String username();

        /** A request parameter, or {@code null}. */
        String parameter(String name);

        /** Escapes text for HTML element content and quoted attribute values. */
        String escape(String text);
    }
}
