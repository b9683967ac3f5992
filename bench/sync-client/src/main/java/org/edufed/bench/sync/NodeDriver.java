package org.edufed.bench.sync;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;

/**
 * Bulk changes between two real nodes, a province and a county enrolled under it, each way timed from the
 * first call to the moment the other node has applied everything:
 *
 * <ul>
 *   <li>down: n settings posted at the province ({@code POST /api/v1/settings/batch}); done when the county's
 *       feed watermark reaches the province's feed head (read after the last post);
 *   <li>up: n reports posted at the county ({@code POST /api/v1/reports/batch}); done when the province holds
 *       n more {@code reports} records than before.
 * </ul>
 *
 * <p>Usage: {@code NodeDriver <provinceUrl> <countyUrl> <n>}, admin passwords in {@code EDUFED_PROVINCE_PASSWORD}
 * and {@code EDUFED_COUNTY_PASSWORD}. Prints {@code down_rps}, {@code up_rps}, {@code down_s}, {@code up_s} and
 * {@code retried_calls} (calls sent again after a server error) on standard output, name and value per line.
 */
public final class NodeDriver {

    static final String DOWN_PREFIX = "bench.k";
    /**
     * How often the arrival is checked: the resolution of the figures. Not more often: the status call counts
     * every topic's records, which costs the node a few percent of its CPU at 10^5 records and two calls a second.
     */
    private static final long POLL_MS = 500;
    private static final long TIMEOUT_MS = 30 * 60 * 1000L;

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: NodeDriver <provinceUrl> <countyUrl> <n>");
            System.exit(2);
        }
        Rest province = Rest.admin(args[0], "EDUFED_PROVINCE_PASSWORD");
        Rest county = Rest.admin(args[1], "EDUFED_COUNTY_PASSWORD");
        int n = Integer.parseInt(args[2]);
        List<byte[]> settings = Batches.settings(DOWN_PREFIX, n);
        List<byte[]> reports = Batches.reports(n);

        // untimed: the county starts level with the province's feed
        long start = province.feedHead();
        await(() -> county.feedWatermark() >= start, "the county to catch up with the province's feed");

        long t0 = System.nanoTime();
        Batches.Posted downPost = Batches.post(province, Batches.SETTINGS, settings, 200);
        long head = province.feedHead();
        await(() -> county.feedWatermark() >= head, "the county to apply the province's feed up to " + head);
        double downSeconds = Batches.seconds(t0);
        String last = String.format("%s%06d", DOWN_PREFIX, n);
        JsonNode arrived = county.get("/api/v1/settings/" + last);
        if (!arrived.path("value").asText().startsWith("value of " + last)) {
            throw new IOException("the county's " + last + " is not the province's: " + arrived);
        }
        System.err.printf(
                "  down: %,d settings posted at the province in %.2f s, applied at the county %.2f s after the first"
                        + " post%n",
                n, downPost.seconds(), downSeconds);

        long before = province.records("reports");
        t0 = System.nanoTime();
        Batches.Posted upPost = Batches.post(county, Batches.REPORTS, reports, 201);
        await(() -> province.records("reports") >= before + n, "the province to hold the county's reports");
        double upSeconds = Batches.seconds(t0);
        System.err.printf(
                "  up:   %,d reports posted at the county in %.2f s, held at the province %.2f s after the first"
                        + " post%n",
                n, upPost.seconds(), upSeconds);

        System.out.printf(
                "down_rps %.2f%nup_rps %.2f%ndown_s %.2f%nup_s %.2f%nretried_calls %d%n",
                n / downSeconds,
                n / upSeconds,
                downSeconds,
                upSeconds,
                downPost.retries() + upPost.retries());
    }

    interface Probe {
        boolean done() throws IOException, InterruptedException;
    }

    private static void await(Probe probe, String what) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        while (!probe.done()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("timed out waiting for " + what);
            }
            Thread.sleep(POLL_MS);
        }
    }
}
