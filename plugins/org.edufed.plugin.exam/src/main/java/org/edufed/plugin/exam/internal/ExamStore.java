package org.edufed.plugin.exam.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochRandomGenerator;
import java.io.IOException;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.OwnRecords;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.security.Scope;
import org.edufed.kernel.api.storage.Storage;
import org.edufed.plugin.exam.internal.Review.Decision;
import org.edufed.plugin.exam.internal.Review.Status;
import org.edufed.plugin.exam.internal.Rules.Invalid;
import org.edufed.plugin.exam.internal.Rules.Registration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exam's data at a node: registrations made here (each written with its upward record in one
 * transaction), registrations received from below with every level's review, and the decisions that travel down
 * to the school as inheritable items. Personal data is encrypted with the node's field key.
 */
@Component(service = ExamStore.class)
public final class ExamStore {

    private static final Logger LOG = LoggerFactory.getLogger(ExamStore.class);

    private final Storage storage;
    private final Upward upward;
    private final Inheritance inheritance;
    private final FieldEncryption fields;
    private final NodeIdentity node;
    private final AuditLog audit;

    @Activate
    public ExamStore(
            @Reference Storage storage,
            @Reference Upward upward,
            @Reference Inheritance inheritance,
            @Reference FieldEncryption fields,
            @Reference NodeIdentity node,
            @Reference AuditLog audit)
            throws SQLException {
        this.storage = storage;
        this.upward = upward;
        this.inheritance = inheritance;
        this.fields = fields;
        this.node = node;
        this.audit = audit;
        storage.migrate("org.edufed.plugin.exam", ExamStore.class.getClassLoader(), "org/edufed/plugin/exam/db");
    }

    // --- the exam year and the plans, as inherited -------------------------------------------------------

    /**
     * How long the exam year and the plans read from the inherited items are reused: every registration checks
     * against them, and on a busy day reading and parsing them again for each one would cost more than the
     * registration itself. A change made above is seen here within this time (it takes longer than that to
     * travel down the tree anyway).
     */
    static final long INHERITED_TTL_NANOS = 1_000_000_000L;

    private record Cached<T>(T value, long until) {}

    private final Map<String, Cached<Optional<Rules.ExamYear>>> years = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Cached<Optional<Rules.ExamYear>>> provinceYears =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Cached<Map<String, Rules.Plan>>> plans = new java.util.concurrent.ConcurrentHashMap<>();

    private static <T> T cached(Map<String, Cached<T>> cache, String key, java.util.function.Supplier<T> read) {
        long now = System.nanoTime();
        Cached<T> c = cache.get(key);
        if (c != null && c.until() - now > 0) {
            return c.value();
        }
        T value = read.get();
        if (cache.size() > 64) {
            cache.clear(); // a few years at most are asked for; anything else is noise
        }
        cache.put(key, new Cached<>(value, now + INHERITED_TTL_NANOS));
        return value;
    }

    /**
     * The exam year in effect here, if a level above (or this one) has set it: the province's year with the rules
     * of the counties above (and of this node) applied where the province allows them.
     */
    Optional<Rules.ExamYear> year(String year) {
        if (year == null || !Rules.YEAR.matcher(year).matches()) {
            return Optional.empty();
        }
        return cached(years, year, () -> provinceYear(year).map(y -> y.effective(countyRules(year))));
    }

    /** The exam year as the province set it, without the counties' rules. */
    Optional<Rules.ExamYear> provinceYear(String year) {
        if (year == null || !Rules.YEAR.matcher(year).matches()) {
            return Optional.empty();
        }
        return cached(provinceYears, year, () -> inheritance
                .effective(ExamTopics.YEARS, year)
                .map(i -> Rules.year(year, i.value())));
    }

    /** The counties' rules in effect here for a year (this node's own, and those of the counties above it). */
    List<Rules.CountyRules> countyRules(String year) {
        List<Rules.CountyRules> out = new ArrayList<>();
        for (Inheritance.Item i : inheritance.effective(ExamTopics.COUNTY_RULES)) {
            if (i.key().startsWith(year + ".")) {
                try {
                    out.add(Rules.countyRules(i.key(), i.value()));
                } catch (Invalid e) {
                    LOG.warn("county rules {} unreadable, left out", i.key());
                }
            }
        }
        return out;
    }

    /** Every plan in effect here for a year, by {@code <year>.<school>}. */
    Map<String, Rules.Plan> plans(String year) {
        return cached(plans, year, () -> readPlans(year));
    }

    /** Every problem of a registration against the year and plans in effect here, now. */
    List<Rules.Problem> rowProblems(Registration r) {
        String y = r.year() != null && Rules.YEAR.matcher(r.year()).matches() ? r.year() : "";
        return Rules.check(r, year(y).orElse(null), plans(y), Instant.now());
    }

    /** Forgets the exam years and plans read, so that a change made at this node shows at once. */
    void changed() {
        years.clear();
        provinceYears.clear();
        plans.clear();
    }

