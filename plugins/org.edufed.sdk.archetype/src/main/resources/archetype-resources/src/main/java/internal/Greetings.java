package ${package}.internal;

/** The plugin's own logic, kept free of OSGi so that unit tests need no framework. */
final class Greetings {

    /** What a node says when no level above has set {@code hello.settings/greeting}. */
    static final String DEFAULT = "你好，{name}！";

    static final int MAX_NOTE = 200;

    private Greetings() {}

    /** The greeting with {@code {name}} replaced; a blank name greets everyone (大家). */
    static String greet(String template, String name) {
        String who = name == null || name.isBlank() ? "大家" : name.strip();
        return (template == null || template.isBlank() ? DEFAULT : template).replace("{name}", who);
    }

    /** A note's text, trimmed; {@code null} when it is empty or longer than {@link #MAX_NOTE} characters. */
    static String note(String text) {
        if (text == null) {
            return null;
        }
        String t = text.strip();
        return t.isEmpty() || t.codePointCount(0, t.length()) > MAX_NOTE ? null : t;
    }
}
