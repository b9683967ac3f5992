package ${package}.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The plugin on a real school node: the EduFed school distribution (from Maven, unpacked into {@code target/it-node})
 * started on free loopback ports with its own embedded Derby; the plugin's archive published there, uncertified and
 * allowed for this test node only (a real node runs only what the province certified); then its REST API, its
 * inheritable setting, its upward topic and its health check driven over HTTP, as a user and the node would.
 *
 * <p>{@code mvn verify} runs it after {@code mvn package} built the archive; {@code -DskipITs} skips it. The node's
 * log stays in {@code target/it-node/data/log/karaf.log} for you to read when it fails.
 */
class SchoolNodeIT {

    static final String ID = "${artifactId}";
    static final String DOMAIN = "${domain}";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern ONE_TIME = Pattern.compile("one-time admin password / \\S+: admin / (\\S+)");

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path home;
    private Process node;
    private int port;

    @Test
    void thePluginInstallsAndAnswersOnASchoolNode() throws Exception {
        start();
        String password = firstLogin();

        // publish the archive here (uncertified: for this node only, as the node's configuration allows)
        byte[] kar = Files.readAllBytes(Path.of(System.getProperty("plugin.kar")));
        String publication = JSON.createObjectNode()
                .put("archive", Base64.getEncoder().encodeToString(kar))
                .put("mode", "local")
                .put("enabled", true)
                .toString();
        HttpResponse<String> published = send("POST", "/api/v1/plugins/packages", password, publication);
        assertTrue(published.statusCode() / 100 == 2, published.body());
        JsonNode state = await(() -> {
            JsonNode p = json(send("GET", "/api/v1/plugins/" + ID, password, null));
            return p != null && p.path("state").asText().equals("running") ? p : null;
        });
        assertEquals(ID, state.path("id").asText());

        // its REST resource: the greeting, refused without a user, a note written and counted
        assertEquals(401, send("GET", "/api/v1/" + DOMAIN, null, null).statusCode());
        JsonNode greeting = await(() -> json(send("GET", "/api/v1/" + DOMAIN + "?name=张三", password, null)));
        assertEquals(Greetings.greet(Greetings.DEFAULT, "张三"), greeting.path("greeting").asText());
        HttpResponse<String> note =
                send("POST", "/api/v1/" + DOMAIN + "/notes", password, "{\"text\":\"明天开会\"}");
        assertEquals(201, note.statusCode(), note.body());
        HttpResponse<String> empty = send("POST", "/api/v1/" + DOMAIN + "/notes", password, "{\"text\":\"  \"}");
        assertEquals(400, empty.statusCode(), "an empty note is refused");
        assertTrue(empty.headers().firstValue("Content-Type").orElse("").contains("problem+json"), empty.body());
        assertEquals(1, json(send("GET", "/api/v1/" + DOMAIN, password, null)).path("notes").asInt());

        // its inheritable setting, set at this node (a level above would set it for its whole subtree)
        HttpResponse<String> set = send(
                "PUT",
                "/api/v1/inherited/" + DOMAIN + ".settings/greeting",
                password,
                "{\"value\":\"欢迎，{name}！\",\"mode\":\"local\"}");
        assertEquals(200, set.statusCode(), set.body());
        assertEquals(
                "欢迎，张三！",
                json(send("GET", "/api/v1/" + DOMAIN + "?name=张三", password, null))
                        .path("greeting")
                        .asText());
        HttpResponse<String> bad = send(
                "PUT",
                "/api/v1/inherited/" + DOMAIN + ".settings/greeting",
                password,
                "{\"value\":\"没有名字\",\"mode\":\"local\"}");
        assertTrue(bad.statusCode() / 100 == 4, "a greeting without {name} is refused: " + bad.body());

        // the node is healthy with the plugin in it
        assertEquals(200, send("GET", "/api/v1/health", null, null).statusCode());
    }

