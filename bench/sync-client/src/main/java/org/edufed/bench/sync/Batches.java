package org.edufed.bench.sync;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bulk request bodies, built before any clock starts, so that the nodes and the baseline receive byte
 * for byte the same JSON: n items in bodies of at most {@link #SIZE}, posted one after another.
 */
final class Batches {

    /** Items per request: the most the bulk endpoints take. */
    static final int SIZE = 1000;
    static final String SETTINGS = "/api/v1/settings/batch";
    static final String REPORTS = "/api/v1/reports/batch";

    private static final String FILLER = "0123456789abcdefghijklmnopqrstuvwxyz".repeat(3);

    private Batches() {}

    /** {@code {"items":[{"key":"<prefix>000001","value":"…~100 chars…","mode":"overridable"},…]}} */
    static List<byte[]> settings(String prefix, int n) throws IOException {
        List<byte[]> bodies = new ArrayList<>();
        for (int from = 1; from <= n; from += SIZE) {
            ObjectNode body = Rest.JSON.createObjectNode();
            ArrayNode items = body.putArray("items");
            for (int i = from; i < from + SIZE && i <= n; i++) {
                String key = String.format("%s%06d", prefix, i);
                String value = ("value of " + key + " set at the province " + FILLER).substring(0, 100);
                items.addObject().put("key", key).put("value", value).put("mode", "overridable");
            }
            bodies.add(Rest.JSON.writeValueAsBytes(body));
        }
        return bodies;
    }

    /** {@code {"items":[{"title":"bench report 000001","content":{…a small object…}},…]}} */
    static List<byte[]> reports(int n) throws IOException {
        List<byte[]> bodies = new ArrayList<>();
        for (int from = 1; from <= n; from += SIZE) {
            ObjectNode body = Rest.JSON.createObjectNode();
            ArrayNode items = body.putArray("items");
            for (int i = from; i < from + SIZE && i <= n; i++) {
                ObjectNode item = items.addObject().put("title", String.format("bench report %06d", i));
                item.putObject("content")
                        .put("period", "2025-09")
                        .put("schools", 40 + i % 60)
                        .put("students", 12_000 + i % 5_000)
                        .put("teachers", 900 + i % 300)
                        .put("note", "monthly enrolment figures");
            }
            bodies.add(Rest.JSON.writeValueAsBytes(body));
        }
        return bodies;
    }

    /** How long posting took, and how many calls were sent again after a server error. */
    record Posted(double seconds, int retries) {}

    /**
     * Posts the bodies one after another, each answered with {@code {"count":n}} for its n items; returns
     * the seconds from the first call to the last answer. A call answered with a server error wrote nothing
     * (one transaction per call), so it is sent again, at most twice, and said so on standard error.
     */
    static Posted post(Rest to, String path, List<byte[]> bodies, int expectedStatus)
            throws IOException, InterruptedException {
        int[] sizes = new int[bodies.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = Rest.JSON.readTree(bodies.get(i)).path("items").size();
        }
        int retries = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < sizes.length; i++) {
            HttpResponse<byte[]> r = to.send("POST", path, bodies.get(i));
            for (int again = 0; r.statusCode() >= 500 && again < 2; again++) {
                System.err.printf(
                        "  %s%s answered %d (call %d), sending it again: %s%n",
                        to.base(), path, r.statusCode(), i + 1, new String(r.body(), StandardCharsets.UTF_8));
                retries++;
                r = to.send("POST", path, bodies.get(i));
            }
            int counted = Rest.json(r, expectedStatus).path("count").asInt();
            if (counted != sizes[i]) {
                throw new IOException(to.base() + path + " counted " + counted + " of " + sizes[i] + " items");
            }
        }
        return new Posted(seconds(t0), retries);
    }

    static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
