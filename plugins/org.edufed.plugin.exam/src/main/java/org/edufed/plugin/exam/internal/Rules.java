package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The exam's rules, free of OSGi: an exam year as the province defines it, a county's plan for a high school,
 * and the checks of a registration (GB 11643 ID numbers, names, phones, the window, eligibility, preferences).
 */
final class Rules {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern YEAR = Pattern.compile("20[0-9]{2}");
    static final Pattern SCHOOL_CODE = Pattern.compile("[0-9]{10}");
    /** Chinese names: 2–20 Han characters, with the middle dot of minority names (阿依古丽·买买提). */
    static final Pattern NAME = Pattern.compile("[\\p{IsHan}][\\p{IsHan}·•]{0,18}[\\p{IsHan}]");

    static final Pattern PHONE = Pattern.compile("1[3-9][0-9]{9}");
    private static final int[] WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    private static final String CHECK = "10X98765432";
    /** How ties at the last place of a quota are broken at admission. */
    static final Set<String> TIE_RULES = Set.of("all-admitted", "earlier-birth", "earlier-registration");

    private Rules() {}

    /** A problem with one field: {@code field} as the API names it, {@code key} the text key of the message. */
    record Problem(String field, String key) {}

    /** Thrown with every problem found in an input. */
    static final class Invalid extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        final transient List<Problem> problems;

        Invalid(List<Problem> problems) {
            super(
                    problems.isEmpty()
                            ? "invalid"
                            : problems.get(0).field() + ": " + problems.get(0).key());
            this.problems = List.copyOf(problems);
        }

