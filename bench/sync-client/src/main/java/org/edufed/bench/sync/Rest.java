package org.edufed.bench.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** JSON over HTTP to one server, as its admin (HTTP Basic) or anonymously (the baseline). */
final class Rest {

    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String base;
    private final String authorization;

    private Rest(String base, String authorization) {
        this.base = base;
        this.authorization = authorization;
    }

    static Rest anonymous(String base) {
        return new Rest(base, null);
    }

    /** The node's admin; the password comes from the environment variable named, never from the command line. */
    static Rest admin(String base, String passwordVariable) {
        String password = System.getenv(passwordVariable);
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException(passwordVariable + " is not set");
        }
        String basic = Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
        return new Rest(base, "Basic " + basic);
    }

    String base() {
        return base;
    }

    /** Sends a request and returns the answer's JSON; fails unless the answer has the expected status. */
    JsonNode call(String method, String path, byte[] body, int expected) throws IOException, InterruptedException {
        return json(send(method, path, body), expected);
    }

    HttpResponse<byte[]> send(String method, String path, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofMinutes(5))
                .header("Accept", "application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The answer's JSON; fails unless the answer has the expected status. */
    static JsonNode json(HttpResponse<byte[]> r, int expected) throws IOException {
        if (r.statusCode() != expected) {
            throw new IOException(r.request().method() + " " + r.uri() + " answered " + r.statusCode() + ": "
                    + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        return call("GET", path, null, 200);
    }

    // --- a node's sync status (GET /api/v1/federation/status) -------------------------------------

    JsonNode status() throws IOException, InterruptedException {
        return get("/api/v1/federation/status");
    }

    /** The last sequence number on this node's own feed. */
    long feedHead() throws IOException, InterruptedException {
        return status().path("feed").path("head").asLong();
    }

    /** How far this node has applied its parent's feed. */
    long feedWatermark() throws IOException, InterruptedException {
        return status().path("feed").path("watermark").asLong();
    }

    /** How many records of an upward topic this node holds. */
    long records(String topic) throws IOException, InterruptedException {
        for (JsonNode t : status().path("topics")) {
            if (topic.equals(t.path("name").asText())) {
                return t.path("records").asLong();
            }
        }
        return 0;
    }
}
