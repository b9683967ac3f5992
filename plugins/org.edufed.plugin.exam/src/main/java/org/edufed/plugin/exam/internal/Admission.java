package org.edufed.plugin.exam.internal;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Admission by score and preference (平行志愿): batch by batch in the order the exam year gives, the candidates not
 * yet admitted are taken from the highest score down; each goes to the first school of their preferences in that
 * batch that still has a place. Equal scores are ordered by the year's tie rule; with {@code all-admitted}, a
 * candidate whose score equals the last one a full school took is admitted there too (the quota is exceeded by
 * the tie, as many provinces' rules say). Free of storage: the same input gives the same result.
 */
final class Admission {

    private Admission() {}

    /** A candidate: an approved registration with its score. */
    record Candidate(
            String globalId,
            String name,
            String school,
            BigDecimal score,
            LocalDate birth,
            Instant registeredAt,
            Map<String, List<String>> preferences) {}

    /** Where a candidate was admitted: batch, high school, and rank in that batch's order. */
    record Result(String globalId, String batch, String highSchool, BigDecimal score, int rank) {}

    static Comparator<Candidate> order(String tieRule) {
        Comparator<Candidate> byScore = Comparator.comparing(Candidate::score).reversed();
        Comparator<Candidate> tie =
                switch (tieRule) {
                    case "earlier-birth" -> Comparator.comparing(Candidate::birth);
                    case "earlier-registration" -> Comparator.comparing(Candidate::registeredAt);
                    default -> (a, b) -> 0;
                };
        return byScore.thenComparing(tie).thenComparing(Candidate::globalId);
    }

    /** Runs admission for the year over the plans (quotas per batch) and the candidates. */
    static List<Result> run(Rules.ExamYear year, Map<String, Rules.Plan> plans, List<Candidate> candidates) {
        List<Result> out = new ArrayList<>();
        Set<String> admitted = new HashSet<>();
        boolean tiesAdmitted = "all-admitted".equals(year.tieRule());
        for (Rules.Batch batch : year.batches()) {
            Map<String, Integer> seats = new HashMap<>();
            Map<String, BigDecimal> lastScore = new HashMap<>();
            for (Rules.Plan p : plans.values()) {
                Integer q = p.quotas().get(batch.code());
                if (q != null) {
                    seats.put(p.school(), q);
                }
            }
            List<Candidate> pool = candidates.stream()
                    .filter(c -> !admitted.contains(c.globalId()))
                    .filter(c -> !c.preferences()
                            .getOrDefault(batch.code(), List.of())
                            .isEmpty())
                    .sorted(order(year.tieRule()))
                    .toList();
            int rank = 0;
            for (Candidate c : pool) {
                rank++;
                for (String school : c.preferences().get(batch.code())) {
                    Integer left = seats.get(school);
                    if (left == null) {
                        continue; // a school without a plan in this batch (withdrawn since): next preference
                    }
                    boolean tie = tiesAdmitted
                            && c.score().compareTo(lastScore.getOrDefault(school, BigDecimal.ONE.negate())) == 0;
                    if (left > 0 || tie) {
                        seats.put(school, Math.max(0, left - 1));
                        lastScore.put(school, c.score());
                        admitted.add(c.globalId());
                        out.add(new Result(c.globalId(), batch.code(), school, c.score(), rank));
                        break;
                    }
                }
            }
        }
        return out;
    }
}
