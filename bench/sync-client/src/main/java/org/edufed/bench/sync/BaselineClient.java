package org.edufed.bench.sync;

import java.util.List;

/**
 * Posts to the {@link BaselineServer} the same bodies the nodes get (the settings of the downward run, then
 * the reports of the upward run), one at a time. Every answer means committed, so each rate is n over the time
 * from the first call to the last answer.
 *
 * <p>Usage: {@code BaselineClient <baseUrl> <n>}. Prints {@code baseline_down_rps <r>} and
 * {@code baseline_up_rps <r>} on standard output.
 */
public final class BaselineClient {

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: BaselineClient <baseUrl> <n>");
            System.exit(2);
        }
        Rest baseline = Rest.anonymous(args[0]);
        int n = Integer.parseInt(args[1]);
        List<byte[]> settings = Batches.settings(NodeDriver.DOWN_PREFIX, n);
        List<byte[]> reports = Batches.reports(n);

        double down = Batches.post(baseline, Batches.SETTINGS, settings, 200).seconds();
        System.err.printf("  baseline: %,d settings inserted in %.2f s%n", n, down);
        double up = Batches.post(baseline, Batches.REPORTS, reports, 201).seconds();
        System.err.printf("  baseline: %,d reports inserted in %.2f s%n", n, up);
        System.out.printf("baseline_down_rps %.2f%nbaseline_up_rps %.2f%n", n / down, n / up);
    }
}
