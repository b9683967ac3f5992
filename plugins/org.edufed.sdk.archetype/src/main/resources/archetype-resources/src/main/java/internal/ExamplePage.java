package ${package}.internal;

import java.sql.SQLException;
import java.util.Locale;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.web.ConsolePage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code /console/${domain}}: the plugin's page in the node's console. */
@Component(service = ConsolePage.class)
public final class ExamplePage implements ConsolePage {

    private final Inheritance inheritance;
    private final ExampleStore store;

    @Activate
    public ExamplePage(@Reference Inheritance inheritance, @Reference ExampleStore store) {
        this.inheritance = inheritance;
        this.store = store;
    }

    @Override
    public String path() {
        return "${domain}";
    }

    @Override
    public String title(Locale locale) {
        return "en".equals(locale.getLanguage()) ? "${pluginNameEn}" : "${pluginNameZh}";
    }

    @Override
    public String permission() {
        return ExampleResource.READ;
    }

    @Override
    public int rank() {
        return 200;
    }

    @Override
    public String render(PageContext ctx) {
        String template = inheritance
                .effective(ExampleTopics.SETTINGS, ExampleTopics.GREETING)
                .map(Inheritance.Item::value)
                .orElse(Greetings.DEFAULT);
        String count;
        try {
            count = String.valueOf(store.count());
        } catch (SQLException e) {
            count = "—";
        }
        return "<p id=\"greeting\">" + ctx.escape(Greetings.greet(template, ctx.username())) + "</p><p>"
                + ("en".equals(ctx.locale().getLanguage()) ? "Notes written here: " : "本节点留言数：")
                + count + "</p>";
    }
}