    // --- the node ---------------------------------------------------------------------------------

    private void start() throws Exception {
        Path dist = Path.of(System.getProperty("edufed.school.distribution"));
        home = Path.of("target", "it-node").toAbsolutePath();
        deleteTree(home);
        Files.createDirectories(home);
        Process tar = new ProcessBuilder("tar", "xzf", dist.toString(), "--strip-components=1", "-C", home.toString())
                .redirectErrorStream(true)
                .start();
        assertEquals(0, tar.waitFor(), new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        port = freePort();
        property("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port", Integer.toString(port));
        property("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(freePort()));
        property("etc/org.apache.karaf.shell.cfg", "sshHost", "127.0.0.1");
        Files.writeString(
                home.resolve("etc/org.edufed.node.cfg"),
                "level = school\ncode = 2151010001\nname = 插件测试学校\n",
                StandardCharsets.UTF_8);
        Files.writeString(home.resolve("etc/org.edufed.plugins.cfg"), "allow.uncertified = true\n");
        node = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("console.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            assertTrue(node.isAlive(), "the node ended; see " + home.resolve("console.log"));
            try {
                if (send("GET", "/api/v1/health", null, null).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the node was not ready within 3 minutes; see " + home.resolve("data/log"));
    }

    /** Changes the one-time admin password of the first start, as an operator does at first login. */
    private String firstLogin() throws Exception {
        Matcher m = ONE_TIME.matcher(Files.readString(home.resolve("data/log/karaf.log"), StandardCharsets.UTF_8));
        assertTrue(m.find(), "no first-start password in the node's log");
        String replacement = "Vendor-It-" + Long.toHexString(System.nanoTime()) + "-9";
        HttpResponse<String> r = send(
                "POST",
                "/api/v1/account/password",
                "admin",
                m.group(1),
                "{\"current\":\"" + m.group(1) + "\",\"replacement\":\"" + replacement + "\"}");
        assertEquals(204, r.statusCode(), r.body());
        return replacement;
    }

    @AfterEach
    void stop() throws Exception {
        if (node == null || !node.isAlive()) {
            return;
        }
        new ProcessBuilder(home.resolve("bin/stop").toString())
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start()
                .waitFor(30, TimeUnit.SECONDS);
        if (!node.waitFor(60, TimeUnit.SECONDS)) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    // --- HTTP -------------------------------------------------------------------------------------

    private HttpResponse<String> send(String method, String path, String password, String body) throws Exception {
        return send(method, path, password == null ? null : "admin", password, body);
    }

    private HttpResponse<String> send(String method, String path, String user, String password, String body)
            throws Exception {
        for (int attempt = 0; ; attempt++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .header("Accept-Language", "zh-CN")
                    .method(
                            method,
                            body == null
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (user != null) {
                b.header(
                        "Authorization",
                        "Basic " + Base64.getEncoder()
                                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            // the REST API answers 503 for a moment while a plugin arrives (its endpoint is rebuilt)
            if (r.statusCode() != 503 || attempt >= 40) {
                return r;
            }
            Thread.sleep(250);
        }
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    @FunctionalInterface
    interface Probe<T> {
        T get() throws Exception;
    }

    /** Asks until the answer is there (not {@code null}), for at most two minutes. */
    private static <T> T await(Probe<T> probe) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            T t = probe.get();
            if (t != null) {
                return t;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no answer within two minutes");
            }
            Thread.sleep(250);
        }
    }

    private void property(String file, String key, String value) throws IOException {
        Path p = home.resolve(file);
        StringBuilder out = new StringBuilder();
        boolean found = false;
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
            if (line.strip().startsWith(key + " ") || line.strip().startsWith(key + "=")) {
                line = key + " = " + value;
                found = true;
            }
            out.append(line).append('\n');
        }
        if (!found) {
            out.append(key).append(" = ").append(value).append('\n');
        }
        Files.writeString(p, out.toString(), StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
