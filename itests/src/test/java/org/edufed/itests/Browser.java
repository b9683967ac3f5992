package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a browser journey of {@code itests/browser} (Playwright driving Debian's Chromium, headless) with its
 * environment; screenshots go to {@code target/screenshots/<name>}. Required under {@code ./edufed test} (which
 * installs Chromium and runs {@code npm ci} in itests/browser) and in CI; a bare {@code mvn verify} runs it when
 * they are there and says so when they are not.
 */
final class Browser {

    private Browser() {}

    /** Runs {@code <name>.mjs}; returns the screenshot folder, or {@code null} when skipped outside CI. */
    static Path run(String name, Map<String, String> env) throws Exception {
        Path dir = Path.of(System.getProperty("edufed.dist.dir", "../distributions"))
                .getParent()
                .resolve("itests/browser");
        boolean ready = Files.isDirectory(dir.resolve("node_modules/playwright-core"))
                && Files.isExecutable(Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium")));
        if (!ready) {
            if (System.getenv("EDUFED_REQUIRE_BROWSER") != null || "true".equals(System.getenv("CI"))) {
                throw new AssertionError("the browser test needs Chromium and `npm ci` in " + dir);
            }
            System.err.println("browser journey " + name + " skipped (no Chromium or no npm ci in " + dir + ")");
            return null;
        }
        Path out = Path.of("target/screenshots", name).toAbsolutePath();
        Files.createDirectories(out);
        Path log = out.resolve("browser.log");
        ProcessBuilder pb = new ProcessBuilder("node", name + ".mjs")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().put("OUT", out.toString());
        Process p = pb.start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new AssertionError("the browser journey did not end within 120 s: " + Files.readString(log));
            }
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), Files.readString(log));
        return out;
    }
}
