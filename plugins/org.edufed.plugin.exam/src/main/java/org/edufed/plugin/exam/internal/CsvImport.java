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

    static Report run(byte[] body, String year, Sink sink, Function<Rules.Registration, List<Rules.Problem>> check)
            throws SQLException {
        return run(body, year, List.of(), sink, check);
    }

    /** Checks and stores every row of a file, a report at the end (what an import job does, row by row). */
    static Report run(
            byte[] body,
            String year,
            List<Rules.Field> fields,
            Sink sink,
            Function<Rules.Registration, List<Rules.Problem>> check)
            throws SQLException {
        File file = parse(body, fields);
        int created = 0;
        List<RowError> refused = new ArrayList<>();
        for (int i = 0; i < file.rows(); i++) {
            Row row = file.row(i, year, check);
            if (row.error() != null) {
                refused.add(row.error());
            } else if (row.registration() != null) {
                try {
                    sink.register(row.registration());
                    created++;
                } catch (Rules.Invalid e) {
                    refused.add(new RowError(row.line(), e.problems));
                }
            }
        }
        return new Report(file.rows(), created, refused);
    }

    /** One row of a file: a registration to store, or what is wrong with it; neither for an empty line. */
    record Row(long line, Rules.Registration registration, RowError error) {}

    /**
     * A registrations file read and its header checked: the records (the header first) and the extra field each
     * column after the four fixed ones stands for.
     */
    record File(List<CSVRecord> records, List<String> extraColumns) {

        /** Rows after the header (empty lines included). */
        int rows() {
            return records.size() - 1;
        }

        /** The {@code i}-th row after the header, checked. */
        Row row(int i, String year, Function<Rules.Registration, List<Rules.Problem>> check) {
            CSVRecord rec = records.get(i + 1);
            long line = rec.getRecordNumber();
            if (rec.size() == 1 && rec.get(0).isEmpty()) {
                return new Row(line, null, null); // an empty line
            }
            if (rec.size() != 4 + extraColumns.size()) {
                return new Row(line, null, new RowError(line, List.of(new Rules.Problem("row", "exam.csvColumns"))));
            }
            Map<String, List<String>> prefs = preferences(rec.get(3));
            if (prefs == null) {
                return new Row(
                        line,
                        null,
                        new RowError(line, List.of(new Rules.Problem("preferences", "exam.csvPreferences"))));
            }
            Map<String, String> extra = new LinkedHashMap<>();
            for (int c = 0; c < extraColumns.size(); c++) {
                extra.put(extraColumns.get(c), rec.get(4 + c));
            }
            Rules.Registration r = new Rules.Registration(
                    year, rec.get(0), rec.get(1).toUpperCase(Locale.ROOT), rec.get(2), prefs, extra);
            List<Rules.Problem> problems = check.apply(r);
            return problems.isEmpty() ? new Row(line, r, null) : new Row(line, null, new RowError(line, problems));
        }
    }

    /**
     * A registrations file: UTF-8 (an optional BOM), header {@code 姓名,身份证号,监护人电话,志愿} (or English), then
     * one column per extra field the year asks for, named by its code or its label.
     *
     * @throws Rules.Invalid the whole file refused: empty, too large, not UTF-8, a wrong header
     */
    static File parse(byte[] body, List<Rules.Field> fields) {
        List<String> extra = new ArrayList<>();
        List<CSVRecord> records = records(
                body,
                r -> {
                    if (r.size() < 4) {
                        return false;
                    }
                    List<String> cells = new ArrayList<>();
                    r.forEach(c -> cells.add(c.strip().toLowerCase(Locale.ROOT)));
                    if (!cells.subList(0, 4).equals(ZH) && !cells.subList(0, 4).equals(EN)) {
                        return false;
                    }
                    for (int i = 4; i < r.size(); i++) {
                        String cell = r.get(i).strip();
                        Rules.Field f = fields.stream()
                                .filter(x -> x.code().equalsIgnoreCase(cell)
                                        || x.labelZh().equals(cell)
                                        || x.labelEn().equalsIgnoreCase(cell))
                                .findFirst()
                                .orElseThrow(() -> new Rules.Invalid("file", "exam.csvUnknownColumn"));
                        if (extra.contains(f.code())) {
                            throw new Rules.Invalid("file", "exam.csvUnknownColumn");
                        }
                        extra.add(f.code());
                    }
                    return true;
                },
                "exam.csvHeader");
        return new File(records, List.copyOf(extra));
    }

    /**
     * The text of a CSV file: UTF-8 (an optional BOM), or else GB18030 — what Excel writes on a Chinese Windows
     * ("CSV (逗号分隔)" is GBK, which GB18030 contains); refused when it is neither.
     */
    static String text(byte[] body) {
        String text;
        try {
            text = decode(StandardCharsets.UTF_8, body);
        } catch (CharacterCodingException e) {
            try {
                text = decode(java.nio.charset.Charset.forName("GB18030"), body);
            } catch (CharacterCodingException | IllegalArgumentException notGb) {
                throw new Rules.Invalid("file", "exam.csvType");
            }
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    private static String decode(java.nio.charset.Charset charset, byte[] body) throws CharacterCodingException {
        return charset.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body))
                .toString();
    }

    /** The rows of a CSV file ({@link #text}), its header checked; the whole file refused when it is not one. */
    static List<CSVRecord> records(byte[] body, java.util.function.Predicate<CSVRecord> header, String headerKey) {
        if (body == null || body.length == 0 || body.length > MAX_BYTES) {
            throw new Rules.Invalid("file", body == null || body.length == 0 ? headerKey : "exam.csvTooLarge");
        }
        String text = text(body);
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