    private Map<String, Rules.Plan> readPlans(String year) {
        Map<String, Rules.Plan> out = new java.util.LinkedHashMap<>();
        for (Inheritance.Item i : inheritance.effective(ExamTopics.PLANS)) {
            if (i.key().startsWith(year + ".")) {
                try {
                    out.put(i.key(), Rules.plan(i.key(), i.value()));
                } catch (Invalid e) {
                    LOG.warn("plan {} unreadable, left out", i.key());
                }
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    // --- registrations made here --------------------------------------------------------------------------

    /** A registration made here, as lists show it (personal data masked). */
    record Mine(
            String id,
            String globalId,
            String year,
            long version,
            String name,
            String gender,
            LocalDate birth,
            String idNumber,
            String guardianPhone,
            JsonNode preferences,
            String status,
            String reason,
            String returnedBy,
            JsonNode result,
            Instant updatedAt,
            JsonNode extra) {}

    /**
     * Stores a new registration and queues it for the levels above, in one transaction (which it may share with
     * other registrations made at the same time: it returns once that is committed); returns its id.
     *
     * @throws Invalid with {@code exam.duplicate} when this person is registered here for the year already
     */
    String register(Registration r) throws SQLException {
        return register(r, null);
    }

    /**
     * {@link #register(Registration) Registers} a student who registers themself from their account at the school
     * ({@code account}; {@code null} for a clerk's registration): one registration per account and year.
     */
    String register(Registration r, String account) throws SQLException {
        return register(r, account, null);
    }

    /**
     * Registration ids: UUIDs of version 7 (RFC 9562), the millisecond first and 74 random bits after it, so that
     * each new registration's keys (its id here, its record's global id up the tree) go at the end of their indexes
     * instead of anywhere in them: the pages a registration writes stay in Derby's page cache rather than being read
     * and written back for each one. Random within a millisecond: the next id is not guessable from one seen.
     */
    private static final TimeBasedEpochRandomGenerator IDS = Generators.timeBasedEpochRandomGenerator();

    static String newId() {
        return IDS.generate().toString();
    }

    /**
     * {@link #register(Registration, String) Registers}, and runs {@code also} in the same transaction (an
     * import counts the row it stored together with it).
     */
    String register(Registration r, String account, Storage.TransactionalWork<?> also) throws SQLException {
        String id = newId();
        String index = fields.blindIndex(r.idNumber());
        Sealed sealed = seal(r);
        try {
            // shared with the registrations arriving at the same moment: one commit for many on a busy day
            storage.inSharedTransaction(c -> {
                // the same person twice: refused by the unique index on (year, blind index) below, at no cost to
                // the registrations that are not
                if (account != null && !ownIds(c, account, r.year()).isEmpty()) {
                    throw new Invalid("year", "exam.selfTwice");
                }
                Timestamp now = Timestamp.from(Instant.now());
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO exam_registration (reg_id, exam_year,"
                        + " version, student_name, gender, birth_date, id_cipher, id_index, phone_cipher,"
                        + " preferences, created_at, updated_at, created_by, student_account, extra_fields) VALUES (?, ?,"
                        + " 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setString(1, id);
                    ps.setString(2, r.year());
                    ps.setString(3, r.name().strip());
                    ps.setString(4, r.gender());
                    ps.setDate(5, Date.valueOf(r.birth()));
                    ps.setString(6, sealed.idNumber());
                    ps.setString(7, index);
                    ps.setString(8, sealed.guardianPhone());
                    ps.setString(9, r.preferencesJson());
                    ps.setTimestamp(10, now);
                    ps.setTimestamp(11, now);
                    ps.setString(12, Actor.current().name());
                    ps.setString(13, account);
                    ps.setString(14, sealed.extra());
                    ps.executeUpdate();
                }
                if (account != null) {
                    ownRow(
                            c,
                            "INSERT INTO exam_self_registration (student_account, exam_year, reg_id)"
                                    + " VALUES (?, ?, ?)",
                            account,
                            r.year(),
                            id);
                }
                // the row is the record: the exchange reads it from here when it goes up (held)
                upward.enqueueOwn(c, ExamTopics.REGISTRATIONS, List.of(new Upward.Change(id, 1, false)));
                if (also != null) {
                    also.run(c);
                }
                return null;
            });
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) { // the same person again (the unique index), also concurrently
                throw new Invalid("idNumber", "exam.duplicate");
            }
            throw e;
        }
        return id;
    }

    /**
     * The registrations a student made for themself from their account, for a year: listed in their own table
     * ({@code exam_self_registration}, V6), not through an index on the registrations' account column, which took
     * an entry for every registration, a clerk's too, for the few a student makes.
     */
    private static List<String> ownIds(Connection c, String account, String year) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT reg_id FROM exam_self_registration WHERE student_account = ? AND exam_year = ?")) {
            ps.setString(1, account);
            ps.setString(2, year);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /**
     * Adds ({@code INSERT}) or removes ({@code DELETE}) the row that lists a registration as a student's own: the
     * statement's three parameters are the account, the year and the registration's id.
     */
    private static void ownRow(Connection c, String sql, String account, String year, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, account);
            ps.setString(2, year);
            ps.setString(3, id);
            ps.executeUpdate();
        }
    }

    /** The registrations a student made for themself (with their status and result), for a year. */
    List<Mine> own(String account, String year) throws SQLException {
        List<Mine> out = new ArrayList<>();
        List<String> ids;
        try (Connection c = storage.dataSource().getConnection()) {
            ids = ownIds(c, account, year);
        }
        for (String id : ids) {
            mine(id).ifPresent(out::add);
        }
        return out;
    }

