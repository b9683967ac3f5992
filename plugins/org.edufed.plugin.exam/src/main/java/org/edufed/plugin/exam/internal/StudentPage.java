package org.edufed.plugin.exam.internal;

import java.io.IOException;
import java.util.Locale;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.web.ConsolePage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /console/exam-my} (我的中考报名): a student registers themself within the window and follows their own
 * registration — its review and, in the end, where they are admitted — and sees no one else's.
 */
@Component(service = ConsolePage.class)
public final class StudentPage implements ConsolePage {

    private final ExamPage page;

    @Activate
    public StudentPage(@Reference ExamStore store, @Reference NodeIdentity node, @Reference AccountService accounts) {
        this.page = new ExamPage(store, node, accounts, null, null, null, null, true);
    }

    @Override
    public String path() {
        return page.path();
    }

    @Override
    public String title(Locale locale) {
        return page.title(locale);
    }

    @Override
    public String permission() {
        return page.permission();
    }

    @Override
    public int rank() {
        return 151;
    }

    @Override
    public String render(PageContext context) throws IOException {
        return page.render(context);
    }

    @Override
    public String submit(PageContext context) throws IOException {
        return page.submit(context);
    }
}
