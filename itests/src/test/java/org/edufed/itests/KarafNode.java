package org.edufed.itests;

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
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real EduFed distribution, unpacked from its tar.gz into a folder of its own, configured with free
 * loopback ports, started as a process ({@code bin/karaf server}) and driven over HTTP. Closing it stops the
 * process and deletes the folder.
 */
public final class KarafNode implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ONE_TIME = Pattern.compile("one-time admin password / \\S+: admin / (\\S+)");

    private final String level;
    private final Path home;
    private final int httpPort;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;

    private KarafNode(String level, Path home, int httpPort) {
        this.level = level;
        this.home = home;
        this.httpPort = httpPort;
    }

    /** Unpacks the level's distribution as {@code name} and gives it free ports. */
    public static KarafNode unpack(String level, String name) throws IOException, InterruptedException {
        Path dist = Paths.get(
                System.getProperty("edufed.dist.dir", "../distributions"),
                level,
                "target",
                "edufed-" + level + "-" + System.getProperty("edufed.version", "0.1.0-SNAPSHOT") + ".tar.gz");
        if (!Files.exists(dist)) {
            throw new IllegalStateException("no distribution at " + dist + ": build it first (mvn install)");
        }
        Path home = Paths.get(System.getProperty("edufed.work.dir", "target/it-nodes"))
                .resolve(name);
        deleteTree(home);
        Files.createDirectories(home);
        Process tar = new ProcessBuilder(
                        "tar", "xzf", dist.toAbsolutePath().toString(), "--strip-components=1", "-C", home.toString())
                .inheritIO()
                .start();
        if (tar.waitFor() != 0) {
            throw new IOException("tar failed for " + dist);
        }
        int port = freePort();
        KarafNode node = new KarafNode(level, home, port);
        node.editProperty("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port", Integer.toString(port));
        node.editProperty("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(freePort()));
        node.editProperty("etc/org.apache.karaf.shell.cfg", "sshHost", "127.0.0.1");
        return node;
    }

    /** Writes {@code etc/org.edufed.node.cfg}. */
    public KarafNode identity(Map<String, String> values) throws IOException {
        writeCfg("etc/org.edufed.node.cfg", values);
        return this;
    }

    public KarafNode identity(String code, String name) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("level", level);
        m.put("code", code);
        m.put("name", name);
        return identity(m);
    }

    /** Writes {@code etc/org.edufed.storage.cfg}. */
    public KarafNode storage(Map<String, String> values) throws IOException {
        writeCfg("etc/org.edufed.storage.cfg", values);
        return this;
    }

    private void writeCfg(String file, Map<String, String> values) throws IOException {
        StringBuilder sb = new StringBuilder("# written by the integration tests\n");
        values.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(home.resolve(file), sb.toString(), StandardCharsets.UTF_8);
    }

    void editProperty(String file, String key, String value) throws IOException {
        Path p = home.resolve(file);
        List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
        boolean found = false;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).matches("\\s*" + Pattern.quote(key) + "\\s*=.*")) {
                lines.set(i, key + " = " + value);
                found = true;
            }
        }
        if (!found) {
            lines.add(key + " = " + value);
        }
        Files.write(p, lines, StandardCharsets.UTF_8);
    }

    /** Starts {@code bin/karaf server}; its console output goes to {@code console.log}. */
    public KarafNode start() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        home.resolve("console.log").toFile()));
        process = pb.start();
        return this;
    }

    /** Waits until health says ready; fails with the console's tail when the process ends first. */
    public KarafNode awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError(
                        "node " + home.getFileName() + " exited with " + process.exitValue() + ":\n" + consoleTail());
            }
            try {
                if (get("/api/v1/health", null, null).statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("node " + home.getFileName() + " not ready after " + timeout + ":\n" + consoleTail());
    }

    /**
     * Runs Karaf shell commands through {@code bin/client} over the node's SSH port, as an operator would,
     * with a throw-away shell account added for this test node only. Returns what the shell printed.
     */
    public String shell(String commands) throws IOException, InterruptedException {
        String user = "ittest";
        String password = Long.toHexString(new java.security.SecureRandom().nextLong()) + "Aa1";
        Path users = home.resolve("etc/users.properties");
        if (!Files.readString(users).contains(user + " = ")) {
            Files.writeString(
                    users,
                    "\n" + user + " = " + password
                            + ",_g_:itgroup\n_g_\\:itgroup = group,admin,manager,viewer,systembundles,ssh\n",
                    java.nio.file.StandardOpenOption.APPEND);
            Thread.sleep(3000); // JAAS reads users.properties again on change
        } else {
            throw new IllegalStateException("shell() is meant to be called once per node");
        }
        Process p = new ProcessBuilder(
                        home.resolve("bin/client").toString(), "-u", user, "-p", password, "-a", sshPort(), "-b")
                .directory(home.toFile())
                .redirectErrorStream(true)
                .start();
        try (var in = p.getOutputStream()) {
            in.write((commands + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("bin/client did not finish:\n" + out);
        }
        return out.replaceAll("\u001B\\[[0-9;]*m", "");
    }

    private String sshPort() throws IOException {
        for (String line : Files.readAllLines(home.resolve("etc/org.apache.karaf.shell.cfg"))) {
            if (line.startsWith("sshPort")) {
                return line.substring(line.indexOf('=') + 1).trim();
            }
        }
        throw new IllegalStateException("no sshPort");
    }

    /** Waits for the process to end by itself; returns its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("node did not stop by itself within " + timeout);
        }
        return process.exitValue();
    }

    /** Changes the one-time admin password to a new one and returns it, as an operator does at first login. */
    public String adminPassword() throws IOException, InterruptedException {
        String oneTime = oneTimePassword();
        String replacement = "It-" + Long.toHexString(new java.security.SecureRandom().nextLong()) + "-9";
        HttpResponse<String> r = postJson(
                "/api/v1/account/password",
                "admin",
                oneTime,
                "{\"current\":\"" + oneTime + "\",\"replacement\":\"" + replacement + "\"}");
        if (r.statusCode() != 204) {
            throw new AssertionError("password change: " + r.statusCode() + " " + r.body());
        }
        return replacement;
    }

    /** The password of the first-start banner in the log. */
    public String oneTimePassword() throws IOException {
        Matcher m = ONE_TIME.matcher(log());
        if (!m.find()) {
            throw new AssertionError("no first-start banner in the log");
        }
        return m.group(1);
    }

    public String log() throws IOException {
        Path log = home.resolve("data/log/karaf.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    public String console() throws IOException {
        Path c = home.resolve("console.log");
        return Files.exists(c) ? Files.readString(c, StandardCharsets.UTF_8) : "";
    }

    private String consoleTail() {
        try {
            String c = console();
            return c.substring(Math.max(0, c.length() - 3000));
        } catch (IOException e) {
            return "(no console output)";
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + httpPort;
    }

    public Path home() {
        return home;
    }

    public HttpResponse<String> get(String path, String user, String password)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .GET();
        auth(b, user, password);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    public HttpResponse<String> postJson(String path, String user, String password, String body)
            throws IOException, InterruptedException {
        return sendJson("POST", path, user, password, body);
    }

    public HttpResponse<String> sendJson(String method, String path, String user, String password, String body)
            throws IOException, InterruptedException {
        return send(method, path, user, password, body, "application/json");
    }

    /** Sends a body of the given media type. */
    public HttpResponse<String> send(
            String method, String path, String user, String password, String body, String contentType)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        auth(b, user, password);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** Sends a raw request (headers as given), for tests that play another node. */
    public HttpResponse<String> raw(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static void auth(HttpRequest.Builder b, String user, String password) {
        if (user != null) {
            b.header("Authorization", basic(user, password));
        }
    }

    /** The value of an {@code Authorization} header that logs {@code user} in with HTTP Basic. */
    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /** Kills the node's JVM with SIGKILL ({@code kill -9}): no shutdown hook, no clean Derby close. */
    public void kill9() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Stops the node the way an operator does ({@code bin/stop}), then waits for the process to end. */
    public void stop() throws IOException, InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        new ProcessBuilder(home.resolve("bin/stop").toString())
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start()
                .waitFor(30, TimeUnit.SECONDS);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("node did not stop within 60 s of bin/stop");
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (process != null && process.isAlive()) {
                try {
                    stop();
                } finally {
                    process.destroyForcibly();
                }
            }
        } finally {
            keepLogs();
            deleteTree(home);
        }
    }

    /** Keeps the node's log and console beside the test reports, for when a test fails. */
    private void keepLogs() {
        try {
            Path dir = home.getParent().resolveSibling("it-logs");
            Files.createDirectories(dir);
            for (String[] f : new String[][] {{"data/log/karaf.log", ".log"}, {"console.log", ".console.log"}}) {
                Path src = home.resolve(f[0]);
                if (Files.exists(src)) {
                    Files.copy(
                            src,
                            dir.resolve(home.getFileName() + f[1]),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            // best effort: the test's own result stands
        }
    }

    /**
     * A free port below Linux's ephemeral range (32768–60999). A port the system hands out for {@code new
     * ServerSocket(0)} can be handed out again, before the node binds it, to a random listener such as Karaf's
     * shutdown socket of this or another node; a node then never gets its HTTP port (seen in CI).
     */
    static int freePort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 20_000 + RANDOM.nextInt(12_000);
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException inUse) {
                // taken: try another
            }
        }
        throw new IOException("no free port between 20000 and 32000");
    }

    private static final java.util.Random RANDOM = new java.security.SecureRandom();

    /**
     * {@link #deleteTree} for a test's {@code finally}: what cannot be deleted is left, so that a cleanup failure
     * never hides the test's own.
     */
    static void deleteTreeQuietly(Path dir) {
        try {
            deleteTree(dir);
        } catch (IOException | java.io.UncheckedIOException e) {
            // left for the temp folder's owner; the test's outcome is what counts
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
