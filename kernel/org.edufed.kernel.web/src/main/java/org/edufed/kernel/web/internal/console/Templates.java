package org.edufed.kernel.web.internal.console;

import freemarker.cache.ClassTemplateLoader;
import freemarker.template.Configuration;
import freemarker.template.TemplateException;
import freemarker.template.TemplateExceptionHandler;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Map;

/** FreeMarker, HTML auto-escaping on ({@code .ftlh}), templates from this bundle. */
final class Templates {

    private static final Configuration CONFIG = create();

    private Templates() {}

    private static Configuration create() {
        Configuration c = new Configuration(Configuration.VERSION_2_3_33);
        c.setTemplateLoader(new ClassTemplateLoader(Templates.class.getClassLoader(), "org/edufed/kernel/web/console"));
        c.setDefaultEncoding("UTF-8");
        c.setTemplateExceptionHandler(TemplateExceptionHandler.RETHROW_HANDLER);
        c.setLogTemplateExceptions(false);
        c.setWrapUncheckedExceptions(true);
        c.setFallbackOnNullLoopVariable(false);
        return c;
    }

    static String render(String template, Map<String, Object> model) throws IOException {
        StringWriter out = new StringWriter();
        try {
            CONFIG.getTemplate(template).process(model, out);
        } catch (TemplateException e) {
            throw new IOException("template " + template + ": " + e.getMessageWithoutStackTop(), e);
        }
        return out.toString();
    }
}
