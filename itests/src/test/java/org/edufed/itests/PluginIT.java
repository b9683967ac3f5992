package org.edufed.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The plugin platform across a province, a county and a school on loopback: a vendor generates a plugin from
 * the SDK archetype and builds it; the province certifies it (SM2, detached CMS) and lists it as mandatory; it
 * travels down through the exchange and answers at the school two levels down. Then what must be refused is:
 * an upgrade whose code uses a permission its descriptor does not declare fails and rolls back to the running
 * version; a tampered and an unsigned archive planted by the county are refused at the school with the reason
 * shown; a revoked plugin is stopped.
 */
class PluginIT {

    static final Path WORK =
            Path.of(System.getProperty("edufed.work.dir", "target/it-nodes")).resolve("plugin-sdk");
    static final String ID = "cn.example.hello";

    @Test
    void aVendorPluginCertifiedAtTheProvinceRunsAtTheSchool() throws Exception {
        Path v100 = generate("1.0.0");
        // three more versions of it, each with a fault of its own, copied from the generated project before it is
        // built (generating each anew took 6 s a time here):
        // the same plugin whose descriptor forgets a permission its code checks
        Path v101 = version(v100, "1.0.1");
        Path descriptor = v101.resolve("src/main/resources/META-INF/edufed-plugin.json");
        Files.writeString(
                descriptor, Files.readString(descriptor).replace("\"hello:read\", \"hello:write\"", "\"hello:read\""));
        // a version for a kernel API this node does not have
        Path v200 = version(v100, "2.0.0");
        Path d200 = v200.resolve("src/main/resources/META-INF/edufed-plugin.json");
        Files.writeString(
                d200, Files.readString(d200).replace("\"kernelApi\": \"[0.1,1)\"", "\"kernelApi\": \"[9.0,10)\""));
        // a version whose health check never passes
        Path v102 = version(v100, "1.0.2");
        Path health = v102.resolve("src/main/java/cn/example/hello/internal/ExampleHealth.java");
        String healthy = Files.readString(health);
        assertTrue(healthy.contains("return Result.ok(store.count() + \" notes\");"), healthy);
        Files.writeString(
                health,
                healthy.replace(
                        "return Result.ok(store.count() + \" notes\");",
                        "return store.count() < 0 ? Result.ok(\"\") : Result.fail(\"deliberately unhealthy\");"));

        // as the vendor builds it: unit tests, the archive, and the generated integration test, which boots a school
        // node from the distribution, publishes the archive there and drives the plugin over HTTP
        byte[] kar = build(v100, "verify");
        assertTrue(
                Files.readString(v100.resolve("target/failsafe-reports/failsafe-summary.xml"))
                        .contains("<completed>1</completed>"),
                "the generated integration test ran");
        // the faulty versions: archives only, in one Maven run (their tests are 1.0.0's, which passed)
        mvn(aggregate(v101, v200, v102), "package", "-DskipTests");
        byte[] undeclared = kar(v101);
        byte[] incompatible = kar(v200);
        byte[] unhealthy = kar(v102);

        try (KarafNode province = KarafNode.unpack("province", "plugin-province");
                KarafNode county = KarafNode.unpack("county", "plugin-county");
                KarafNode school = KarafNode.unpack("school", "plugin-school")) {
            // every node gives a new version 10 s to become healthy (60 s by default)
            for (KarafNode n : List.of(province, county, school)) {
                Files.writeString(n.home().resolve("etc/org.edufed.plugins.cfg"), "health.seconds = 10\n");
            }
            FederationIT.Tree tree = FederationIT.startTree(province, county, school, "锦江区示范小学");
            String pp = tree.province();
            String cp = tree.county();
            String sp = tree.school();

            // the certification root reaches the school
            JsonNode trust = FederationIT.await(() -> {
                HttpResponse<String> r = school.get("/api/v1/plugins/trust", "admin", sp);
                return r.statusCode() == 200 ? KarafNode.json(r) : null;
            });
            assertTrue(trust.path("subject").asText().contains("插件认证根证书"), trust.toString());

            // only the province certifies
            assertEquals(
                    409, postBinary(county, cp, "/api/v1/plugins/certify", kar).statusCode());
            JsonNode cert = KarafNode.json(postBinary(province, pp, "/api/v1/plugins/certify", kar));
            assertEquals("SM3withSM2", cert.path("algorithm").asText());
            assertEquals(ID, cert.path("id").asText());
            String signature = cert.path("signature").asText();

            // listed as mandatory at the province: it runs at the school, two levels down
            long published = System.nanoTime();
            HttpResponse<String> pub = publish(province, pp, kar, signature, "locked");
            assertEquals(200, pub.statusCode(), pub.body());
            JsonNode running = awaitState(school, sp, "1.0.0", "running");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - published);
            System.out.println("PluginIT: published at the province → running at the school in " + ms + " ms");
            assertTrue(running.path("mandatory").asBoolean());
            assertTrue(running.path("setBy").asText().contains("510000"));
            JsonNode hello = KarafNode.json(school.get("/api/v1/hello?name=" + enc("李雷"), "admin", sp));
            assertEquals("你好，李雷！", hello.path("greeting").asText());
            assertEquals("2151010001", hello.path("node").asText());
            // its inheritable setting, set at the province, reaches the school (the province installs the plugin
            // for itself as it publishes it, on its own time: its topic is known once that install has run)
            awaitState(province, pp, "1.0.0", "running");
            HttpResponse<String> set = FederationIT.await(() -> {
                HttpResponse<String> r = province.sendJson(
                        "PUT",
                        "/api/v1/inherited/hello.settings/greeting",
                        "admin",
                        pp,
                        "{\"value\":\"欢迎，{name}！\",\"mode\":\"locked\"}");
                return r.statusCode() == 404 ? null : r;
            });
            assertEquals(200, set.statusCode(), set.body());
            FederationIT.await(() -> KarafNode.json(school.get("/api/v1/hello?name=" + enc("李雷"), "admin", sp))
                            .path("greeting")
                            .asText()
                            .equals("欢迎，李雷！")
                    ? true
                    : null);
            // its upward topic: a note written at the school is seen at the province
            assertEquals(
                    201,
                    school.postJson("/api/v1/hello/notes", "admin", sp, "{\"text\":\"学校的留言\"}")
                            .statusCode());
            FederationIT.await(() ->
                    province.get("/api/v1/hello/notes", "admin", pp).body().contains("学校的留言") ? true : null);
            // its console page is in the school's console
            ConsoleSession console = ConsoleSession.login(school, "admin", sp);
            assertTrue(console.get("/console/hello").body().contains("欢迎，admin！"));
            // the province sees every node's status
            FederationIT.await(() -> {
                String s = province.get("/api/v1/plugins/status", "admin", pp).body();
                return s.contains("\"node\":\"2151010001\"") && s.contains("\"node\":\"510104\"") ? true : null;
            });

            // an upgrade whose code checks a permission it did not declare: refused at the REST API, rolled back
            String sig101 = KarafNode.json(postBinary(province, pp, "/api/v1/plugins/certify", undeclared))
                    .path("signature")
                    .asText();
            assertEquals(
                    200, publish(province, pp, undeclared, sig101, "locked").statusCode());
            JsonNode failed = awaitState(school, sp, "1.0.1", "failed");
            assertTrue(failed.path("reason").asText().contains("hello:write"), failed.toString());
            assertEquals("1.0.0", failed.path("runningVersion").asText(), "the running version was put back");
            FederationIT.await(() -> school.get("/api/v1/hello", "admin", sp).statusCode() == 200 ? true : null);
            assertTrue(school.log().contains("not in its certified descriptor"));

            // a dry run at the school reports a deliberately incompatible version before anything changes
            JsonNode report = KarafNode.json(postBinary(school, sp, "/api/v1/plugins/check", incompatible));
            assertFalse(report.path("ok").asBoolean(), report.toString());
            assertFalse(check(report, "kernelApi").path("ok").asBoolean(), report.toString());
            assertTrue(check(report, "kernelApi").path("detail").asText().contains("9.0"), report.toString());
            assertTrue(check(report, "packages").path("ok").asBoolean(), report.toString());
            assertTrue(check(report, "upgrade").path("detail").asText().contains("1.0.0"), report.toString());
            assertEquals(
                    "1.0.0",
                    awaitState(school, sp, "1.0.1", "failed")
                            .path("runningVersion")
                            .asText());
            // the genuine archive with its signature checks out: signature, resolution, migrations
            ObjectNode withSig = KarafNode.JSON.createObjectNode();
            withSig.put("archive", Base64.getEncoder().encodeToString(kar));
            withSig.put("signature", signature);
            JsonNode good = KarafNode.json(school.postJson("/api/v1/plugins/check", "admin", sp, withSig.toString()));
            assertTrue(good.path("ok").asBoolean(), good.toString());
            assertTrue(check(good, "signature").path("detail").asText().contains("SM3withSM2"), good.toString());
            assertTrue(check(good, "migrations").path("detail").asText().contains("db/V1.sql"), good.toString());
            // a node cannot roll back below a mandatory version
            assertEquals(
                    409,
                    school.postJson("/api/v1/plugins/" + ID + "/pin", "admin", sp, "{\"version\":\"1.0.0\"}")
                            .statusCode());
            // the province sees the rollout node by node
            JsonNode rollout = FederationIT.await(() -> {
                JsonNode r = KarafNode.json(province.get("/api/v1/plugins/" + ID + "/rollout", "admin", pp));
                return r.size() == 3
                                && r.toString()
                                        .contains(
                                                "\"code\":\"2151010001\",\"name\":\"锦江区示范小学\",\"level\":\"school\",\"state\":\"failed\"")
                        ? r
                        : null;
            });
            assertEquals("510000", rollout.get(0).path("code").asText());
            // the console does the same: the rollout table at the province, a dry run uploaded at the school
            // (the report, nothing changed), a roll back under the mandatory entry refused with the reason
            String rolloutPage = ConsoleSession.login(province, "admin", pp)
                    .get("/console/plugins?rollout=" + ID)
                    .body();
            assertTrue(
                    rolloutPage.contains("data-node=\"2151010001\" data-state=\"failed\"")
                            && rolloutPage.contains("data-node=\"510104\""),
                    rolloutPage);
            String plugins = console.get("/console/plugins").body();
            String dry = console.postMultipart(
                            "/console/plugins",
                            Map.of("action", "check"),
                            Map.of("archive", incompatible),
                            ConsoleSession.csrf(plugins))
                    .body();
            assertTrue(dry.contains("data-ok=\"false\"") && dry.contains("kernelApi"), dry);
            String pinned = console.post(
                            "/console/plugins",
                            Map.of("action", "pin", "id", ID, "version", "1.0.0"),
                            ConsoleSession.csrf(plugins))
                    .body();
            assertTrue(pinned.contains("设为必装"), pinned);

            // an upgrade whose health check does not pass within the school's health time: rolled back
            String sig102 = KarafNode.json(postBinary(province, pp, "/api/v1/plugins/certify", unhealthy))
                    .path("signature")
                    .asText();
            assertEquals(200, publish(province, pp, unhealthy, sig102, "locked").statusCode());
            JsonNode sick = awaitState(school, sp, "1.0.2", "failed");
            assertTrue(
                    sick.path("reason").asText().contains("健康检查 hello 未通过")
                            && sick.path("reason").asText().contains("deliberately unhealthy"),
                    sick.toString());
            assertEquals("1.0.0", sick.path("runningVersion").asText(), "the running version was put back");
            FederationIT.await(() -> school.get("/api/v1/hello", "admin", sp).statusCode() == 200 ? true : null);

            // a county (compromised, or mistaken) plants archives through the raw item API: the school refuses them
            String genuine = running.path("digest").asText();
            byte[] tampered = kar.clone();
            tampered[tampered.length / 2] ^= 0x5a;
            plant(
                    county,
                    cp,
                    "cn.example.tampered",
                    "ab".repeat(32),
                    tampered,
                    tampered.length,
                    signature,
                    running.path("descriptor"));
            plant(county, cp, "cn.example.unsigned", genuine, null, kar.length, null, running.path("descriptor"));
            JsonNode t = awaitState(school, sp, "cn.example.tampered", "1.0.0", "refused");
            assertTrue(t.path("reason").asText().contains("篡改"), t.toString());
            JsonNode u = awaitState(school, sp, "cn.example.unsigned", "1.0.0", "refused");
            assertTrue(u.path("reason").asText().contains("没有认证签名"), u.toString());
            // and the county's own publish endpoint refuses an unsigned archive outright
            HttpResponse<String> unsignedAtCounty = publish(county, cp, kar, null, "overridable");
            assertEquals(422, unsignedAtCounty.statusCode());
            assertTrue(KarafNode.json(unsignedAtCounty).path("detail").asText().contains("未认证"));
            // the school's console shows why, in Chinese
            String page = console.get("/console/plugins").body();
            assertTrue(page.contains("安装包已被篡改"), page);
            assertTrue(page.contains("没有认证签名"), page);

            // the operator's shell shows the same
            String shell = school.shell("edufed:plugins");
            assertTrue(shell.contains("cn.example.tampered") && shell.contains("refused"), shell);

            // revoked at the province: the running plugin is stopped at the school
            assertEquals(
                    204,
                    province.postJson(
                                    "/api/v1/plugins/revocations",
                                    "admin",
                                    pp,
                                    "{\"key\":\"" + genuine + "\",\"reason\":\"安全漏洞\"}")
                            .statusCode());
            JsonNode revoked = awaitState(school, sp, ID, "1.0.0", "revoked");
            assertFalse(revoked.path("reason").asText().isEmpty());
            FederationIT.await(() -> {
                try {
                    return school.get("/api/v1/hello", "admin", sp).statusCode() == 404 ? true : null;
                } catch (java.net.http.HttpTimeoutException slow) {
                    return null; // the REST endpoint is being rebuilt without the plugin: ask again
                }
            });
        }
    }

    // --- the vendor's side: the archetype and Maven ------------------------------------------------

    static Path generate(String version) throws Exception {
        Path dir = WORK.resolve(version);
        KarafNode.deleteTree(dir);
        Files.createDirectories(dir);
        mvn(
                dir,
                "archetype:generate",
                "-DarchetypeGroupId=org.edufed",
                "-DarchetypeArtifactId=org.edufed.sdk.archetype",
                "-DarchetypeVersion=" + System.getProperty("edufed.version", "0.1.0-SNAPSHOT"),
                "-DgroupId=cn.example",
                "-DartifactId=" + ID,
                "-Dversion=" + version,
                "-Ddomain=hello",
                "-DpluginNameZh=示例插件",
                "-DinteractiveMode=false");
        return dir.resolve(ID);
    }

    /**
     * A copy of a generated (not yet built) project as another version: the same sources, the project's own
     * {@code <version>} in its POM replaced (the archetype writes the version nowhere else).
     */
    static Path version(Path generated, String version) throws IOException {
        Path dir = WORK.resolve(version);
        KarafNode.deleteTree(dir);
        Path copy = dir.resolve(ID);
        try (var files = Files.walk(generated)) {
            for (Path from : (Iterable<Path>) files::iterator) {
                Path to = copy.resolve(generated.relativize(from).toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(from, to);
                }
            }
        }
        Path pom = copy.resolve("pom.xml");
        String text = Files.readString(pom);
        // generate(v) puts the project in WORK/v/ID
        String own = "<version>" + generated.getParent().getFileName() + "</version>";
        assertTrue(text.contains(own), "the generated POM names its version: " + own);
        Files.writeString(pom, text.replaceFirst(Pattern.quote(own), "<version>" + version + "</version>"));
        return copy;
    }

    /** A POM that builds the projects in one Maven run (a reactor); returns its folder. */
    static Path aggregate(Path... projects) throws IOException {
        Path dir = WORK.resolve("variants");
        KarafNode.deleteTree(dir);
        Files.createDirectories(dir);
        StringBuilder modules = new StringBuilder();
        for (Path p : projects) {
            modules.append("<module>").append(dir.relativize(p)).append("</module>");
        }
        Files.writeString(
                dir.resolve("pom.xml"),
                "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>"
                        + "<groupId>cn.example.test</groupId><artifactId>variants</artifactId><version>1</version>"
                        + "<packaging>pom</packaging><modules>" + modules + "</modules></project>\n");
        return dir;
    }

    static byte[] build(Path project, String phase) throws Exception {
        mvn(project, phase);
        return kar(project);
    }

    /** The plugin archive a build of the project made. */
    static byte[] kar(Path project) throws IOException {
        try (var files = Files.list(project.resolve("target"))) {
            Path kar = files.filter(p -> p.toString().endsWith("-plugin.kar"))
                    .findFirst()
                    .orElseThrow();
            return Files.readAllBytes(kar);
        }
    }

    static void mvn(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-q", "-ntp"));
        String repo = System.getProperty("edufed.m2.repo");
        if (repo != null && !repo.isBlank()) {
            cmd.add("-Dmaven.repo.local=" + repo);
        }
        cmd.addAll(List.of(args));
        Path log = dir.resolve("mvn.log");
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("mvn " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("mvn " + String.join(" ", args) + " failed:\n" + Files.readString(log));
        }
    }

    // --- the nodes' side ---------------------------------------------------------------------------

    static HttpResponse<String> postBinary(KarafNode node, String password, String path, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
                .header("Content-Type", "application/octet-stream")
                .header("Authorization", KarafNode.basic("admin", password))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return node.raw(b);
    }

    static HttpResponse<String> publish(KarafNode node, String password, byte[] kar, String signature, String mode)
            throws IOException, InterruptedException {
        ObjectNode o = KarafNode.JSON.createObjectNode();
        o.put("archive", Base64.getEncoder().encodeToString(kar));
        if (signature != null) {
            o.put("signature", signature);
        }
        o.put("mode", mode);
        o.put("enabled", true);
        return node.postJson("/api/v1/plugins/packages", "admin", password, o.toString());
    }

    /**
     * Writes a catalogue entry and its archive parts (as a publish cuts them) as raw inheritable items, bypassing
     * the publish checks; with no archive, only the entry (for an archive of {@code size} bytes already there).
     */
    static void plant(
            KarafNode county,
            String password,
            String id,
            String digest,
            byte[] archive,
            int size,
            String signature,
            JsonNode d)
            throws Exception {
        int partBytes = 22_500; // PluginTopics.PART_BYTES
        int parts = (size + partBytes - 1) / partBytes;
        for (int i = 0; archive != null && i < parts; i++) {
            ObjectNode part = KarafNode.JSON.createObjectNode();
            part.put(
                    "value",
                    Base64.getEncoder()
                            .encodeToString(java.util.Arrays.copyOfRange(
                                    archive, i * partBytes, Math.min(archive.length, (i + 1) * partBytes))));
            part.put("mode", "locked");
            HttpResponse<String> r =
                    put(county, password, "/api/v1/inherited/plugin.archives/" + digest + "." + i, part);
            assertEquals(200, r.statusCode(), r.body());
        }
        ObjectNode entry = KarafNode.JSON.createObjectNode();
        entry.put("id", id);
        entry.put("version", "1.0.0");
        entry.put("digest", digest);
        entry.put("size", size);
        entry.put("parts", parts);
        if (signature != null) {
            entry.put("signature", signature);
        }
        entry.set("descriptor", d);
        entry.put("enabled", true);
        entry.putArray("levels").add("school");
        ObjectNode item = KarafNode.JSON.createObjectNode();
        item.set("value", entry);
        item.put("mode", "locked");
        HttpResponse<String> r = put(county, password, "/api/v1/inherited/plugin.catalogue/" + id, item);
        assertEquals(200, r.statusCode(), r.body());
    }

    /** A PUT, again after a 503 (the REST API is rebuilt for a moment whenever a plugin comes or goes). */
    static HttpResponse<String> put(KarafNode node, String password, String path, JsonNode body) throws Exception {
        return FederationIT.await(() -> {
            HttpResponse<String> r = node.sendJson("PUT", path, "admin", password, body.toString());
            return r.statusCode() == 503 ? null : r;
        });
    }

    static JsonNode awaitState(KarafNode node, String password, String version, String state) throws Exception {
        return awaitState(node, password, ID, version, state);
    }

    static JsonNode awaitState(KarafNode node, String password, String id, String version, String state)
            throws Exception {
        return FederationIT.await(() -> {
            HttpResponse<String> r = node.get("/api/v1/plugins/" + id, "admin", password);
            if (r.statusCode() != 200) {
                return null;
            }
            JsonNode p = KarafNode.json(r);
            return p.path("version").asText().equals(version)
                            && p.path("state").asText().equals(state)
                    ? p
                    : null;
        });
    }

    static JsonNode check(JsonNode report, String name) {
        for (JsonNode c : report.path("checks")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + report);
    }

    static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