    /** Whether the registration was made by the student of this account. */
    boolean ownedBy(String id, String account) throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT 1 FROM exam_registration WHERE reg_id = ? AND student_account = ?")) {
            ps.setString(1, id);
            ps.setString(2, account);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static boolean registered(Connection c, String year, String index, String except) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT reg_id FROM exam_registration WHERE exam_year = ? AND id_index = ?")) {
            ps.setString(1, year);
            ps.setString(2, index);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && !rs.getString(1).equals(except);
            }
        }
    }

    /**
     * The extra fields' values as stored: encrypted with the node's field key like the ID number and phone (a
     * county may ask for a household registration, an address).
     */
    private String sealExtra(String json) {
        return json == null ? null : fields.encrypt(json);
    }

    /**
     * The key under which a registration's extra fields carry the codes of those the year marks personal: kept and
     * sent up with the values, since a province that masks them does not hold the county's rules that named them.
     * (Field codes start with a letter.)
     */
    static final String PERSONAL_CODES = "@personal";

    /** The extra fields' values of a registration as kept and sent up: with the codes of its personal ones. */
    private String extraJson(Registration r) {
        String json = r.extraJson();
        List<String> personal = json == null
                ? List.of()
                : year(r.year())
                        .map(y -> y.fields().stream()
                                .filter(Rules.Field::personal)
                                .map(Rules.Field::code)
                                .toList())
                        .orElse(List.of());
        if (personal.isEmpty()) {
            return json;
        }
        ObjectNode o = (ObjectNode) parse(json);
        com.fasterxml.jackson.databind.node.ArrayNode codes = o.putArray(PERSONAL_CODES);
        personal.stream().filter(o::has).forEach(codes::add);
        return o.toString();
    }

    /**
     * The extra fields of a stored row ({@code null} when none), the personal ones masked unless {@code inFull};
     * rows written before they were encrypted read too. (Decrypted here without an audit entry: a caller showing
     * them in full audits its view, as an export does, or uses {@link #extraRevealed}.)
     */
    JsonNode extra(String stored, boolean inFull) {
        return opened(stored, fields::decrypt, inFull);
    }

    /** The extra fields of a stored row in full, the decryption in the audit trail (a personal view). */
    JsonNode extraRevealed(String stored, String subject, String purpose) {
        return opened(stored, cipher -> fields.reveal(cipher, subject, purpose), true);
    }

    /** A stored row's extra fields decrypted with {@code decrypt} (clear JSON from before read as is), shown. */
    private JsonNode opened(String stored, java.util.function.UnaryOperator<String> decrypt, boolean inFull) {
        if (stored == null) {
            return null;
        }
        JsonNode all = parse(stored.startsWith("{") ? stored : decrypt.apply(stored));
        if (!(all instanceof ObjectNode o)) {
            return all;
        }
        JsonNode codes = o.remove(PERSONAL_CODES); // parsed just now: changed in place
        if (!inFull && codes != null) {
            for (JsonNode code : codes) {
                JsonNode v = o.get(code.asText());
                if (v != null && v.isTextual()) {
                    o.put(code.asText(), FieldEncryption.mask(v.asText()));
                }
            }
        }
        return o;
    }

    /**
     * A registration's record for the exchange, from its row ({@link #MINE}'s columns): its sensitive fields
     * ({@link ExamTopics}: ID number, phone, extra fields as {@link #extraJson} gives them) as the row holds them,
     * encrypted; the exchange opens them only inside the signed envelope that carries them up.
     */
    private OwnRecords.Held held(ResultSet rs) throws SQLException {
        Instant at = rs.getTimestamp(10).toInstant();
        ObjectNode o = Rules.JSON
                .createObjectNode()
                .put("year", rs.getString(2))
                .put("name", rs.getString(4))
                .put("gender", rs.getString(5))
                .put("birth", rs.getDate(6).toLocalDate().toString())
                .put("idNumber", rs.getString(7))
                .put("guardianPhone", rs.getString(8))
                .put("school", node.code())
                .put("at", at.toString());
        o.set("preferences", parse(rs.getString(9)));
        String extra = rs.getString(11);
        if (extra != null) {
            o.put("extra", extra); // as text (JSON of the extra fields), encrypted like the others
        }
        return new OwnRecords.Held(rs.getString(1), rs.getLong(3), o.toString(), at);
    }

    /** The registrations made here that are among {@code ids}, as records for the exchange, by id. */
    Map<String, OwnRecords.Held> held(java.util.Collection<String> ids) throws SQLException {
        Map<String, OwnRecords.Held> out = new HashMap<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(MINE + " WHERE reg_id = ?")) {
            for (String id : ids) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        out.put(id, held(rs));
                    }
                }
            }
        }
        return out;
    }

    /** The registrations made here last changed, newest first, as records for the exchange. */
    List<OwnRecords.Held> newestHeld(int limit) throws SQLException {
        List<OwnRecords.Held> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(MINE + " ORDER BY updated_at DESC")) {
            ps.setMaxRows(Math.max(1, limit));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(held(rs));
                }
            }
        }
        return out;
    }

    /** The version of every registration made here, by id. */
    Map<String, Long> heldVersions() throws SQLException {
        Map<String, Long> out = new HashMap<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT reg_id, version FROM exam_registration");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }

    /** How many registrations were made (and not withdrawn) here. */
    int heldCount() throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM exam_registration");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** A registration's sensitive values encrypted once, for its row and its record alike. */
    private record Sealed(String idNumber, String guardianPhone, String extra) {}

    private Sealed seal(Registration r) {
        return new Sealed(fields.encrypt(r.idNumber()), fields.encrypt(r.guardianPhone()), sealExtra(extraJson(r)));
    }

    /**
     * Corrects a registration (after it was returned, or before anyone decided on it): a new version, sent up
     * again, reviewed again from the county on.
     *
     * @return the new version
     * @throws Invalid {@code exam.notFound}, {@code exam.locked} (approved by a level above), {@code exam.duplicate}
     */
    long correct(String id, Registration r) throws SQLException {
        Mine current = mine(id).orElseThrow(() -> new Invalid("id", "exam.notFound"));
        Status status = Status.parse(current.status());
        if (status == Status.COUNTY_APPROVED || status == Status.APPROVED) {
            throw new Invalid("id", "exam.locked");
        }
        if (!current.year().equals(r.year())) {
            throw new Invalid("year", "exam.yearChanged");
        }
        String index = fields.blindIndex(r.idNumber());
        Sealed sealed = seal(r);
        long version = current.version() + 1;
        return storage.inTransaction(c -> {
            if (registered(c, r.year(), index, id)) {
                throw new Invalid("idNumber", "exam.duplicate");
            }
            Timestamp now = Timestamp.from(Instant.now());
            try (PreparedStatement ps = c.prepareStatement("UPDATE exam_registration SET version = ?,"
                    + " student_name = ?, gender = ?, birth_date = ?, id_cipher = ?, id_index = ?, phone_cipher = ?,"
                    + " preferences = ?, updated_at = ?, extra_fields = ? WHERE reg_id = ? AND version = ?")) {
                ps.setLong(1, version);
                ps.setString(2, r.name().strip());
                ps.setString(3, r.gender());
                ps.setDate(4, Date.valueOf(r.birth()));
                ps.setString(5, sealed.idNumber());
                ps.setString(6, index);
                ps.setString(7, sealed.guardianPhone());
                ps.setString(8, r.preferencesJson());
                ps.setTimestamp(9, now);
                ps.setString(10, sealed.extra());
                ps.setString(11, id);
                ps.setLong(12, current.version());
                if (ps.executeUpdate() != 1) {
                    throw new Invalid("id", "exam.changedMeanwhile");
                }
            }
            upward.enqueueOwn(c, ExamTopics.REGISTRATIONS, List.of(new Upward.Change(id, version, false)));
            return version;
        });
    }

    /** Withdraws a registration no level above has approved: removed here, a tombstone sent up. */
    void withdraw(String id) throws SQLException {
        Mine current = mine(id).orElseThrow(() -> new Invalid("id", "exam.notFound"));
        Status status = Status.parse(current.status());
        if (status == Status.COUNTY_APPROVED || status == Status.APPROVED) {
            throw new Invalid("id", "exam.locked");
        }
        storage.inTransaction(c -> {
            String account = null;
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT student_account FROM exam_registration WHERE reg_id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    account = rs.next() ? rs.getString(1) : null;
                }
            }
            try (PreparedStatement ps =
                    c.prepareStatement("DELETE FROM exam_registration WHERE reg_id = ? AND version = ?")) {
                ps.setString(1, id);
                ps.setLong(2, current.version());
                if (ps.executeUpdate() != 1) {
                    throw new Invalid("id", "exam.changedMeanwhile");
                }
            }
            if (account != null) { // a student's own registration: no longer theirs
                ownRow(
                        c,
                        "DELETE FROM exam_self_registration WHERE student_account = ? AND exam_year = ?"
                                + " AND reg_id = ?",
                        account,
                        current.year(),
                        id);
            }
            upward.enqueueOwn(c, ExamTopics.REGISTRATIONS, List.of(new Upward.Change(id, current.version() + 1, true)));
            return null;
        });
    }

    private static final String MINE = "SELECT reg_id, exam_year, version, student_name, gender, birth_date,"
            + " id_cipher, phone_cipher, preferences, updated_at, extra_fields FROM exam_registration";

    Optional<Mine> mine(String id) throws SQLException {
        if (id == null || !id.matches("[0-9a-f-]{36}")) {
            return Optional.empty();
        }
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(MINE + " WHERE reg_id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(mine(rs)) : Optional.empty();
            }
        }
    }

    /** Registrations made here for a year, newest first. */
    List<Mine> mine(String year, int limit) throws SQLException {
        List<Mine> out = new ArrayList<>();
        try {
            eachMine(year, limit, (m, idCipher, phoneCipher, extra) -> out.add(m));
        } catch (IOException e) {
            throw new IllegalStateException(e); // adding to a list does not fail
        }
        return out;
    }

    /**
     * What an export is handed for each row as it is read: the row, its ID number's and phone's ciphertexts and
     * its extra fields as stored (for {@link #extra}); answers whether to go on.
     */
    interface RowSink<T> {
        boolean accept(T row, String idCipher, String phoneCipher, String extraStored) throws IOException;
    }

    /**
     * Every registration made here for a year, newest first, handed to {@code sink} as it is read: an export of
     * a county's hundreds of thousands holds one row at a time, not the year.
     */
    void eachMine(String year, int limit, RowSink<Mine> sink) throws SQLException, IOException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement(MINE + " WHERE exam_year = ? ORDER BY updated_at DESC, reg_id")) {
            ps.setString(1, year);
            ps.setMaxRows(limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && sink.accept(mine(rs), rs.getString(7), rs.getString(8), rs.getString(11))) {
                    // handed on
                }
            }
        }
    }

    /**
     * The ciphertexts of a registration made here, ID number, phone and extra fields as stored (for a full view
     * through {@link FieldEncryption#reveal} and {@link #extraRevealed}).
     */
    Optional<String[]> mineCiphers(String id) throws SQLException {
        if (id == null || !id.matches("[0-9a-f-]{36}")) {
            return Optional.empty();
        }
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT id_cipher, phone_cipher, extra_fields FROM exam_registration WHERE reg_id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? Optional.of(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})
                        : Optional.empty();
            }
        }
    }

    private Mine mine(ResultSet rs) throws SQLException {
        String id = rs.getString(1);
        String gid = node.code() + ":" + id;
        long version = rs.getLong(3);
        Decision county = inherited(Review.itemKey(gid, Level.COUNTY.id()));
        Decision province = inherited(Review.itemKey(gid, Level.PROVINCE.id()));
        Status status = Review.status(version, county, province);
        Decision returned = Review.returnedBy(version, county, province);
        return new Mine(
                id,
                gid,
                rs.getString(2),
                version,
                rs.getString(4),
                rs.getString(5),
                rs.getDate(6).toLocalDate(),
                FieldEncryption.mask(fields.decrypt(rs.getString(7))),
                FieldEncryption.mask(fields.decrypt(rs.getString(8))),
                parse(rs.getString(9)),
                status.id,
                returned == null ? null : returned.reason(),
                returned == null ? null : (returned == province ? Level.PROVINCE.id() : Level.COUNTY.id()),
                inheritance
                        .effective(ExamTopics.RESULTS, resultKey(gid, null))
                        .map(i -> parse(i.value()))
                        .orElse(null),
                rs.getTimestamp(10).toInstant(),
                extra(rs.getString(11), false));
    }

    private Decision inherited(String key) {
        return inheritance
                .effective(ExamTopics.DECISIONS, key)
                .map(i -> Decision.parse(i.value()))
                .orElse(null);
    }

    private static JsonNode parse(String json) {
        try {
            return Rules.JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return Rules.JSON.createObjectNode();
        }
    }

    // --- registrations received from below ------------------------------------------------------------------

    /**
     * Keeps registrations received from below (topic {@link ExamTopics#REGISTRATIONS}), inside the exchange's
     * transaction: a new version replaces the one held (the decisions stay with the version they were made
     * on), a tombstone marks it withdrawn. A record that cannot be read is logged and left out, never refused
     * (the push would only come back).
     */
    void received(Connection c, List<Upward.Record> records) throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement up = c.prepareStatement(
                        "UPDATE exam_received SET version = ?, exam_year = ?,"
                                + " student_name = ?, gender = ?, birth_date = ?, id_cipher = ?, id_index = ?, phone_cipher = ?,"
                                + " preferences = ?, received_at = ?, withdrawn = FALSE, extra_fields = ? WHERE global_id = ?");
                PreparedStatement ins = c.prepareStatement("INSERT INTO exam_received (global_id, origin, exam_year,"
                        + " version, student_name, gender, birth_date, id_cipher, id_index, phone_cipher, preferences,"
                        + " received_at, extra_fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                PreparedStatement gone = c.prepareStatement(
                        "UPDATE exam_received SET withdrawn = TRUE, version = ? WHERE global_id = ?")) {
            for (Upward.Record r : records) {
                if (r.globalId().length() > 100) {
                    LOG.warn("registration {} from {}: id too long, left out", r.globalId(), r.origin());
                    continue;
                }
                if (r.deleted()) {
                    gone.setLong(1, r.version());
                    gone.setString(2, r.globalId());
                    gone.executeUpdate();
                    continue;
                }
                try {
                    JsonNode p = Rules.JSON.readTree(r.payload());
                    String idCipher = p.path("idNumber").asText();
                    String index = fields.blindIndex(fields.decrypt(idCipher));
                    String phone = p.hasNonNull("guardianPhone")
                            ? p.path("guardianPhone").asText()
                            : null;
                    Date birth = Date.valueOf(LocalDate.parse(p.path("birth").asText()));
                    String prefs = p.path("preferences").toString();
                    // encrypted under this node's key as the exchange stored it (an object from a node before)
                    JsonNode given = p.path("extra");
                    String extra =
                            given.isTextual() ? given.asText() : given.isObject() ? sealExtra(given.toString()) : null;
                    up.setLong(1, r.version());
                    up.setString(2, p.path("year").asText());
                    up.setString(3, p.path("name").asText());
                    up.setString(4, p.path("gender").asText());
                    up.setDate(5, birth);
                    up.setString(6, idCipher);
                    up.setString(7, index);
                    up.setString(8, phone);
                    up.setString(9, prefs);
                    up.setTimestamp(10, now);
                    up.setString(11, extra);
                    up.setString(12, r.globalId());
                    if (up.executeUpdate() == 0) {
                        ins.setString(1, r.globalId());
                        ins.setString(2, r.origin());
                        ins.setString(3, p.path("year").asText());
                        ins.setLong(4, r.version());
                        ins.setString(5, p.path("name").asText());
                        ins.setString(6, p.path("gender").asText());
                        ins.setDate(7, birth);
                        ins.setString(8, idCipher);
                        ins.setString(9, index);
                        ins.setString(10, phone);
                        ins.setString(11, prefs);
                        ins.setTimestamp(12, now);
                        ins.setString(13, extra);
                        ins.executeUpdate();
                    }
                } catch (com.fasterxml.jackson.core.JsonProcessingException
                        | IllegalArgumentException
                        | java.time.DateTimeException e) {
                    LOG.warn(
                            "registration {} from {} unreadable, left out: {}",
                            r.globalId(),
                            r.origin(),
                            e.getMessage());
                }
            }
        }
    }

    /** Keeps the county's reviews received at the province (topic {@link ExamTopics#REVIEWS}). */
    void reviewsReceived(Connection c, List<Upward.Record> records) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE exam_received SET county_version = ?,"
                + " county_decision = ?, county_reason = ?, county_by = ? WHERE global_id = ?")) {
            for (Upward.Record r : records) {
                JsonNode p = parse(r.payload());
                String gid = p.path("registration").asText("");
                Decision d = Decision.parse(r.payload());
                if (d == null || gid.isEmpty() || r.deleted()) {
                    continue;
                }
                ps.setLong(1, d.version());
                ps.setString(2, d.decision());
                ps.setString(3, d.reason());
                ps.setString(4, d.by());
                ps.setString(5, gid);
                if (ps.executeUpdate() == 0) {
                    LOG.warn("review of {} from {}: registration not held here", gid, r.origin());
                }
            }
        }
    }

    /** A registration received from below, as a reviewer sees it (personal data masked). */
    record Received(
            String globalId,
            String school,
            String year,
            long version,
            String name,
            String gender,
            LocalDate birth,
            String idNumber,
            String guardianPhone,
            JsonNode preferences,
            String status,
            String reason,
            boolean duplicate,
            Decision county,
            Decision province,
            Instant receivedAt,
            JsonNode extra) {}

    private static final String RECEIVED = "SELECT r.global_id, r.origin, r.exam_year, r.version, r.student_name,"
            + " r.gender, r.birth_date, r.id_cipher, r.phone_cipher, r.preferences, r.received_at, r.county_version,"
            + " r.county_decision, r.county_reason, r.county_by, r.province_version, r.province_decision,"
            + " r.province_reason, r.province_by, (SELECT COUNT(*) FROM exam_received d WHERE d.exam_year ="
            + " r.exam_year AND d.id_index = r.id_index AND d.withdrawn = FALSE), r.extra_fields FROM exam_received r";

    /**
     * Registrations received for a year whose school is in {@code scope} (filtered in the query), optionally of
     * one school and one status, in the order they arrived.
     */
    List<Received> received(String year, Scope scope, String school, Status status, int limit) throws SQLException {
        List<Received> out = new ArrayList<>();
        if (limit <= 0) {
            return out;
        }
        try {
            eachReceived(year, scope, school, (r, idCipher, phoneCipher, extra) -> {
                if (status == null || status.id.equals(r.status())) {
                    out.add(r);
                }
                return out.size() < limit;
            });
        } catch (IOException e) {
            throw new IllegalStateException(e); // adding to a list does not fail
        }
        return out;
    }

    /**
     * Every registration received for a year whose school is in {@code scope} (and is {@code school} unless
     * null), in the order they arrived, handed to {@code sink} as it is read.
     */
    void eachReceived(String year, Scope scope, String school, RowSink<Received> sink)
            throws SQLException, IOException {
        Scope.Condition where = scope.where("r.origin");
        String sql = RECEIVED + " WHERE r.exam_year = ? AND r.withdrawn = FALSE AND " + where.sql()
                + (school == null ? "" : " AND r.origin = ?") + " ORDER BY r.received_at, r.global_id";
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            ps.setString(p++, year);
            for (String v : where.parameters()) {
                ps.setString(p++, v);
            }
            if (school != null) {
                ps.setString(p, school);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && sink.accept(received(rs), rs.getString(8), rs.getString(9), rs.getString(21))) {
                    // handed on
                }
            }
        }
    }

    Optional<Received> received(String globalId) throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(RECEIVED + " WHERE r.global_id = ?")) {
            ps.setString(1, globalId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(received(rs)) : Optional.empty();
            }
        }
    }

    private Received received(ResultSet rs) throws SQLException {
        String gid = rs.getString(1);
        long version = rs.getLong(4);
        Decision county = rs.getString(13) == null
                ? null
                : new Decision(rs.getLong(12), rs.getString(13), rs.getString(14), rs.getString(15));
        Decision province = rs.getString(17) == null
                ? null
                : new Decision(rs.getLong(16), rs.getString(17), rs.getString(18), rs.getString(19));
        if (province == null && node.level() != Level.PROVINCE) {
            province = inherited(Review.itemKey(gid, Level.PROVINCE.id()));
        }
        Status status = Review.status(version, county, province);
        Decision returned = Review.returnedBy(version, county, province);
        String phone = rs.getString(9);
        return new Received(
                gid,
                rs.getString(2),
                rs.getString(3),
                version,
                rs.getString(5),
                rs.getString(6),
                rs.getDate(7).toLocalDate(),
                FieldEncryption.mask(fields.decrypt(rs.getString(8))),
                phone == null ? null : FieldEncryption.mask(fields.decrypt(phone)),
                parse(rs.getString(10)),
                status.id,
                returned == null ? null : returned.reason(),
                rs.getLong(20) > 1,
                county,
                province,
                rs.getTimestamp(11).toInstant(),
                extra(rs.getString(21), false));
    }

    /** The ciphertexts of a registration received here (as {@link #mineCiphers}). */
    Optional<String[]> receivedCiphers(String globalId) throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT id_cipher, phone_cipher, extra_fields FROM exam_received WHERE global_id = ?")) {
            ps.setString(1, globalId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? Optional.of(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})
                        : Optional.empty();
            }
        }
    }

    /**
     * This node's decision on the version of a registration it was shown. A county decides on what it received
     * (the decision goes down to the school and up to the province); the province decides once the county has
     * approved that version (the decision goes down to the county and the school).
     *
     * @throws Invalid {@code exam.notFound}, {@code exam.staleVersion} (the school corrected it meanwhile),
     *     {@code exam.notReviewable} (not this level's turn), {@code exam.reasonRequired}
     */
    Received review(String globalId, long version, String decision, String reason) throws SQLException {
        Received r = received(globalId).orElseThrow(() -> new Invalid("registration", "exam.notFound"));
        if (r.version() != version) {
            throw new Invalid("version", "exam.staleVersion");
        }
        if (!Review.APPROVE.equals(decision) && !Review.RETURN.equals(decision)) {
            throw new Invalid("decision", "exam.badDecision");
        }
        String why = reason == null ? "" : reason.strip();
        if (Review.RETURN.equals(decision) && (why.isEmpty() || why.length() > 500)) {
            throw new Invalid("reason", "exam.reasonRequired");
        }
        if (why.length() > 500) {
            throw new Invalid("reason", "exam.reasonRequired");
        }
        Level level = node.level();
        Status status = Status.parse(r.status());
        boolean turn = level == Level.PROVINCE
                ? status == Status.COUNTY_APPROVED
                : level == Level.COUNTY && (status == Status.SUBMITTED || status == Status.COUNTY_APPROVED);
        if (!turn) {
            throw new Invalid("registration", "exam.notReviewable");
        }
        Decision d = new Decision(version, decision, why, Actor.current().name());
        String prefix = level == Level.PROVINCE ? "province" : "county";
        storage.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE exam_received SET " + prefix + "_version = ?, "
                    + prefix + "_decision = ?, " + prefix + "_reason = ?, " + prefix + "_by = ? WHERE global_id = ?"
                    + " AND version = ?")) {
                ps.setLong(1, version);
                ps.setString(2, decision);
                ps.setString(3, why);
                ps.setString(4, d.by());
                ps.setString(5, globalId);
                ps.setLong(6, version);
                if (ps.executeUpdate() != 1) {
                    throw new Invalid("version", "exam.staleVersion");
                }
            }
            try {
                inheritance.change(
                        c,
                        ExamTopics.DECISIONS,
                        List.of(new Inheritance.Change(Review.itemKey(globalId, level.id()), d.toJson(), Mode.LOCKED)));
            } catch (LockedException e) {
                throw new Invalid("registration", "exam.notReviewable");
            }
            if (level == Level.COUNTY) {
                ObjectNode rec = Rules.JSON.createObjectNode();
                rec.put("registration", globalId)
                        .put("version", version)
                        .put("decision", decision)
                        .put("reason", why)
                        .put("by", d.by());
                upward.enqueue(
                        c,
                        ExamTopics.REVIEWS,
                        globalId.replace(':', '.'),
                        System.currentTimeMillis(),
                        rec.toString(),
                        false);
            }
            audit.record(
                    c, AuditLog.Event.of("exam.review", globalId, AuditLog.Result.SUCCESS, decision + " v" + version));
            return null;
        });
        return received(globalId).orElseThrow();
    }

    // --- scores and admission (county, or province) ------------------------------------------------------

    /** A score row of an import: the ID number as given, its score. */
    record ScoreRow(long line, String idNumber, java.math.BigDecimal score) {}

    /**
     * Stores the scores of the rows whose ID number belongs to a registration held here for the year (a newer
     * import replaces a score), in one transaction; returns the lines of the rows that match none.
     */
    List<Long> importScores(String year, List<ScoreRow> rows) throws SQLException {
        List<Long> unmatched = new ArrayList<>();
        storage.inTransaction(c -> {
            Timestamp now = Timestamp.from(Instant.now());
            try (PreparedStatement find = c.prepareStatement("SELECT 1 FROM exam_received WHERE exam_year = ? AND"
                            + " id_index = ? AND withdrawn = FALSE");
                    PreparedStatement up = c.prepareStatement("UPDATE exam_score SET score = ?, imported_at = ? WHERE"
                            + " exam_year = ? AND id_index = ?");
                    PreparedStatement ins = c.prepareStatement("INSERT INTO exam_score (exam_year, id_index, score,"
                            + " imported_at) VALUES (?, ?, ?, ?)")) {
                for (ScoreRow r : rows) {
                    String index = fields.blindIndex(r.idNumber());
                    find.setString(1, year);
                    find.setString(2, index);
                    try (ResultSet rs = find.executeQuery()) {
                        if (!rs.next()) {
                            unmatched.add(r.line());
                            continue;
                        }
                    }
                    up.setBigDecimal(1, r.score());
                    up.setTimestamp(2, now);
                    up.setString(3, year);
                    up.setString(4, index);
                    if (up.executeUpdate() == 0) {
                        ins.setString(1, year);
                        ins.setString(2, index);
                        ins.setBigDecimal(3, r.score());
                        ins.setTimestamp(4, now);
                        ins.executeUpdate();
                    }
                }
            }
            audit.record(
                    c,
                    AuditLog.Event.of(
                            "exam.scores",
                            year,
                            AuditLog.Result.SUCCESS,
                            (rows.size() - unmatched.size()) + " scores imported"));
            return null;
        });
        return unmatched;
    }

    /** The outcome of an admission run: admitted per batch and high school, and the candidates not placed. */
    record AdmissionRun(int candidates, int admitted, Map<String, Map<String, Integer>> byBatch) {}

    /**
     * Runs admission for the year over the registrations approved by the province that have a score and the
     * plans in effect here, replaces the previous run's outcome, and publishes each result toward the student's
     * school and the admitting high school (and withdraws results a previous run published that no longer hold),
     * all in one transaction.
     *
     * @throws Rules.Invalid no plans in effect here for the year
     */
    AdmissionRun admit(Rules.ExamYear year) throws SQLException {
        if (plans(year.year()).isEmpty()) {
            throw new Rules.Invalid("year", "exam.noPlans");
        }
        Map<String, java.math.BigDecimal> scores = new HashMap<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT r.global_id, s.score FROM exam_received r JOIN"
                        + " exam_score s ON s.exam_year = r.exam_year AND s.id_index = r.id_index WHERE r.exam_year = ?"
                        + " AND r.withdrawn = FALSE")) {
            ps.setString(1, year.year());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    scores.put(rs.getString(1), rs.getBigDecimal(2));
                }
            }
        }
        List<Admission.Candidate> candidates = new ArrayList<>();
        Map<String, Admission.Candidate> byId = new HashMap<>();
        for (Light r : light(year.year(), Scope.ALL)) {
            java.math.BigDecimal score = scores.get(r.globalId());
            if (score != null && r.status() == Status.APPROVED) {
                Admission.Candidate candidate = new Admission.Candidate(
                        r.globalId(),
                        r.name(),
                        r.school(),
                        score,
                        r.birth(),
                        r.receivedAt(),
                        Rules.preferences(parse(r.preferences())));
                candidates.add(candidate);
                byId.put(r.globalId(), candidate);
            }
        }
        Map<String, Rules.Plan> plans = plans(year.year());
        List<Admission.Result> results = Admission.run(year, plans, candidates);
        Map<String, Map<String, Integer>> byBatch = new java.util.TreeMap<>();
        storage.inTransaction(c -> {
            Set<String> previous = new java.util.HashSet<>();
            try (PreparedStatement old =
                    c.prepareStatement("SELECT global_id, high_school FROM exam_admission WHERE exam_year = ?")) {
                old.setString(1, year.year());
                try (ResultSet rs = old.executeQuery()) {
                    while (rs.next()) {
                        previous.add(resultKey(rs.getString(1), null));
                        previous.add(resultKey(rs.getString(1), rs.getString(2)));
                    }
                }
            }
            try (PreparedStatement del = c.prepareStatement("DELETE FROM exam_admission WHERE exam_year = ?")) {
                del.setString(1, year.year());
                del.executeUpdate();
            }
            Timestamp now = Timestamp.from(Instant.now());
            Map<String, Inheritance.Change> changes = new java.util.LinkedHashMap<>();
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO exam_admission (exam_year, global_id,"
                    + " batch_code, high_school, score, rank_no, admitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                for (Admission.Result a : results) {
                    ins.setString(1, year.year());
                    ins.setString(2, a.globalId());
                    ins.setString(3, a.batch());
                    ins.setString(4, a.highSchool());
                    ins.setBigDecimal(5, a.score());
                    ins.setInt(6, a.rank());
                    ins.setTimestamp(7, now);
                    ins.addBatch();
                    byBatch.computeIfAbsent(a.batch(), k -> new java.util.TreeMap<>())
                            .merge(a.highSchool(), 1, Integer::sum);
                    String value = resultJson(year, plans, byId.get(a.globalId()), a);
                    for (String key : List.of(resultKey(a.globalId(), null), resultKey(a.globalId(), a.highSchool()))) {
                        changes.put(key, new Inheritance.Change(key, value, Mode.LOCKED));
                        previous.remove(key);
                    }
                }
                if (!results.isEmpty()) {
                    ins.executeBatch();
                }
            }
            previous.forEach(key -> changes.put(key, Inheritance.Change.remove(key)));
            List<Inheritance.Change> all = new ArrayList<>(changes.values());
            try {
                for (int i = 0; i < all.size(); i += Inheritance.MAX_CHANGES) {
                    inheritance.change(
                            c, ExamTopics.RESULTS, all.subList(i, Math.min(all.size(), i + Inheritance.MAX_CHANGES)));
                }
            } catch (LockedException e) {
                throw new Invalid("year", "exam.notReviewable");
            }
            if (node.level() != Level.PROVINCE) {
                upward.enqueue(
                        c,
                        ExamTopics.ADMISSIONS,
                        year.year(),
                        System.currentTimeMillis(),
                        summary(year, plans, candidates.size(), results),
                        false);
            }
            audit.record(
                    c,
                    AuditLog.Event.of(
                            "exam.admission",
                            year.year(),
                            AuditLog.Result.SUCCESS,
                            results.size() + " of " + candidates.size() + " admitted"));
            return null;
        });
        return new AdmissionRun(candidates.size(), results.size(), byBatch);
    }

    /** What a county reports up of an admission run: counts per high school and batch, no names. */
    private String summary(
            Rules.ExamYear year, Map<String, Rules.Plan> plans, int candidates, List<Admission.Result> results) {
        ObjectNode o = Rules.JSON
                .createObjectNode()
                .put("year", year.year())
                .put("county", node.code())
                .put("candidates", candidates)
                .put("admitted", results.size());
        ObjectNode schools = o.putObject("highSchools");
        for (Admission.Result a : results) {
            ObjectNode s = (ObjectNode) schools.get(a.highSchool());
            if (s == null) {
                Rules.Plan plan = plans.get(Rules.Plan.key(year.year(), a.highSchool()));
                s = schools.putObject(a.highSchool())
                        .put("name", plan == null ? a.highSchool() : plan.name())
                        .put("admitted", 0);
                s.putObject("batches");
            }
            s.put("admitted", s.path("admitted").asInt() + 1);
            ObjectNode batches = (ObjectNode) s.get("batches");
            batches.put(a.batch(), batches.path(a.batch()).asInt(0) + 1);
        }
        return o.toString();
    }

    /** Keeps the admission summaries the counties report (topic {@link ExamTopics#ADMISSIONS}); the newest wins. */
    void admissionsReceived(Connection c, List<Upward.Record> records) throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement del = c.prepareStatement("DELETE FROM exam_admission_summary WHERE global_id = ?");
                PreparedStatement ins = c.prepareStatement("INSERT INTO exam_admission_summary (global_id, origin,"
                        + " exam_year, summary, received_at) VALUES (?, ?, ?, ?, ?)")) {
            for (Upward.Record r : records) {
                JsonNode p = parse(r.payload());
                String year = p.path("year").asText("");
                if (r.globalId().length() > 100
                        || !Rules.YEAR.matcher(year).matches()
                        || r.payload().length() > 8000) {
                    LOG.warn("admission summary {} from {} unreadable, left out", r.globalId(), r.origin());
                    continue;
                }
                del.setString(1, r.globalId());
                del.executeUpdate();
                if (!r.deleted()) {
                    ins.setString(1, r.globalId());
                    ins.setString(2, r.origin());
                    ins.setString(3, year);
                    ins.setString(4, r.payload());
                    ins.setTimestamp(5, now);
                    ins.executeUpdate();
                }
            }
        }
    }

    /** The admission summaries the counties in scope reported for a year, by county. */
    Map<String, JsonNode> admissionSummaries(String year, Scope scope) throws SQLException {
        Map<String, JsonNode> out = new java.util.TreeMap<>();
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT origin, summary FROM exam_admission_summary WHERE exam_year = ?")) {
            ps.setString(1, year);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (scope.covers(rs.getString(1))) {
                        out.put(rs.getString(1), parse(rs.getString(2)));
                    }
                }
            }
        }
        return out;
    }

    /** The item key of a result: for the student's school, or (with a high school) for the admitting school. */
    static String resultKey(String globalId, String highSchool) {
        String own = globalId.replace(':', '.');
        return highSchool == null ? own : highSchool + "." + own;
    }

    private static String resultJson(
            Rules.ExamYear year, Map<String, Rules.Plan> plans, Admission.Candidate r, Admission.Result a) {
        Rules.Plan plan = plans.get(Rules.Plan.key(year.year(), a.highSchool()));
        Rules.Batch batch = year.batch(a.batch());
        return Rules.JSON
                .createObjectNode()
                .put("year", year.year())
                .put("registration", a.globalId())
                .put("name", r.name())
                .put("school", r.school())
                .put("batch", a.batch())
                .put("batchName", batch == null ? a.batch() : batch.name())
                .put("highSchool", a.highSchool())
                .put("highSchoolName", plan == null ? a.highSchool() : plan.name())
                .put("score", a.score())
                .put("rank", a.rank())
                .toString();
    }

    /** The admitted of a year at this node (the last run), in the caller's scope, by batch and rank. */
    List<ObjectNode> admitted(String year, Scope scope) throws SQLException {
        List<ObjectNode> out = new ArrayList<>();
        Scope.Condition where = scope.where("r.origin");
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT a.global_id, r.origin, r.student_name, a.batch_code,"
                        + " a.high_school, a.score, a.rank_no FROM exam_admission a JOIN exam_received r ON r.global_id ="
                        + " a.global_id WHERE a.exam_year = ? AND " + where.sql()
                        + " ORDER BY a.batch_code, a.rank_no")) {
            int p = 1;
            ps.setString(p++, year);
            for (String v : where.parameters()) {
                ps.setString(p++, v);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(Rules.JSON
                            .createObjectNode()
                            .put("registration", rs.getString(1))
                            .put("school", rs.getString(2))
                            .put("name", rs.getString(3))
                            .put("batch", rs.getString(4))
                            .put("highSchool", rs.getString(5))
                            .put("score", rs.getBigDecimal(6))
                            .put("rank", rs.getInt(7)));
                }
            }
        }
        return out;
    }

    /** The results published toward this node for a year: its students', and (a high school) whom it admitted. */
    List<JsonNode> results(String year, boolean admittedHere) {
        List<JsonNode> out = new ArrayList<>();
        String prefix = node.code() + ".";
        for (Inheritance.Item i : inheritance.effective(ExamTopics.RESULTS)) {
            if (!i.key().startsWith(prefix)) {
                continue;
            }
            boolean forHighSchool = i.key().substring(prefix.length()).contains(".");
            JsonNode v = parse(i.value());
            if (forHighSchool == admittedHere && year.equals(v.path("year").asText())) {
                out.add(v);
            }
        }
        return out;
    }

    // --- statistics ----------------------------------------------------------------------------------------

    /** Counts per status and per school for a year: registrations made here, or received in scope. */
    Map<String, Map<String, Integer>> stats(String year, Scope scope) throws SQLException {
        Map<String, Map<String, Integer>> out = new java.util.TreeMap<>();
        if (node.level() == Level.SCHOOL) {
            try (Connection c = storage.dataSource().getConnection();
                    PreparedStatement ps =
                            c.prepareStatement("SELECT reg_id, version FROM exam_registration WHERE exam_year = ?")) {
                ps.setString(1, year);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String gid = node.code() + ":" + rs.getString(1);
                        Status status = Review.status(
                                rs.getLong(2),
                                inherited(Review.itemKey(gid, Level.COUNTY.id())),
                                inherited(Review.itemKey(gid, Level.PROVINCE.id())));
                        out.computeIfAbsent(node.code(), k -> new HashMap<>()).merge(status.id, 1, Integer::sum);
                    }
                }
            }
        } else {
            for (Light r : light(year, scope)) {
                out.computeIfAbsent(r.school(), k -> new HashMap<>()).merge(r.status().id, 1, Integer::sum);
            }
        }
        return out;
    }

    /** A registration received here, with only what statistics and admission need (nothing decrypted). */
    record Light(
            String globalId,
            String school,
            Status status,
            String name,
            LocalDate birth,
            Instant receivedAt,
            String preferences) {}

    /** The registrations of a year received from the schools in scope (withdrawn ones left out), light. */
    List<Light> light(String year, Scope scope) throws SQLException {
        List<Light> out = new ArrayList<>();
        Scope.Condition where = scope.where("origin");
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT global_id, origin, version, county_version,"
                        + " county_decision, province_version, province_decision, student_name, birth_date,"
                        + " received_at, preferences FROM exam_received WHERE exam_year = ? AND withdrawn = FALSE AND "
                        + where.sql())) {
            int p = 1;
            ps.setString(p++, year);
            for (String v : where.parameters()) {
                ps.setString(p++, v);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String gid = rs.getString(1);
                    Decision county =
                            rs.getString(5) == null ? null : new Decision(rs.getLong(4), rs.getString(5), "", "");
                    Decision province =
                            rs.getString(7) == null ? null : new Decision(rs.getLong(6), rs.getString(7), "", "");
                    if (province == null && node.level() != Level.PROVINCE) {
                        province = inherited(Review.itemKey(gid, Level.PROVINCE.id()));
                    }
                    out.add(new Light(
                            gid,
                            rs.getString(2),
                            Review.status(rs.getLong(3), county, province),
                            rs.getString(8),
                            rs.getDate(9).toLocalDate(),
                            rs.getTimestamp(10).toInstant(),
                            rs.getString(11)));
                }
            }
        }
        return out;
    }

    /**
     * Whether the exam's tables answer (for the health check): one row of each read, if there is one. Not a count:
     * health is asked at every heartbeat and by anyone (it needs no login), and counting the registrations reads
     * every entry of an index — at a county holding its schools' hundreds of thousands, a scan each time.
     */
    void answers() throws SQLException {
        try (Connection c = storage.dataSource().getConnection()) {
            for (String sql : new String[] {
                "SELECT reg_id FROM exam_registration FETCH FIRST 1 ROWS ONLY",
                "SELECT global_id FROM exam_received FETCH FIRST 1 ROWS ONLY"
            }) {
                try (PreparedStatement ps = c.prepareStatement(sql);
                        ResultSet rs = ps.executeQuery()) {
                    rs.next();
                }
            }
        }
    }
}
