package org.edufed.kernel.web.internal.rest;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.security.AccountService;
import org.edufed.kernel.api.security.Grant;
import org.edufed.kernel.api.security.Organisation;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bulk creation of local accounts from CSV. The whole file is checked first (columns, names, roles, units,
 * duplicates in the file, accounts that exist), so the report names every bad row at once with its line;
 * the good rows are then created in the background — each account with its roles and grants in one
 * transaction — while the report shows the progress. One-time passwords are handed to whoever started the
 * import, once, as CSV. A re-run of the same file creates only what is missing (the others are reported as
 * existing). Jobs live in memory for {@link #KEEP} after they end.
 *
 * <p>Columns (header row required; English or Chinese names): {@code username}/账户名, {@code
 * displayName}/姓名, {@code roles}/角色 (separated by {@code ;}), optional {@code grants}/授权 ({@code
 * role@unit} or {@code role@unit/*} with the subtree, separated by {@code ;}). UTF-8, with or without a BOM.
 */
@Component(service = AccountImports.class)
public final class AccountImports {

    private static final Logger LOG = LoggerFactory.getLogger(AccountImports.class);
    static final int MAX_ROWS = 10_000;
    static final int MAX_BYTES = 4 * 1024 * 1024;
    static final Duration KEEP = Duration.ofHours(1);
    private static final Pattern USERNAME = Pattern.compile(AccountService.USERNAME_PATTERN);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<String, String> COLUMNS = Map.of(
            "username",
            "username",
            "账户名",
            "username",
            "用户名",
            "username",
            "displayname",
            "displayName",
            "姓名",
            "displayName",
            "roles",
            "roles",
            "角色",
            "roles",
            "grants",
            "grants",
            "授权",
            "grants");

    private final AccountService accounts;
    private final Organisation organisation;
    private final AuditLog audit;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "edufed-account-import");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public AccountImports(
            @Reference AccountService accounts, @Reference Organisation organisation, @Reference AuditLog audit) {
        this.accounts = accounts;
        this.organisation = organisation;
        this.audit = audit;
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        workers.shutdownNow();
        workers.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** One row's outcome: {@code pending}, {@code created}, {@code exists} or {@code invalid} (with the reason). */
    public record RowReport(int line, String username, String status, String error) {}

    private record Row(int line, String username, String displayName, Set<String> roles, List<Grant> grants) {}

    /** An import: its rows' outcomes, progress, and the passwords of the accounts it created. */
    public final class Job {
        final String id;
        final String owner;
        final Instant started = Instant.now();
        final RowReport[] rows;
        final AtomicInteger remaining;
        final AtomicInteger created = new AtomicInteger();
        final Map<String, String> passwords = Collections.synchronizedMap(new LinkedHashMap<>());
        volatile Instant finished;
        volatile boolean passwordsTaken;

        Job(String id, String owner, RowReport[] rows, int toCreate) {
            this.id = id;
            this.owner = owner;
            this.rows = rows;
            this.remaining = new AtomicInteger(toCreate);
        }

        public String id() {
            return id;
        }

        public String owner() {
            return owner;
        }

        public boolean done() {
            return finished != null;
        }

        public int total() {
            return rows.length;
        }

        public int pending() {
            return remaining.get();
        }

        public int created() {
            return created.get();
        }

        public List<RowReport> rows() {
            synchronized (rows) {
                return List.of(rows.clone());
            }
        }

        /** The one-time passwords, once: afterwards empty. */
        public Optional<Map<String, String>> takePasswords() {
            synchronized (passwords) {
                if (passwordsTaken || !done()) {
                    return Optional.empty();
                }
                passwordsTaken = true;
                Map<String, String> out = new LinkedHashMap<>(passwords);
                passwords.clear();
                return Optional.of(out);
            }
        }

        public boolean passwordsTaken() {
            return passwordsTaken;
        }

        void set(int index, RowReport report) {
            synchronized (rows) {
                rows[index] = report;
            }
        }
    }

    public Optional<Job> find(String id) {
        purge();
        return Optional.ofNullable(id == null ? null : jobs.get(id));
    }

    /**
     * Checks a CSV file and starts creating its good rows.
     *
     * @throws IllegalArgumentException {@code import.badCsv} (not UTF-8 CSV, or no header), {@code
     *     import.badHeader} (no username or displayName column, or an unknown one), {@code import.empty}, {@code
     *     import.tooLarge}
     */
    public Job start(String owner, String address, byte[] csv) {
        purge();
        if (csv == null || csv.length == 0) {
            throw new IllegalArgumentException("import.empty");
        }
        if (csv.length > MAX_BYTES) {
            throw new IllegalArgumentException("import.tooLarge");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(csv))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("import.badCsv");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<CSVRecord> records;
        Map<String, Integer> header = new LinkedHashMap<>();
        try (CSVParser parser = CSVFormat.DEFAULT
                .builder()
                .setHeader()
                .setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true)
                .setTrim(true)
                .setAllowMissingColumnNames(false)
                .build()
                .parse(new StringReader(text))) {
            for (Map.Entry<String, Integer> h : parser.getHeaderMap().entrySet()) {
                String column = COLUMNS.get(h.getKey().trim().toLowerCase(Locale.ROOT));
                if (column == null || header.putIfAbsent(column, h.getValue()) != null) {
                    throw new IllegalArgumentException("import.badHeader");
                }
            }
            records = new ArrayList<>();
            for (CSVRecord r : parser) {
                records.add(r);
                if (records.size() > MAX_ROWS) {
                    throw new IllegalArgumentException("import.tooLarge");
                }
            }
        } catch (IOException | java.io.UncheckedIOException | IllegalStateException e) {
            throw new IllegalArgumentException("import.badCsv");
        }
        if (!header.containsKey("username") || !header.containsKey("displayName")) {
            throw new IllegalArgumentException("import.badHeader");
        }
        if (records.isEmpty()) {
            throw new IllegalArgumentException("import.empty");
        }

        Set<String> knownRoles = new HashSet<>();
        accounts.roles().forEach(r -> knownRoles.add(r.name()));
        Set<String> seen = new HashSet<>();
        RowReport[] reports = new RowReport[records.size()];
        List<Integer> good = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            CSVRecord r = records.get(i);
            int line = (int) r.getRecordNumber() + 1; // the header is line 1
            String username = value(r, header.get("username"));
            String error = null;
            Row row = null;
            if (!r.isConsistent()) {
                error = "import.columns";
            } else if (!USERNAME.matcher(username).matches()) {
                error = "account.badName";
            } else if (!seen.add(username)) {
                error = "import.duplicate";
            } else {
                String name = value(r, header.get("displayName"));
                Set<String> roles = split(value(r, header.get("roles")));
                List<Grant> grants = new ArrayList<>();
                if (name.isBlank() || name.length() > 100) {
                    error = "account.badName";
                } else if (!knownRoles.containsAll(roles)) {
                    error = "account.badRole";
                } else {
                    for (String g : split(value(r, header.get("grants")))) {
                        int at = g.indexOf('@');
                        String role = at < 0 ? "" : g.substring(0, at);
                        String unit = at < 0 ? "" : g.substring(at + 1);
                        boolean subtree = unit.endsWith("/*");
                        unit = subtree ? unit.substring(0, unit.length() - 2) : unit;
                        if (role.isEmpty() || unit.isEmpty()) {
                            error = "grant.bad";
                        } else if (!knownRoles.contains(role)) {
                            error = "account.badRole";
                        } else if (organisation.find(unit).isEmpty()) {
                            error = "org.notFound";
                        } else {
                            grants.add(new Grant(role, unit, subtree));
                        }
                    }
                }
                if (error == null && accounts.find(username).isPresent()) {
                    reports[i] = new RowReport(line, username, "exists", "account.exists");
                    continue;
                }
                row = new Row(line, username, name, roles, grants);
            }
            if (error != null) {
                reports[i] = new RowReport(line, username, "invalid", error);
            } else {
                reports[i] = new RowReport(line, username, "pending", null);
                good.add(i);
                rows.add(row);
            }
        }
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        Job job = new Job(HexFormat.of().formatHex(b), owner, reports, rows.size());
        jobs.put(job.id, job);
        LOG.info("account import {} by {}: {} rows, {} to create", job.id, owner, reports.length, rows.size());
        if (rows.isEmpty()) {
            finish(job, address);
        }
        for (int k = 0; k < rows.size(); k++) {
            int index = good.get(k);
            Row row = rows.get(k);
            workers.submit(() -> {
                try (Actor.Scope scope = Actor.as(owner, address)) {
                    create(job, index, row);
                } finally {
                    if (job.remaining.decrementAndGet() == 0) {
                        finish(job, address);
                    }
                }
            });
        }
        return job;
    }

    private void create(Job job, int index, Row row) {
        try {
            String password = accounts.create(row.username(), row.displayName(), row.roles(), row.grants());
            job.passwords.put(row.username(), password);
            job.created.incrementAndGet();
            job.set(index, new RowReport(row.line(), row.username(), "created", null));
        } catch (IllegalArgumentException e) {
            String key = e.getMessage() == null ? "problem.bad-request" : e.getMessage();
            job.set(
                    index,
                    new RowReport(
                            row.line(), row.username(), key.equals("account.exists") ? "exists" : "invalid", key));
        } catch (RuntimeException e) {
            LOG.warn("account import {}: line {} not created: {}", job.id, row.line(), e.getMessage());
            job.set(index, new RowReport(row.line(), row.username(), "invalid", "problem.internal-row"));
        }
    }

    private void finish(Job job, String address) {
        job.finished = Instant.now();
        long invalid =
                job.rows().stream().filter(r -> r.status().equals("invalid")).count();
        try (Actor.Scope scope = Actor.as(job.owner, address)) {
            audit.record(AuditLog.Event.of(
                    "account.import",
                    job.id,
                    invalid == 0 ? AuditLog.Result.SUCCESS : AuditLog.Result.FAILURE,
                    job.rows.length + " rows, " + job.created() + " created, " + invalid + " refused"));
        }
        LOG.info("account import {} done: {} created of {} rows", job.id, job.created(), job.rows.length);
    }

    private void purge() {
        Instant limit = Instant.now().minus(KEEP);
        jobs.values().removeIf(j -> j.finished != null && j.finished.isBefore(limit));
    }

    private static String value(CSVRecord r, Integer column) {
        return column == null || column >= r.size() ? "" : r.get(column).trim();
    }

    private static Set<String> split(String value) {
        Set<String> out = new LinkedHashSet<>();
        for (String v : value.split("[;；]")) {
            if (!v.isBlank()) {
                out.add(v.trim());
            }
        }
        return out;
    }
}
