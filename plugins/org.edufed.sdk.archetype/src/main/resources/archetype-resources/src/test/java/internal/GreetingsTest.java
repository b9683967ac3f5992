package ${package}.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class GreetingsTest {

    @Test
    void theInheritedTemplateNamesTheUser() {
        assertEquals("欢迎，张三！", Greetings.greet("欢迎，{name}！", " 张三 "));
    }

    @Test
    void withoutATemplateOrANameTheDefaultGreetsEveryone() {
        assertEquals("你好，大家！", Greetings.greet(null, ""));
    }

    @Test
    void notesAreTrimmedAndLimited() {
        assertEquals("明天开会", Greetings.note("  明天开会 "));
        assertNull(Greetings.note("   "));
        assertNull(Greetings.note("字".repeat(Greetings.MAX_NOTE + 1)));
        assertEquals(Greetings.MAX_NOTE, Greetings.note("字".repeat(Greetings.MAX_NOTE)).length());
    }
}