        Invalid(String field, String key) {
            this(List.of(new Problem(field, key)));
        }
    }

    /**
     * The birth date of a valid 18-character GB 11643 citizen ID number (17 digits and a check character, 0–9 or
     * X), or {@code null} when the number is not valid: wrong length or characters, a wrong check character, or
     * no real date in places 7–14.
     */
    static LocalDate birthOf(String id) {
        if (id == null || id.length() != 18) {
            return null;
        }
        int sum = 0;
        for (int i = 0; i < 17; i++) {
            char c = id.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            sum += (c - '0') * WEIGHTS[i];
        }
        if (Character.toUpperCase(id.charAt(17)) != CHECK.charAt(sum % 11)) {
            return null;
        }
        try {
            return LocalDate.of(
                    Integer.parseInt(id.substring(6, 10)),
                    Integer.parseInt(id.substring(10, 12)),
                    Integer.parseInt(id.substring(12, 14)));
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    /** {@code M} or {@code F}, from the 17th character of a valid ID number (odd: male). */
    static String genderOf(String id) {
        return (id.charAt(16) - '0') % 2 == 1 ? "M" : "F";
    }

    /** A batch of preferences: its code, its name, and how many high schools a student may name in it. */
    record Batch(String code, String name, int choices) {}

    /** An exam year as the province sets it (item {@code exam.years/<year>}). */
    record ExamYear(
            String year,
            String name,
            Instant opens,
            Instant closes,
            List<Batch> batches,
            LocalDate birthFrom,
            LocalDate birthTo,
            String tieRule,
            CountyMay countyMay,
            List<Field> fields) {

        /** The year as the province set it, without what counties may add. */
        ExamYear(
                String year,
                String name,
                Instant opens,
                Instant closes,
                List<Batch> batches,
                LocalDate birthFrom,
                LocalDate birthTo,
                String tieRule) {
            this(year, name, opens, closes, batches, birthFrom, birthTo, tieRule, CountyMay.NOTHING, List.of());
        }

        boolean isOpen(Instant now) {
            return !now.isBefore(opens) && now.isBefore(closes);
        }

        Batch batch(String code) {
            return batches.stream()
                    .filter(b -> b.code().equals(code))
                    .findFirst()
                    .orElse(null);
        }

        String toJson() {
            ObjectNode o = JSON.createObjectNode()
                    .put("name", name)
                    .put("opens", opens.toString())
                    .put("closes", closes.toString())
                    .put("tieRule", tieRule);
            if (birthFrom != null) {
                o.put("birthFrom", birthFrom.toString());
            }
            if (birthTo != null) {
                o.put("birthTo", birthTo.toString());
            }
            ArrayNode bs = o.putArray("batches");
            batches.forEach(b ->
                    bs.addObject().put("code", b.code()).put("name", b.name()).put("choices", b.choices()));
            o.putObject("countyMay")
                    .put("narrowWindow", countyMay.narrowWindow())
                    .put("extraFields", countyMay.extraFields());
            if (!fields.isEmpty()) {
                o.set("fields", Field.toJson(fields));
            }
            return o.toString();
        }

        /**
         * The year in effect below the counties that published rules for their subtree: the window narrowed to
         * each county's and their fields added — each only where the province allows it ({@link #countyMay}), so
         * a rule the province no longer allows stops counting at once.
         */
        ExamYear effective(List<CountyRules> rules) {
            Instant from = opens;
            Instant to = closes;
            Map<String, Field> all = new LinkedHashMap<>();
            fields.forEach(f -> all.put(f.code(), f));
            for (CountyRules r : rules) {
                if (!r.year().equals(year)) {
                    continue;
                }
                if (countyMay.narrowWindow() && r.opens() != null && r.opens().isAfter(from)) {
                    from = r.opens();
                }
                if (countyMay.narrowWindow() && r.closes() != null && r.closes().isBefore(to)) {
                    to = r.closes();
                }
                if (countyMay.extraFields()) {
                    r.fields().forEach(f -> all.putIfAbsent(f.code(), f));
                }
            }
            if (!to.isAfter(from)) {
                to = from; // two counties of a chain that leave nothing: closed
            }
            return new ExamYear(
                    year, name, from, to, batches, birthFrom, birthTo, tieRule, countyMay, List.copyOf(all.values()));
        }
    }

    /** What the province lets counties (and prefectures) do to an exam year for their subtree. */
    record CountyMay(boolean narrowWindow, boolean extraFields) {
        static final CountyMay NOTHING = new CountyMay(false, false);
    }

    /** The codes a field may not take: those a registration already has. */
    static final Set<String> BUILT_IN =
            Set.of("year", "name", "idnumber", "guardianphone", "preferences", "school", "status", "extra");

    static final Pattern FIELD_CODE = Pattern.compile("[a-z][a-zA-Z0-9]{0,29}");

    /**
     * A required field a registration must carry beyond the fixed ones: its code (as the API and CSV column name
     * it), a label in zh-CN and English, the pattern its value must match in whole, and whether it is personal
     * data (an address, a household registration): masked in lists like the ID number, shown in full only with
     * {@code exam:personal}, each full view audited.
     */
    record Field(String code, String labelZh, String labelEn, String pattern, boolean personal) {

        Field(String code, String labelZh, String labelEn, String pattern) {
            this(code, labelZh, labelEn, pattern, false);
        }

        String label(java.util.Locale locale) {
            return "en".equals(locale.getLanguage()) ? labelEn : labelZh;
        }

        boolean accepts(String value) {
            return value != null && Pattern.compile(pattern).matcher(value).matches();
        }

        static ArrayNode toJson(List<Field> fields) {
            ArrayNode a = JSON.createArrayNode();
            fields.forEach(f -> {
                ObjectNode o = a.addObject().put("code", f.code());
                o.putObject("label").put("zh-CN", f.labelZh()).put("en", f.labelEn());
                o.put("pattern", f.pattern());
                o.put("personal", f.personal());
            });
            return a;
        }
    }

    /**
     * The fields of a JSON array ({@code [{"code", "label": {"zh-CN", "en"}, "pattern", "personal"}]}, at most 10), every
     * problem added under {@code fields}.
     */
    static List<Field> fields(JsonNode a, List<Problem> problems) {
        List<Field> out = new ArrayList<>();
        if (a == null || a.isMissingNode() || a.isNull()) {
            return out;
        }
        if (!a.isArray() || a.size() > 10) {
            problems.add(new Problem("fields", "exam.badFields"));
            return out;
        }
        Set<String> codes = new HashSet<>();
        for (JsonNode f : a) {
            String code = f.path("code").asText("");
            String zh = f.path("label").path("zh-CN").asText("").strip();
            String en = f.path("label").path("en").asText(zh).strip();
            String pattern = f.path("pattern").asText(".{1,100}");
            boolean compiles;
            try {
                Pattern.compile(pattern);
                compiles = pattern.length() <= 200;
            } catch (java.util.regex.PatternSyntaxException e) {
                compiles = false;
            }
            if (!FIELD_CODE.matcher(code).matches()
                    || BUILT_IN.contains(code.toLowerCase(java.util.Locale.ROOT))
                    || !codes.add(code)) {
                problems.add(new Problem("fields", "exam.badFieldCode"));
            } else if (zh.isEmpty() || zh.length() > 50 || en.isEmpty() || en.length() > 50) {
                problems.add(new Problem("fields", "exam.badFieldLabel"));
            } else if (!compiles) {
                problems.add(new Problem("fields", "exam.badFieldPattern"));
            } else {
                out.add(new Field(code, zh, en, pattern, f.path("personal").asBoolean(false)));
                continue;
            }
            break;
        }
        return out;
    }

    /**
     * A county's rules for its subtree in an exam year (item {@code exam.countyRules/<year>.<county>}): a window
     * inside the province's (both ends optional) and the fields its schools must ask for.
     */
    record CountyRules(String year, String county, Instant opens, Instant closes, List<Field> fields) {

        static String key(String year, String county) {
            return year + "." + county;
        }

        String toJson() {
            ObjectNode o = JSON.createObjectNode();
            if (opens != null) {
                o.put("opens", opens.toString());
            }
            if (closes != null) {
                o.put("closes", closes.toString());
            }
            o.set("fields", Field.toJson(fields));
            return o.toString();
        }
    }

    /** Thrown when a county asks for what the province does not let it do (answered 409). */
    static final class NotAllowed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String field;
        final String key;

        NotAllowed(String field, String key) {
            super(field + ": " + key);
            this.field = field;
            this.key = key;
        }
    }

    /**
     * A county's rules from its JSON ({@code opens}, {@code closes}, {@code fields}), checked against the
     * province's year: a window only when the province lets counties narrow it, and only inside the province's
     * window; fields only when the province lets counties add them, none with a code the year already has.
     *
     * @throws NotAllowed when the province does not allow what is asked
     * @throws Invalid with every problem of the input
     */
    static CountyRules countyRules(ExamYear year, String county, JsonNode o) {
        if (o == null || !o.isObject()) {
            throw new Invalid("body", "exam.badBody");
        }
        List<Problem> problems = new ArrayList<>();
        Instant opens = o.hasNonNull("opens") ? instant(o, "opens", problems) : null;
        Instant closes = o.hasNonNull("closes") ? instant(o, "closes", problems) : null;
        List<Field> fields = fields(o.path("fields"), problems);
        if ((opens != null || closes != null) && !year.countyMay().narrowWindow()) {
            throw new NotAllowed(opens != null ? "opens" : "closes", "exam.mayNotNarrow");
        }
        if (!fields.isEmpty() && !year.countyMay().extraFields()) {
            throw new NotAllowed("fields", "exam.mayNotAddFields");
        }
        if (opens != null && opens.isBefore(year.opens()) || opens != null && !opens.isBefore(year.closes())) {
            problems.add(new Problem("opens", "exam.outsideWindow"));
        }
        if (closes != null && closes.isAfter(year.closes()) || closes != null && !closes.isAfter(year.opens())) {
            problems.add(new Problem("closes", "exam.outsideWindow"));
        }
        if (opens != null && closes != null && !closes.isAfter(opens)) {
            problems.add(new Problem("closes", "exam.closesBeforeOpens"));
        }
        for (Field f : fields) {
            if (year.fields().stream().anyMatch(p -> p.code().equals(f.code()))) {
                problems.add(new Problem("fields", "exam.badFieldCode"));
                break;
            }
        }
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        return new CountyRules(year.year(), county, opens, closes, List.copyOf(fields));
    }

    /** A county's rules as stored in its item {@code <year>.<county>} (checked on their own, not against a year). */
    static CountyRules countyRules(String key, String json) {
        int dot = key.indexOf('.');
        if (dot != 4
                || !YEAR.matcher(key.substring(0, dot)).matches()
                || !key.substring(dot + 1).matches("[0-9]{6}")) {
            throw new Invalid("county", "exam.badCounty");
        }
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Invalid("body", "exam.badBody");
        }
        if (o == null || !o.isObject()) {
            throw new Invalid("body", "exam.badBody");
        }
        List<Problem> problems = new ArrayList<>();
        Instant opens = o.hasNonNull("opens") ? instant(o, "opens", problems) : null;
        Instant closes = o.hasNonNull("closes") ? instant(o, "closes", problems) : null;
        List<Field> fields = fields(o.path("fields"), problems);
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        return new CountyRules(key.substring(0, dot), key.substring(dot + 1), opens, closes, List.copyOf(fields));
    }

    /**
     * An exam year from its JSON: {@code name}, {@code opens} and {@code closes} (ISO-8601 with an offset, e.g.
     * {@code 2027-04-01T08:00:00+08:00}), {@code batches} ({@code code}, {@code name}, {@code choices} 1–10),
     * optional {@code birthFrom} / {@code birthTo} (eligibility by birth date) and {@code tieRule}.
     */
    static ExamYear year(String year, JsonNode o) {
        List<Problem> problems = new ArrayList<>();
        if (year == null || !YEAR.matcher(year).matches()) {
            problems.add(new Problem("year", "exam.badYear"));
        }
        if (o == null || !o.isObject()) {
            throw new Invalid("body", "exam.badBody");
        }
        String name = o.path("name").asText("").strip();
        if (name.isEmpty() || name.length() > 100) {
            problems.add(new Problem("name", "exam.badName"));
        }
        Instant opens = instant(o, "opens", problems);
        Instant closes = instant(o, "closes", problems);
        if (opens != null && closes != null && !closes.isAfter(opens)) {
            problems.add(new Problem("closes", "exam.closesBeforeOpens"));
        }
        List<Batch> batches = new ArrayList<>();
        Set<String> codes = new HashSet<>();
        if (!o.path("batches").isArray()
                || o.path("batches").isEmpty()
                || o.path("batches").size() > 10) {
            problems.add(new Problem("batches", "exam.badBatches"));
        } else {
            for (JsonNode b : o.path("batches")) {
                String code = b.path("code").asText("");
                String bname = b.path("name").asText("").strip();
                int choices = b.path("choices").asInt(0);
                if (!code.matches("[0-9a-z]{1,8}")
                        || !codes.add(code)
                        || bname.isEmpty()
                        || bname.length() > 50
                        || choices < 1
                        || choices > 10) {
                    problems.add(new Problem("batches", "exam.badBatches"));
                    break;
                }
                batches.add(new Batch(code, bname, choices));
            }
        }
        LocalDate from = date(o, "birthFrom", problems);
        LocalDate to = date(o, "birthTo", problems);
        String tie = o.path("tieRule").asText("earlier-birth");
        if (!TIE_RULES.contains(tie)) {
            problems.add(new Problem("tieRule", "exam.badTieRule"));
        }
        JsonNode may = o.path("countyMay");
        if (!may.isMissingNode() && !may.isNull() && !may.isObject()) {
            problems.add(new Problem("countyMay", "exam.badCountyMay"));
        }
        CountyMay countyMay = new CountyMay(
                may.path("narrowWindow").asBoolean(false),
                may.path("extraFields").asBoolean(false));
        List<Field> fields = fields(o.path("fields"), problems);
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        return new ExamYear(
                year, name, opens, closes, List.copyOf(batches), from, to, tie, countyMay, List.copyOf(fields));
    }

    /** An exam year as stored in its item. */
    static ExamYear year(String year, String json) {
        try {
            return year(year, JSON.readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Invalid("body", "exam.badBody");
        }
    }

    private static Instant instant(JsonNode o, String field, List<Problem> problems) {
        try {
            return OffsetDateTime.parse(o.path(field).asText("")).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(o.path(field).asText(""));
            } catch (DateTimeParseException e2) {
                problems.add(new Problem(field, "exam.badTime"));
                return null;
            }
        }
    }

    private static LocalDate date(JsonNode o, String field, List<Problem> problems) {
        if (!o.hasNonNull(field)) {
            return null;
        }
        try {
            return LocalDate.parse(o.path(field).asText(""));
        } catch (DateTimeParseException e) {
            problems.add(new Problem(field, "exam.badDate"));
            return null;
        }
    }

    /** A county's plan for one high school in one exam year (item {@code exam.plans/<year>.<school>}). */
    record Plan(String year, String school, String name, String county, Map<String, Integer> quotas) {

        static String key(String year, String school) {
            return year + "." + school;
        }

        String toJson() {
            ObjectNode o = JSON.createObjectNode().put("name", name).put("county", county);
            ObjectNode q = o.putObject("quotas");
            quotas.forEach(q::put);
            return o.toString();
        }
    }

    /** A plan from its JSON ({@code name}, {@code quotas} per batch code), checked against the exam year. */
    static Plan plan(ExamYear year, String school, String county, JsonNode o) {
        List<Problem> problems = new ArrayList<>();
        if (school == null || !SCHOOL_CODE.matcher(school).matches()) {
            problems.add(new Problem("school", "exam.badSchoolCode"));
        }
        if (o == null || !o.isObject()) {
            throw new Invalid("body", "exam.badBody");
        }
        String name = o.path("name").asText("").strip();
        if (name.isEmpty() || name.length() > 100) {
            problems.add(new Problem("name", "exam.badName"));
        }
        Map<String, Integer> quotas = new LinkedHashMap<>();
        JsonNode q = o.path("quotas");
        if (!q.isObject() || q.isEmpty()) {
            problems.add(new Problem("quotas", "exam.badQuotas"));
        } else {
            q.fields().forEachRemaining(e -> {
                int n = e.getValue().asInt(-1);
                if (year.batch(e.getKey()) == null || !e.getValue().isInt() || n < 0 || n > 100_000) {
                    problems.add(new Problem("quotas", "exam.badQuotas"));
                } else {
                    quotas.put(e.getKey(), n);
                }
            });
        }
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        return new Plan(year.year(), school, name, county, Map.copyOf(quotas));
    }

    /** A plan as stored in its item {@code <year>.<school>}. */
    static Plan plan(String key, String json) {
        int dot = key.indexOf('.');
        try {
            JsonNode o = JSON.readTree(json);
            Map<String, Integer> quotas = new LinkedHashMap<>();
            o.path("quotas")
                    .fields()
                    .forEachRemaining(e -> quotas.put(e.getKey(), e.getValue().asInt()));
            return new Plan(
                    key.substring(0, dot),
                    key.substring(dot + 1),
                    o.path("name").asText(),
                    o.path("county").asText(),
                    quotas);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
            throw new Invalid("plan", "exam.badBody");
        }
    }

    /** A registration as entered: the ID number and phone in clear, preferences per batch code. */
    record Registration(
            String year,
            String name,
            String idNumber,
            String guardianPhone,
            Map<String, List<String>> preferences,
            Map<String, String> extra) {

        /** A registration without fields beyond the fixed ones. */
        Registration(
                String year,
                String name,
                String idNumber,
                String guardianPhone,
                Map<String, List<String>> preferences) {
            this(year, name, idNumber, guardianPhone, preferences, Map.of());
        }

        /** The values of the extra fields (checked against the year by {@link Rules#check}), or {@code null}. */
        String extraJson() {
            if (extra == null || extra.isEmpty()) {
                return null;
            }
            ObjectNode o = JSON.createObjectNode();
            extra.forEach((k, v) -> o.put(k, v == null ? "" : v.strip()));
            return o.toString();
        }

        LocalDate birth() {
            return birthOf(idNumber);
        }

        String gender() {
            return genderOf(idNumber);
        }

        String preferencesJson() {
            return preferencesJson(preferences);
        }

        static String preferencesJson(Map<String, List<String>> preferences) {
            ObjectNode o = JSON.createObjectNode();
            preferences.forEach((batch, schools) -> {
                ArrayNode a = o.putArray(batch);
                schools.forEach(a::add);
            });
            return o.toString();
        }
    }

    /** The extra fields of a JSON object {@code {"<code>": "<value>", …}} (values as text). */
    static Map<String, String> extra(JsonNode o) {
        Map<String, String> out = new LinkedHashMap<>();
        if (o != null && o.isObject()) {
            o.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText("")));
        }
        return out;
    }

    /** The preferences of a JSON object {@code {"<batch>": ["<school code>", …]}}, in order. */
    static Map<String, List<String>> preferences(JsonNode o) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (o != null && o.isObject()) {
            o.fields().forEachRemaining(e -> {
                List<String> schools = new ArrayList<>();
                if (e.getValue().isArray()) {
                    e.getValue().forEach(s -> schools.add(s.asText("")));
                } else {
                    schools.add(e.getValue().asText(""));
                }
                out.put(e.getKey(), schools);
            });
        }
        return out;
    }

    /**
     * Every problem of a registration, checked against the exam year, the plans this node sees and the time:
     * empty when it may be stored. The window is checked by the caller's {@code now}.
     */
    static List<Problem> check(Registration r, ExamYear year, Map<String, Plan> plans, Instant now) {
        List<Problem> problems = new ArrayList<>();
        if (year == null) {
            problems.add(new Problem("year", "exam.unknownYear"));
            return problems;
        }
        if (!year.isOpen(now)) {
            problems.add(new Problem("year", now.isBefore(year.opens()) ? "exam.notOpenYet" : "exam.closed"));
        }
        if (r.name() == null || !NAME.matcher(r.name().strip()).matches()) {
            problems.add(new Problem("name", "exam.badStudentName"));
        }
        LocalDate birth = birthOf(r.idNumber());
        if (birth == null) {
            problems.add(new Problem("idNumber", "exam.badIdNumber"));
        } else if ((year.birthFrom() != null && birth.isBefore(year.birthFrom()))
                || (year.birthTo() != null && birth.isAfter(year.birthTo()))) {
            problems.add(new Problem("idNumber", "exam.notEligible"));
        }
        if (r.guardianPhone() == null || !PHONE.matcher(r.guardianPhone()).matches()) {
            problems.add(new Problem("guardianPhone", "exam.badPhone"));
        }
        Map<String, String> extra = r.extra() == null ? Map.of() : r.extra();
        for (String code : extra.keySet()) {
            if (year.fields().stream().noneMatch(f -> f.code().equals(code))) {
                problems.add(new Problem("extra." + code, "exam.unknownField"));
            }
        }
        for (Field f : year.fields()) {
            String v = extra.get(f.code());
            if (v == null || v.isBlank()) {
                problems.add(new Problem("extra." + f.code(), "exam.fieldRequired"));
            } else if (v.strip().length() > 200 || !f.accepts(v.strip())) {
                problems.add(new Problem("extra." + f.code(), "exam.fieldPattern"));
            }
        }
        Map<String, List<String>> prefs = r.preferences() == null ? Map.of() : r.preferences();
        if (prefs.isEmpty()) {
            problems.add(new Problem("preferences", "exam.noPreferences"));
        }
        for (Map.Entry<String, List<String>> e : prefs.entrySet()) {
            Batch batch = year.batch(e.getKey());
            if (batch == null) {
                problems.add(new Problem("preferences." + e.getKey(), "exam.unknownBatch"));
                continue;
            }
            List<String> schools = e.getValue();
            if (schools.isEmpty() || schools.size() > batch.choices()) {
                problems.add(new Problem("preferences." + e.getKey(), "exam.tooManyChoices"));
            }
            if (new HashSet<>(schools).size() != schools.size()) {
                problems.add(new Problem("preferences." + e.getKey(), "exam.repeatedChoice"));
            }
            for (String s : schools) {
                Plan p = plans.get(Plan.key(year.year(), s));
                if (p == null || !p.quotas().containsKey(e.getKey())) {
                    problems.add(new Problem("preferences." + e.getKey(), "exam.unknownSchool"));
                    break;
                }
            }
        }
        return problems;
    }
}
