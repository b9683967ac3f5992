package org.edufed.itests;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** A browser-like session with a node's web console: cookies, and the CSRF token its forms carry. */
final class ConsoleSession {

    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    private final KarafNode node;
    private final HttpClient http = HttpClient.newBuilder()
            .cookieHandler(new CookieManager())
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private ConsoleSession(KarafNode node) {
        this.node = node;
    }

    /** Logs in through the login form. */
    static ConsoleSession login(KarafNode node, String user, String password) throws Exception {
        ConsoleSession s = new ConsoleSession(node);
        String form = s.get("/console/login").body();
        HttpResponse<String> done =
                s.post("/console/login", Map.of("username", user, "password", password), csrf(form));
        if (done.statusCode() != 200 || done.uri().getPath().endsWith("/login")) {
            throw new AssertionError("console login failed: " + done.statusCode());
        }
        return s;
    }

    /**
     * Logs in through the login form, whatever the landing page answers (a user who may not see the overview lands
     * on a 403 page, still logged in).
     */
    static ConsoleSession loginLanding(KarafNode node, String user, String password) throws Exception {
        ConsoleSession s = new ConsoleSession(node);
        String form = s.get("/console/login").body();
        HttpResponse<String> done =
                s.post("/console/login", Map.of("username", user, "password", password), csrf(form));
        if (done.uri().getPath().endsWith("/login")) {
            throw new AssertionError("console login of " + user + " failed: " + done.statusCode());
        }
        return s;
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Posts a form with the given CSRF token ({@code null}: none). */
    HttpResponse<String> post(String path, Map<String, String> fields, String csrf) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(fields);
        if (csrf != null) {
            all.put("csrf", csrf);
        }
        String body = all.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return http.send(
                HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Posts a multipart form (fields, then files by field name) with the given CSRF token. */
    HttpResponse<String> postMultipart(String path, Map<String, String> fields, Map<String, byte[]> files, String csrf)
            throws Exception {
        String boundary = "edufed" + System.nanoTime();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        Map<String, String> all = new LinkedHashMap<>(fields);
        all.put("csrf", csrf);
        for (Map.Entry<String, String> e : all.entrySet()) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + e.getKey() + "\"\r\n\r\n"
                            + e.getValue() + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            body.writeBytes(
                    ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + e.getKey() + "\"; filename=\""
                                    + e.getKey() + ".bin\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                            .getBytes(StandardCharsets.UTF_8));
            body.writeBytes(e.getValue());
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return http.send(
                HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The CSRF token of the first form in a page. */
    static String csrf(String html) {
        Matcher m = CSRF.matcher(html);
        if (!m.find()) {
            throw new AssertionError("no CSRF field in the page");
        }
        return m.group(1);
    }
}
