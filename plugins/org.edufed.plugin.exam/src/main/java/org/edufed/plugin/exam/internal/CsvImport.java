package org.edufed.plugin.exam.internal;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Registrations from a CSV file: the header and size checked first, then every row checked as a single
 * registration would be; each good row is stored in its own transaction (registration and upward record
 * together), so a broken row never leaves half of anything and never stops the good ones.
 */
final class CsvImport {

    static final int MAX_ROWS = 10_000;
    static final int MAX_BYTES = 4 * 1024 * 1024;
    private static final List<String> ZH = List.of("姓名", "身份证号", "监护人电话", "志愿");
    private static final List<String> EN = List.of("name", "idnumber", "guardianphone", "preferences");

    private CsvImport() {}

    record RowError(long line, List<Rules.Problem> problems) {}

    record Report(int rows, int created, List<RowError> refused) {}

    /** Storing one checked registration; {@link ExamStore#register} in the node, a list in tests. */
    interface Sink {
        String register(Rules.Registration r) throws SQLException;
    }

    static Report run(
            byte[] body, String year, ExamStore store, Function<Rules.Registration, List<Rules.Problem>> check)
            throws SQLException {
        return run(body, year, store::register, check);
    }

    static Report run(byte[] body, String year, Sink sink, Function<Rules.Registration, List<Rules.Problem>> check)
            throws SQLException {
        List<CSVRecord> records = records(body, CsvImport::header, "exam.csvHeader");
        int created = 0;
        List<RowError> refused = new ArrayList<>();
        for (CSVRecord rec : records.subList(1, records.size())) {
            long line = rec.getRecordNumber();
            if (rec.size() == 1 && rec.get(0).isEmpty()) {
                continue; // an empty line
            }
            if (rec.size() != 4) {
                refused.add(new RowError(line, List.of(new Rules.Problem("row", "exam.csvColumns"))));
                continue;
            }
            Map<String, List<String>> prefs = preferences(rec.get(3));
            if (prefs == null) {
                refused.add(new RowError(line, List.of(new Rules.Problem("preferences", "exam.csvPreferences"))));
                continue;
            }
            Rules.Registration r =
                    new Rules.Registration(year, rec.get(0), rec.get(1).toUpperCase(Locale.ROOT), rec.get(2), prefs);
            List<Rules.Problem> problems = check.apply(r);
            if (!problems.isEmpty()) {
                refused.add(new RowError(line, problems));
                continue;
            }
            try {
                sink.register(r);
                created++;
            } catch (Rules.Invalid e) {
                refused.add(new RowError(line, e.problems));
            }
        }
        return new Report(records.size() - 1, created, refused);
    }

    /** The rows of a CSV file (UTF-8, an optional BOM), its header checked; the whole file refused when it is not one. */
    static List<CSVRecord> records(byte[] body, java.util.function.Predicate<CSVRecord> header, String headerKey) {
        if (body == null || body.length == 0 || body.length > MAX_BYTES) {
            throw new Rules.Invalid("file", body == null || body.length == 0 ? headerKey : "exam.csvTooLarge");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Rules.Invalid("file", "exam.csvType");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<CSVRecord> records;
        try (CSVParser parser =
                CSVFormat.DEFAULT.builder().setTrim(true).build().parse(new StringReader(text))) {
            records = parser.getRecords();
        } catch (IOException | java.io.UncheckedIOException | IllegalStateException e) {
            throw new Rules.Invalid("file", "exam.csvColumns");
        }
        if (records.isEmpty() || !header.test(records.get(0))) {
            throw new Rules.Invalid("file", headerKey);
        }
        if (records.size() - 1 > MAX_ROWS) {
            throw new Rules.Invalid("file", "exam.csvTooLarge");
        }
        return records;
    }

    private static final List<String> SCORES_ZH = List.of("身份证号", "成绩");
    private static final List<String> SCORES_EN = List.of("idnumber", "score");
    private static final java.util.regex.Pattern SCORE = java.util.regex.Pattern.compile("[0-9]{1,4}(\\.[0-9]{1,2})?");

    /**
     * Scores from a CSV file (header {@code 身份证号,成绩} or {@code idNumber,score}; a score from 0 to 1000 with at
     * most two decimals): the good rows, and every bad row (with its line) added to {@code refused}.
     */
    static List<ExamStore.ScoreRow> scores(byte[] body, List<RowError> refused) {
        List<CSVRecord> records = records(
                body,
                r -> {
                    List<String> cells = new ArrayList<>();
                    r.forEach(c -> cells.add(c.strip().toLowerCase(Locale.ROOT)));
                    return cells.equals(SCORES_ZH) || cells.equals(SCORES_EN);
                },
                "exam.csvScoresHeader");
        List<ExamStore.ScoreRow> rows = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (CSVRecord rec : records.subList(1, records.size())) {
            long line = rec.getRecordNumber();
            if (rec.size() == 1 && rec.get(0).isEmpty()) {
                continue;
            }
            if (rec.size() != 2) {
                refused.add(new RowError(line, List.of(new Rules.Problem("row", "exam.csvColumns"))));
                continue;
            }
            String id = rec.get(0).toUpperCase(Locale.ROOT);
            List<Rules.Problem> problems = new ArrayList<>();
            if (Rules.birthOf(id) == null) {
                problems.add(new Rules.Problem("idNumber", "exam.badIdNumber"));
            } else if (!seen.add(id)) {
                problems.add(new Rules.Problem("idNumber", "exam.duplicateScore"));
            }
            java.math.BigDecimal score = null;
            if (SCORE.matcher(rec.get(1)).matches()) {
                score = new java.math.BigDecimal(rec.get(1));
            }
            if (score == null || score.compareTo(java.math.BigDecimal.valueOf(1000)) > 0) {
                problems.add(new Rules.Problem("score", "exam.badScore"));
            }
            if (problems.isEmpty()) {
                rows.add(new ExamStore.ScoreRow(line, id, score));
            } else {
                refused.add(new RowError(line, problems));
            }
        }
        return rows;
    }

    private static boolean header(CSVRecord r) {
        if (r.size() != 4) {
            return false;
        }
        List<String> cells = new ArrayList<>();
        r.forEach(c -> cells.add(c.strip().toLowerCase(Locale.ROOT)));
        return cells.equals(ZH) || cells.equals(EN);
    }

    /** {@code 1:5101040001|5101040002;2:5101040003}, or {@code null} when it does not read so. */
    static Map<String, List<String>> preferences(String text) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String part : text.split(";")) {
            int colon = part.indexOf(':');
            if (colon <= 0) {
                return null;
            }
            List<String> schools = new ArrayList<>();
            for (String s : part.substring(colon + 1).split("\\|")) {
                if (!s.isBlank()) {
                    schools.add(s.strip());
                }
            }
            if (out.put(part.substring(0, colon).strip(), schools) != null) {
                return null;
            }
        }
        return out;
    }
}
