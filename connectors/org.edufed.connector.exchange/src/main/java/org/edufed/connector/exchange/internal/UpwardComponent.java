package org.edufed.connector.exchange.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.edufed.kernel.api.federation.OwnRecords;
import org.edufed.kernel.api.federation.Topic;
import org.edufed.kernel.api.federation.Upward;
import org.edufed.kernel.api.security.Scope;
import org.edufed.kernel.api.storage.Dialect;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upward records: the outbox written in the business transaction, the parent's de-duplicating inbox, the
 * records held per node, and dead letters. A node above the school passes what it receives on to its own
 * parent in the same transaction in which it accepts it.
 */
@Component(service = {Upward.class, UpwardComponent.class})
public final class UpwardComponent implements Upward {

    private static final Logger LOG = LoggerFactory.getLogger(UpwardComponent.class);
    static final int MAX_PAYLOAD = 32_000;
    /** Records per push, as many as a bulk call writes (an offline bundle carries up to 50,000). */
    static final int BATCH = 1000;
    /**
     * Payload characters per push at most (and one record beyond), so that a push fits in what the parent takes
     * ({@link ExchangeResource#PUSH_LIMIT}).
     */
    static final long PUSH_CHARS = 8_000_000;

    private final FederationStore store;
    private final NodeIdentity identity;
    private final boolean hasParentLevel;
    private final Topics topics;
    private final AuditLog audit;
    private final FieldEncryption fields;
    private final OutboxIds ids = new OutboxIds();

    @Activate
    public UpwardComponent(
            @Reference FederationStore store,
            @Reference NodeIdentity identity,
            @Reference Topics topics,
            @Reference AuditLog audit,
            @Reference FieldEncryption fields) {
        this.audit = audit;
        this.fields = fields;
        this.store = store;
        this.identity = identity;
        this.topics = topics;
        this.hasParentLevel = identity.level() != Level.PROVINCE;
    }

    private static final java.util.regex.Pattern TOPIC_NAME =
            java.util.regex.Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /** One outbox row. */
    record Item(long id, String topic, String globalId, String origin, long version, boolean deleted, String payload) {}

    @Override
    public void enqueue(Connection c, String topic, String localId, long version, String payloadJson, boolean deleted)
            throws SQLException {
        enqueueAll(c, topic, List.of(new Entry(localId, version, payloadJson, deleted)));
    }

    @Override
    public void enqueueAll(Connection c, String topic, List<Entry> entries) throws SQLException {
        Connection own = platformView(c);
        forwardAll(own, keepNewest(own, items(topic, entries, false)));
    }

    /**
     * {@link #enqueueAll}, the sensitive fields encrypted by the caller already: each is checked to be a ciphertext
     * of this node's field key (by its shape, reading the payload as a stream of tokens, no tree built or written)
     * and kept as given. A registration at a school encrypted its ID number, phone and extra fields twice before,
     * once for its row and once here, and parsed and wrote its payload once more: 2.3 % of the school's CPU while
     * its students registered (1.0 SM4, 1.3 JSON).
     */
    @Override
    public void enqueueSealed(Connection c, String topic, List<Entry> entries) throws SQLException {
        Connection own = platformView(c);
        forwardAll(own, keepNewest(own, items(topic, entries, true)));
    }

    /**
     * Changes of records their plugin keeps ({@link Topic#ownRecords()}): an outbox row each, naming the record,
     * and nothing else — except a deletion, whose record the plugin no longer holds: it is kept here (a tombstone,
     * newest version wins as for any record) to go up and to be reconciled.
     */
    @Override
    public void enqueueOwn(Connection c, String topic, List<Change> changes) throws SQLException {
        checkTopic(topic);
        if (ownRecords(topic) == null) {
            throw new IllegalArgumentException("upward record: topic " + topic + " does not keep its own records");
        }
        List<Item> items = new ArrayList<>(changes.size());
        List<Item> tombstones = new ArrayList<>();
        for (Change ch : changes) {
            if (ch == null
                    || ch.localId() == null
                    || ch.localId().isBlank()
                    || ch.localId().length() > 270) {
                throw new IllegalArgumentException("upward record: bad id");
            }
            Item item = new Item(
                    0,
                    topic,
                    identity.code() + ":" + ch.localId(),
                    identity.code(),
                    ch.version(),
                    ch.deleted(),
                    ch.deleted() ? "{}" : null);
            items.add(item);
            if (ch.deleted()) {
                tombstones.add(item);
            }
        }
        Connection own = platformView(c);
        if (!tombstones.isEmpty()) {
            // an older deletion than one held is not queued (as keepNewest decides for any record)
            Set<Item> kept = new HashSet<>(keepNewest(own, tombstones));
            items.removeIf(i -> i.deleted() && !kept.contains(i));
        }
        forwardAll(own, items);
    }

    /** Copies looked at a page at a time by {@link #dropOwnCopies}. */
    static final int COPY_CHUNK = 500;

    /**
     * Gives back the space of the copies a node kept of its own records before their plugin kept them itself
     * ({@link Topic#ownRecords()}; a school upgraded with its registrations in both places). A copy goes once its
     * plugin holds the record at the same or a newer version: it is then never read (the plugin's row wins where the
     * two meet, and a pending outbox row is read from the plugin). Deletions (tombstones) stay, and so does a copy
     * its plugin does not hold. Runs with the housekeeping; once the copies are gone it reads one empty key range
     * (Derby).
     *
     * @return how many copies went
     */
    int dropOwnCopies() throws SQLException {
        return dropOwnCopies(COPY_CHUNK);
    }

    /** {@link #dropOwnCopies()}, looking at {@code chunk} copies at a time. */
    int dropOwnCopies(int chunk) throws SQLException {
        String prefix = identity.code() + ":";
        int dropped = 0;
        for (Topic t : topics.list()) {
            OwnRecords records = t.direction() == Topic.Direction.UP ? t.ownRecords() : null;
            if (records == null) {
                continue;
            }
            String after = ""; // keyset pages in the database's order of global ids (its collation's)
            while (true) {
                Map<String, Long> copies = new HashMap<>(); // local id → version of the copy
                after = copies(t.name(), prefix, after, chunk, copies);
                if (copies.isEmpty()) {
                    break;
                }
                List<String> superseded = records.get(copies.keySet()).values().stream()
                        .filter(h -> copies.containsKey(h.localId()) && h.version() >= copies.get(h.localId()))
                        .map(OwnRecords.Held::localId)
                        .toList();
                if (!superseded.isEmpty()) {
                    dropped += dropCopies(t.name(), prefix, superseded, copies);
                }
            }
        }
        return dropped;
    }

    /**
     * Reads the next copies kept of this node's records (global ids starting with {@code prefix}) after a global id
     * into {@code into} (version by local id); returns the last global id read. {@code LIKE} with the prefix is a
     * range on the key in Derby and right in any collation (a range by code point is not, in PostgreSQL's).
     */
    private String copies(String topic, String prefix, String after, int chunk, Map<String, Long> into)
            throws SQLException {
        String last = after;
        try (Connection c = store.storage().dataSource().getConnection();
                PreparedStatement q = c.prepareStatement("SELECT global_id, version FROM edufed_fed_record"
                        + " WHERE topic = ? AND global_id LIKE ? AND global_id > ? AND deleted = FALSE"
                        + " ORDER BY global_id")) {
            q.setString(1, topic);
            q.setString(2, prefix + "%"); // a node code and ':' hold no wildcard
            q.setString(3, after);
            q.setMaxRows(chunk);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    last = rs.getString(1);
                    into.put(last.substring(prefix.length()), rs.getLong(2));
                }
            }
        }
        return last;
    }

    /** Deletes the given copies, each only as the version read (a copy changed since stays), in one transaction. */
    private int dropCopies(String topic, String prefix, List<String> localIds, Map<String, Long> versions)
            throws SQLException {
        return store.storage().inTransaction(c -> {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_fed_record WHERE topic = ?"
                    + " AND global_id = ? AND version = ? AND deleted = FALSE")) {
                for (String localId : localIds) {
                    del.setString(1, topic);
                    del.setString(2, prefix + localId);
                    del.setLong(3, versions.get(localId));
                    del.addBatch();
                }
                int n = 0;
                for (int r : del.executeBatch()) {
                    n += Math.max(r, 0);
                }
                return n;
            }
        });
    }

    /** The records of a topic that its plugin keeps itself, or {@code null} (the exchange keeps a copy of each). */
    private OwnRecords ownRecords(String topic) {
        Topic t = topics.get(topic);
        return t == null || t.direction() != Topic.Direction.UP ? null : t.ownRecords();
    }

    /**
     * A connection a plugin handed over to write its records in its own transaction, as the platform uses it
     * ({@link org.edufed.kernel.api.storage.Storage#platformView}): the same pooled connection and transaction take
     * the exchange's few statements directly, not each checked and let through only after a refusal and a look at
     * the stack for who issued it, with a proxy call per parameter (2.5 % of a school's CPU while its students
     * registered; the look at the stack that {@code unwrap} makes instead, one per registration, was 2 % more).
     */
    private Connection platformView(Connection c) throws SQLException {
        return store.storage().platformView(c);
    }

    /**
     * {@link #enqueueAll Enqueues} records this node creates now, under local ids it has just made at random
     * (UUIDs): no version of them can be held here, so they are inserted without looking one up first. (Should
     * an id be held after all, the insert fails on the primary key and the caller's transaction with it.)
     */
    void enqueueCreated(Connection c, String topic, List<Entry> entries) throws SQLException {
        List<Item> items = items(topic, entries, false);
        Connection own = platformView(c);
        insertAll(own, items);
        forwardAll(own, items);
    }

    /** The outbox items of this node's entries, checked; sealed here unless the caller {@code sealed} them. */
    private List<Item> items(String topic, List<Entry> entries, boolean sealed) {
        checkTopic(topic);
        List<Item> items = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            if (e == null
                    || e.localId() == null
                    || e.localId().isBlank()
                    || e.localId().length() > 270
                    || e.payloadJson() == null
                    || e.payloadJson().length() > MAX_PAYLOAD) {
                throw new IllegalArgumentException("upward record: bad id or payload");
            }
            items.add(new Item(
                    0,
                    topic,
                    identity.code() + ":" + e.localId(),
                    identity.code(),
                    e.version(),
                    e.deleted(),
                    sealed ? checkSealed(topic, e.payloadJson()) : seal(topic, e.payloadJson())));
        }
        return items;
    }

    /** Throws {@link IllegalArgumentException} unless the topic is a well-formed, declared upward topic. */
    private void checkTopic(String topic) {
        if (topic == null || !TOPIC_NAME.matcher(topic).matches()) {
            throw new IllegalArgumentException("upward record: bad topic");
        }
        if (!topics.isDeclared(topic, Topic.Direction.UP)) {
            throw new IllegalArgumentException("upward record: topic " + topic + " is not declared as an upward topic");
        }
    }

    /**
     * A payload its caller sealed, as given, once each sensitive field of its topic at the top level that is a
     * non-empty string is found to be a ciphertext of this node's field key.
     *
     * @throws IllegalArgumentException when one is not (its name said, never its value), or it is not JSON
     */
    private String checkSealed(String topic, String json) {
        Topic t = topics.get(topic);
        Set<String> sensitive = t == null ? Set.of() : t.sensitiveFields();
        if (sensitive.isEmpty()) {
            return json;
        }
        try (JsonParser p = Json.MAPPER.getFactory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return json; // not an object: nothing in it is a field (as seal leaves it)
            }
            JsonToken token;
            while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                token = p.nextToken();
                if (token == JsonToken.VALUE_STRING && sensitive.contains(name)) {
                    String v = p.getText();
                    if (!v.isEmpty() && !fields.isCiphertext(v)) {
                        throw new IllegalArgumentException(
                                "upward record: sensitive field " + name + " of topic " + topic + " is not sealed");
                    }
                } else {
                    p.skipChildren();
                }
            }
            return json;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("upward record: the payload is not JSON");
        }
    }

    /**
     * A payload as this node stores it: the fields its topic marks {@link Topic#sensitiveFields() sensitive}
     * encrypted under this node's field key (unchanged when there are none, or it is not a JSON object).
     */
    String seal(String topic, String json) {
        return transform(topic, json, fields::encrypt);
    }

    /** A stored payload as it travels (inside a signed envelope): its sensitive fields decrypted. */
    String open(String topic, String json) {
        return transform(topic, json, fields::decrypt);
    }

    private String transform(String topic, String json, java.util.function.UnaryOperator<String> f) {
        Topic t = topics.get(topic);
        Set<String> sensitive = t == null ? Set.of() : t.sensitiveFields();
        if (sensitive.isEmpty() || json == null) {
            return json;
        }
        JsonNode parsed = Json.parse(json);
        if (!(parsed instanceof ObjectNode object)) {
            return json;
        }
        for (String field : sensitive) {
            JsonNode v = object.get(field);
            if (v != null && v.isTextual() && !v.asText().isEmpty()) {
                object.put(field, f.apply(v.asText()));
            }
        }
        return Json.text(object);
    }

    /** Binds the six record columns (topic, global id, origin, version, deleted, payload) as parameters 1–6. */
    private static void bind(PreparedStatement ps, Item item) throws SQLException {
        bindKey(ps, item);
        ps.setString(6, item.payload());
    }

    /** Binds what names a record's version (topic, global id, origin, version, deleted) to parameters 1–5. */
    private static void bindKey(PreparedStatement ps, Item item) throws SQLException {
        ps.setString(1, item.topic());
        ps.setString(2, item.globalId());
        ps.setString(3, item.origin());
        ps.setLong(4, item.version());
        ps.setBoolean(5, item.deleted());
    }

    /**
     * Queues records for the parent in one batch (nothing at a province, which has none). Every record queued is
     * held in {@code edufed_fed_record} (its callers keep it there first, in the same transaction), so its outbox
     * row names it without a copy of its payload: the record goes up as it is when the row is sent
     * ({@link #pending}). A registration at a school wrote its payload twice before, in its record and in its
     * outbox row. Derby writes every character of a VARCHAR to its log one at a time (4.7 % of a school's CPU while
     * its students registered, its largest single frame); without the copy the outbox row took 4.8 % of that CPU
     * instead of 6.2 %, and the log about a quarter fewer characters a registration.
     */
    void forwardAll(Connection c, List<Item> items) throws SQLException {
        if (!hasParentLevel || items.isEmpty()) {
            return;
        }
        long id = ids.take(c, items.size());
        try (PreparedStatement ins =
                c.prepareStatement("INSERT INTO edufed_fed_outbox (topic, global_id, origin, version,"
                        + " deleted, created_at, id) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            Timestamp now = Timestamp.from(Instant.now());
            for (Item item : items) {
                bindKey(ins, item);
                ins.setTimestamp(6, now);
                ins.setLong(7, id++);
                ins.addBatch();
            }
            ins.executeBatch();
        }
    }

    /** Queues a record for the parent (nothing at a province, which has none). */
    void forward(Connection c, Item item) throws SQLException {
        forwardAll(c, List.of(item));
    }

    /**
     * The oldest items waiting to go up. Read as a range of the primary key from the oldest id, so the database
     * walks the index instead of sorting the whole outbox (with its payloads) for every batch. A row without a
     * payload of its own is its record as held now (its newest version: an older version queued before it was
     * superseded goes up as the newer one, which the parent keeps once); a row queued before rows stopped carrying
     * payloads goes up with its own. A row whose record is no longer held (nothing deletes records; only a hand in
     * the database could) cannot be sent and becomes a dead letter, for an operator to see, instead of blocking
     * the outbox.
     */
    List<Item> pending(int limit) throws SQLException {
        return pending(limit, Long.MAX_VALUE);
    }

    /**
     * {@link #pending(int) The oldest items waiting to go up}, as many as fit in {@code maxChars} characters of
     * payload (the first always, whatever its size): what a push or a bundle carries stays within what the parent
     * takes ({@link ExchangeResource}, {@link OfflineResource}).
     */
    List<Item> pending(int limit, long maxChars) throws SQLException {
        List<Item> out = new ArrayList<>();
        List<Item> orphans = new ArrayList<>();
        try (Connection c = store.storage().dataSource().getConnection()) {
            long oldest;
            try (PreparedStatement min = c.prepareStatement("SELECT MIN(id) FROM edufed_fed_outbox");
                    ResultSet rs = min.executeQuery()) {
                rs.next();
                oldest = rs.getLong(1);
                if (rs.wasNull()) {
                    return out;
                }
            }
            List<Item> rows = new ArrayList<>();
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT id, topic, global_id, origin, version, deleted, payload"
                            + " FROM edufed_fed_outbox WHERE id >= ? AND id < ? ORDER BY id")) {
                ps.setLong(1, oldest);
                ps.setLong(2, oldest + 4L * limit); // ids are mostly dense; a sparse range just gives fewer
                ps.setMaxRows(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Item(
                                rs.getLong(1),
                                rs.getString(2),
                                rs.getString(3),
                                rs.getString(4),
                                rs.getLong(5),
                                rs.getBoolean(6),
                                rs.getString(7)));
                    }
                }
            }
            // records their plugin keeps: asked for once per topic, the newest version of each
            Map<String, OwnRecords.Held> own = ownHeld(rows);
            // the records the rows name, one primary-key lookup each through one statement (a join let Derby
            // choose to read the whole record table for every batch)
            try (PreparedStatement held = c.prepareStatement(
                    "SELECT version, deleted, payload FROM edufed_fed_record WHERE topic = ? AND global_id = ?")) {
                long chars = 0;
                for (Item row : rows) {
                    if (!out.isEmpty() && chars >= maxChars) {
                        break;
                    }
                    if (row.payload() != null) {
                        chars += row.payload().length();
                        out.add(row);
                        continue;
                    }
                    OwnRecords.Held h = own.get(row.topic() + "\n" + row.globalId());
                    if (h != null) {
                        chars += h.payloadJson().length();
                        out.add(new Item(
                                row.id(),
                                row.topic(),
                                row.globalId(),
                                row.origin(),
                                h.version(),
                                false,
                                h.payloadJson()));
                        continue;
                    }
                    // not (or no longer) held by its plugin: its deletion, or a record kept here
                    held.setString(1, row.topic());
                    held.setString(2, row.globalId());
                    try (ResultSet rs = held.executeQuery()) {
                        if (rs.next()) {
                            String payload = rs.getString(3);
                            chars += payload.length();
                            out.add(new Item(
                                    row.id(),
                                    row.topic(),
                                    row.globalId(),
                                    row.origin(),
                                    rs.getLong(1),
                                    rs.getBoolean(2),
                                    payload));
                        } else {
                            orphans.add(new Item(
                                    row.id(),
                                    row.topic(),
                                    row.globalId(),
                                    row.origin(),
                                    row.version(),
                                    row.deleted(),
                                    "{}"));
                        }
                    }
                }
            }
        }
        if (!orphans.isEmpty()) {
            LOG.error("{} outbox rows name records no longer held at this node; kept as dead letters", orphans.size());
            bury(orphans, "record no longer held at this node");
        }
        return out;
    }

    /**
     * Of the outbox rows that name a record of this node's whose plugin keeps it ({@link Topic#ownRecords()}), the
     * records their plugins hold now, by topic and global id ({@code <topic>\n<global id>}).
     */
    private Map<String, OwnRecords.Held> ownHeld(List<Item> rows) throws SQLException {
        Map<String, List<String>> wanted = new HashMap<>();
        String prefix = identity.code() + ":";
        for (Item row : rows) {
            if (row.payload() == null && row.globalId().startsWith(prefix) && ownRecords(row.topic()) != null) {
                wanted.computeIfAbsent(row.topic(), t -> new ArrayList<>())
                        .add(row.globalId().substring(prefix.length()));
            }
        }
        Map<String, OwnRecords.Held> out = new HashMap<>();
        for (Map.Entry<String, List<String>> e : wanted.entrySet()) {
            OwnRecords records = ownRecords(e.getKey());
            if (records == null) {
                continue; // its plugin went away meanwhile: as any record not held, below
            }
            records.get(e.getValue()).forEach((localId, h) -> out.put(e.getKey() + "\n" + prefix + localId, h));
        }
        return out;
    }

    /** Outbox rows that cannot be sent: out of the outbox, into the dead letters with the reason. */
    private void bury(List<Item> items, String reason) throws SQLException {
        store.storage().inTransaction(c -> {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_fed_outbox WHERE id = ?")) {
                for (Item item : items) {
                    dead(c, item, reason);
                    del.setLong(1, item.id());
                    del.addBatch();
                }
                del.executeBatch();
            }
            return null;
        });
    }

    /**
     * A batch as the parent of the given level may see it (fields its topics hide from that level removed). A record
     * whose sensitive fields this node's field keys cannot open (a key file lost, a value sealed by another node's
     * key) is left out and becomes a dead letter rather than holding up the outbox behind it.
     */
    ObjectNode toJson(List<Item> items, Level parentLevel) throws SQLException {
        ObjectNode body = Json.object();
        ArrayNode arr = body.putArray("items");
        List<Item> unopened = new ArrayList<>();
        for (Item i : items) {
            String opened;
            try {
                opened = open(i.topic(), i.payload());
            } catch (IllegalArgumentException e) {
                unopened.add(i);
                continue;
            }
            arr.addObject()
                    .put("id", i.id())
                    .put("topic", i.topic())
                    .put("globalId", i.globalId())
                    .put("origin", i.origin())
                    .put("version", i.version())
                    .put("deleted", i.deleted())
                    .put("payload", topics.visibleTo(i.topic(), parentLevel, opened));
        }
        if (!unopened.isEmpty()) {
            LOG.error(
                    "{} outbox records cannot be opened with this node's field keys (the first {}); kept as dead"
                            + " letters",
                    unopened.size(),
                    unopened.get(0).globalId());
            bury(unopened, "sensitive fields cannot be opened with this node's field keys");
        }
        return body;
    }

    /**
     * The parent's side of a push, in one transaction: per item {@code accepted} (kept, passed on upward),
     * {@code duplicate} (seen before: acknowledged again, applied never twice), {@code retry} (origin not yet
     * known here: the child's heartbeat has not told of it), or {@code rejected} (out of the child's scope).
     */
    ObjectNode accept(FederationStore.ChildRow child, JsonNode body) throws SQLException {
        Set<String> scope = new HashSet<>();
        scope.add(child.node().code());
        collectCodes(Json.parse(child.subtree()), scope);
        // every code known below this node: read only when an origin falls outside the sender's scope, not on
        // every push (a county's subtree reports are large and pushes are frequent)
        Set<String> known = new HashSet<>();
        return store.storage().inTransaction(c -> {
            ObjectNode answer = Json.object();
            ArrayNode results = answer.putArray("results");
            List<Candidate> candidates = new ArrayList<>();
            for (JsonNode n : body.path("items")) {
                long id = n.path("id").asLong();
                ObjectNode r = results.addObject().put("id", id);
                String origin = n.path("origin").asText("");
                String globalId = n.path("globalId").asText("");
                String payload = n.path("payload").asText("");
                if (!globalId.startsWith(origin + ":") || payload.length() > MAX_PAYLOAD) {
                    r.put("status", "rejected").put("reason", "malformed record");
                    continue;
                }
                if (!topics.isDeclared(n.path("topic").asText(), Topic.Direction.UP)) {
                    // the plugin that owns the topic is not (yet) installed here: keep it waiting, lose nothing
                    r.put("status", "retry").put("reason", "topic not known here yet");
                    continue;
                }
                if (!scope.contains(origin) && known.isEmpty()) {
                    // read afresh: a heartbeat may have told of the origin since the sender's row was read, so the
                    // sender's own subtree as it is now widens its scope; the rest is what is known elsewhere
                    known.add(identity.code());
                    for (FederationStore.ChildRow other : store.children()) {
                        if (other.node().code().equals(child.node().code())) {
                            collectCodes(Json.parse(other.subtree()), scope);
                        } else {
                            known.add(other.node().code());
                            collectCodes(Json.parse(other.subtree()), known);
                        }
                    }
                }
                if (!scope.contains(origin)) {
                    boolean elsewhere = known.contains(origin);
                    r.put("status", elsewhere ? "rejected" : "retry")
                            .put(
                                    "reason",
                                    elsewhere
                                            ? "origin " + origin + " is not in the sender's subtree"
                                            : "origin not known yet");
                    continue;
                }
                candidates.add(new Candidate(
                        r,
                        new Item(
                                id,
                                n.path("topic").asText(),
                                globalId,
                                origin,
                                n.path("version").asLong(),
                                n.path("deleted").asBoolean(),
                                seal(n.path("topic").asText(), payload))));
            }
            keepAll(c, child.node().code(), candidates);
            return answer;
        });
    }

    /** A record of a push that passed the checks, with its entry in the answer. */
    private record Candidate(ObjectNode result, Item item) {}

    /**
     * Keeps the records of a push in a few statements rather than several per record: which outbox ids were
     * delivered before (duplicates), the versions held now, then the inserts, updates and forwards in batches.
     */
    private void keepAll(Connection c, String child, List<Candidate> candidates) throws SQLException {
        if (candidates.isEmpty()) {
            return;
        }
        Set<Long> delivered = new HashSet<>();
        long min = candidates.stream().mapToLong(k -> k.item().id()).min().orElse(0);
        long max = candidates.stream().mapToLong(k -> k.item().id()).max().orElse(0);
        try (PreparedStatement q = c.prepareStatement(
                "SELECT outbox_id FROM edufed_fed_inbox WHERE child_code = ? AND outbox_id BETWEEN ? AND ?")) {
            q.setString(1, child);
            q.setLong(2, min);
            q.setLong(3, max);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    delivered.add(rs.getLong(1));
                }
            }
        }
        List<Item> fresh = new ArrayList<>();
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement ins = c.prepareStatement(
                "INSERT INTO edufed_fed_inbox (child_code, outbox_id, received_at) VALUES (?, ?, ?)")) {
            for (Candidate k : candidates) {
                if (!delivered.add(k.item().id())) {
                    k.result().put("status", "duplicate");
                    continue;
                }
                ins.setString(1, child);
                ins.setLong(2, k.item().id());
                ins.setTimestamp(3, now);
                ins.addBatch();
                k.result().put("status", "accepted");
                fresh.add(k.item());
            }
            ins.executeBatch();
        }
        List<Item> kept = keepNewest(c, fresh);
        forwardAll(c, kept);
        deliver(c, kept);
    }

    /** Hands the records kept to the topics that want to see them ({@link Topic#received}), in this transaction. */
    private void deliver(Connection c, List<Item> kept) throws SQLException {
        if (kept.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        Map<String, List<Record>> byTopic = new TreeMap<>();
        for (Item i : kept) {
            byTopic.computeIfAbsent(i.topic(), k -> new ArrayList<>())
                    .add(new Record(i.topic(), i.globalId(), i.origin(), i.version(), i.deleted(), i.payload(), now));
        }
        for (Map.Entry<String, List<Record>> e : byTopic.entrySet()) {
            Topic t = topics.get(e.getKey());
            if (t != null) {
                t.received(topics.forTopic(t, c), e.getValue());
            }
        }
    }

    /**
     * Keeps the items whose version is newer than the one held here (or that are not here yet), in batched
     * inserts and updates; returns those kept, to be passed on upward. Of one record twice, the newer counts.
     *
     * <p>On Derby, the items are first inserted in one batch without looking up what is held: most are new
     * (a push brings records the parent has not seen). Derby stops a batch at its first failing row and undoes
     * only that row, the transaction going on: when the insert of an item fails on the primary key (the record
     * is held already), the items from that one on are kept the careful way, their held versions read first.
     * (PostgreSQL would abort the whole transaction at the failure, so it always takes the careful way.)
     */
    private List<Item> keepNewest(Connection c, List<Item> fresh) throws SQLException {
        if (fresh.isEmpty() || store.storage().dialect() != Dialect.DERBY) {
            return keepNewestCarefully(c, fresh);
        }
        int inserted = insertUntilHeld(c, fresh);
        if (inserted == fresh.size()) {
            return fresh;
        }
        List<Item> kept = new ArrayList<>(fresh.subList(0, inserted));
        kept.addAll(keepNewestCarefully(c, fresh.subList(inserted, fresh.size())));
        return kept;
    }

    /**
     * Inserts the items in one batch up to the first one held already (Derby only: see {@link #keepNewest});
     * returns how many were inserted, all of them when none was held.
     */
    private static int insertUntilHeld(Connection c, List<Item> items) throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO edufed_fed_record (topic, global_id,"
                + " origin, version, deleted, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (Item item : items) {
                bind(ins, item);
                ins.setTimestamp(7, now);
                ins.addBatch();
            }
            try {
                ins.executeBatch();
                return items.size();
            } catch (BatchUpdateException e) {
                if (!"23505".equals(e.getSQLState())) {
                    throw e;
                }
                int[] counts = e.getUpdateCounts();
                int inserted = 0;
                while (counts != null && inserted < counts.length && counts[inserted] == 1) {
                    inserted++;
                }
                if (counts != null && counts.length > inserted + 1) {
                    // a driver that went on after the failure: the careful way would insert rows twice
                    throw e;
                }
                return inserted;
            }
        }
    }

    /** {@link #keepNewest}, the held versions read first. */
    private List<Item> keepNewestCarefully(Connection c, List<Item> fresh) throws SQLException {
        Map<String, Long> held = versions(c, fresh);
        List<Item> inserts = new ArrayList<>();
        List<Item> updates = new ArrayList<>();
        List<Item> kept = new ArrayList<>();
        for (Item item : fresh) {
            String id = item.topic() + "\n" + item.globalId();
            Long current = held.get(id);
            if (current != null && current >= item.version()) {
                continue; // an equal or newer version is here already
            }
            (current == null ? inserts : updates).add(item);
            held.put(id, item.version());
            kept.add(item);
        }
        insertAll(c, inserts);
        Timestamp now = Timestamp.from(Instant.now());
        if (!updates.isEmpty()) {
            try (PreparedStatement up = c.prepareStatement("UPDATE edufed_fed_record SET version = ?, deleted = ?,"
                    + " payload = ?, received_at = ? WHERE topic = ? AND global_id = ?")) {
                for (Item item : updates) {
                    up.setLong(1, item.version());
                    up.setBoolean(2, item.deleted());
                    up.setString(3, item.payload());
                    up.setTimestamp(4, now);
                    up.setString(5, item.topic());
                    up.setString(6, item.globalId());
                    up.addBatch();
                }
                up.executeBatch();
            }
        }
        return kept;
    }

    /** Inserts records not held here, in one batch. */
    private static void insertAll(Connection c, List<Item> inserts) throws SQLException {
        if (inserts.isEmpty()) {
            return;
        }
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO edufed_fed_record (topic, global_id,"
                + " origin, version, deleted, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (Item item : inserts) {
                bind(ins, item);
                ins.setTimestamp(7, now);
                ins.addBatch();
            }
            ins.executeBatch();
        }
    }

    /**
     * The versions held of the records' global ids, by {@code topic \n globalId}: one primary-key lookup per
     * record through one prepared statement. (An {@code IN} list on the key's second column made Derby scan the
     * topic's rows for every chunk, which grew with the table: 0.5 s per batch of 500 at 10^5 records.)
     */
    private static Map<String, Long> versions(Connection c, List<Item> items) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        try (PreparedStatement ps =
                c.prepareStatement("SELECT version FROM edufed_fed_record WHERE topic = ? AND global_id = ?")) {
            for (Item i : items) {
                ps.setString(1, i.topic());
                ps.setString(2, i.globalId());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        out.put(i.topic() + "\n" + i.globalId(), rs.getLong(1));
                    }
                }
            }
        }
        return out;
    }

    /** Every node code in a subtree as heartbeats report it. */
    static void collectCodes(JsonNode children, Set<String> into) {
        if (children != null && children.isArray()) {
            for (JsonNode n : children) {
                into.add(n.path("node").path("code").asText());
                collectCodes(n.path("children"), into);
            }
        }
    }

    /** The child's side after a push: acknowledged items leave the outbox, refused ones become dead letters. */
    void settle(JsonNode answer, List<Item> sent) throws SQLException {
        Map<Long, Item> byId = new HashMap<>();
        for (Item i : sent) {
            byId.put(i.id(), i);
        }
        store.storage().inTransaction(c -> {
            Map<String, long[]> acknowledged = new TreeMap<>(); // topic → {count, last outbox id}
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_fed_outbox WHERE id = ?");
                    PreparedStatement again =
                            c.prepareStatement("UPDATE edufed_fed_outbox SET attempts = attempts + 1 WHERE id = ?")) {
                for (JsonNode r : answer.path("results")) {
                    Item item = byId.get(r.path("id").asLong());
                    if (item == null) {
                        continue; // not something this batch sent
                    }
                    String status = r.path("status").asText();
                    if ("rejected".equals(status)) {
                        dead(c, item, r.path("reason").asText("rejected"));
                    }
                    boolean done = "accepted".equals(status) || "duplicate".equals(status) || "rejected".equals(status);
                    PreparedStatement ps = done ? del : again;
                    ps.setLong(1, item.id());
                    ps.addBatch();
                    if (done && !"rejected".equals(status)) {
                        long[] t = acknowledged.computeIfAbsent(item.topic(), k -> new long[2]);
                        t[0]++;
                        t[1] = Math.max(t[1], item.id());
                    }
                }
                del.executeBatch();
                again.executeBatch();
            }
            for (Map.Entry<String, long[]> t : acknowledged.entrySet()) {
                store.advance(c, t.getKey(), t.getValue()[1], t.getValue()[0]);
            }
            return null;
        });
    }

    private static void dead(Connection c, Item i, String reason) throws SQLException {
        try (PreparedStatement ins =
                c.prepareStatement("INSERT INTO edufed_fed_dead (topic, global_id, origin, version,"
                        + " deleted, payload, reason, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            bind(ins, i);
            ins.setString(7, reason.length() > 500 ? reason.substring(0, 500) : reason);
            ins.setTimestamp(8, Timestamp.from(Instant.now()));
            ins.executeUpdate();
        }
    }

    /** Dead letters, for an operator. */
    List<ObjectNode> deadLetters() throws SQLException {
        List<ObjectNode> out = new ArrayList<>();
        try (Connection c = store.storage().dataSource().getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT id, topic, global_id, origin, version, reason, failed_at"
                                + " FROM edufed_fed_dead ORDER BY id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(Json.object()
                        .put("id", rs.getLong(1))
                        .put("topic", rs.getString(2))
                        .put("globalId", rs.getString(3))
                        .put("origin", rs.getString(4))
                        .put("version", rs.getLong(5))
                        .put("reason", rs.getString(6))
                        .put("failedAt", rs.getTimestamp(7).toInstant().toString()));
            }
        }
        return out;
    }

    /** Puts a dead letter back in the outbox; false when there is no such one. */
    boolean retry(long deadId) throws SQLException {
        audit.record(AuditLog.Event.of("federation.dead.retry", Long.toString(deadId), AuditLog.Result.SUCCESS, null));
        return store.storage().inTransaction(c -> {
            Item item = null;
            try (PreparedStatement q = c.prepareStatement("SELECT topic, global_id, origin, version, deleted, payload"
                    + " FROM edufed_fed_dead WHERE id = ?")) {
                q.setLong(1, deadId);
                try (ResultSet rs = q.executeQuery()) {
                    if (rs.next()) {
                        item = new Item(
                                0,
                                rs.getString(1),
                                rs.getString(2),
                                rs.getString(3),
                                rs.getLong(4),
                                rs.getBoolean(5),
                                rs.getString(6));
                    }
                }
            }
            if (item == null) {
                return false;
            }
            forward(c, item);
            try (PreparedStatement del = c.prepareStatement("DELETE FROM edufed_fed_dead WHERE id = ?")) {
                del.setLong(1, deadId);
                del.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public List<Record> records(String topic, int limit) {
        return records(topic, Scope.ALL, limit);
    }

    @Override
    public List<Record> records(String topic, Scope scope, int limit) {
        List<Record> out = new ArrayList<>();
        Scope.Condition inScope = scope.where("origin");
        try (Connection c = store.storage().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT topic, global_id, origin, version, deleted, payload,"
                        + " received_at FROM edufed_fed_record WHERE topic = ? AND " + inScope.sql()
                        + " ORDER BY received_at DESC")) {
            ps.setString(1, topic);
            for (int i = 0; i < inScope.parameters().size(); i++) {
                ps.setString(i + 2, inScope.parameters().get(i));
            }
            int max = Math.max(1, Math.min(limit, 10_000));
            ps.setMaxRows(max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Record(
                            rs.getString(1),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getLong(4),
                            rs.getBoolean(5),
                            rs.getString(6),
                            rs.getTimestamp(7).toInstant()));
                }
            }
            OwnRecords own = ownRecords(topic);
            if (own != null && scope.covers(identity.code())) {
                return newestOf(out, own.newest(max), topic, max);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /**
     * The records kept here and those a plugin keeps, merged: one per global id (its newest version; a copy kept
     * here from before its plugin kept its own gives way to the plugin's), newest first, at most {@code max}.
     */
    private List<Record> newestOf(List<Record> kept, List<OwnRecords.Held> own, String topic, int max) {
        Map<String, Record> byId = new HashMap<>();
        for (Record r : kept) {
            byId.put(r.globalId(), r);
        }
        for (OwnRecords.Held h : own) {
            String id = identity.code() + ":" + h.localId();
            Record r = byId.get(id);
            if (r == null || r.version() <= h.version()) {
                byId.put(
                        id, new Record(topic, id, identity.code(), h.version(), false, h.payloadJson(), h.changedAt()));
            }
        }
        List<Record> out = new ArrayList<>(byId.values());
        out.sort(Comparator.comparing(Record::receivedAt).reversed());
        return out.size() > max ? new ArrayList<>(out.subList(0, max)) : out;
    }

    /**
     * How many records of an upward topic are held here: those kept here, and those its plugin keeps (a copy kept
     * here from before it kept its own, not counted twice).
     */
    int heldCount(String topic) throws SQLException {
        OwnRecords own = ownRecords(topic);
        if (own == null) {
            return store.countOf("edufed_fed_record", topic);
        }
        try (Connection c = store.storage().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM edufed_fed_record WHERE topic = ?"
                        + " AND (origin <> ? OR deleted = TRUE)")) {
            ps.setString(1, topic);
            ps.setString(2, identity.code());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) + own.count();
            }
        }
    }

    /** Every record of a topic held here (own and from the subtree), for reconciliation with the parent. */
    List<Item> held(String topic) throws SQLException {
        List<Item> out = new ArrayList<>();
        try (Connection c = store.storage().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT global_id, origin, version, deleted, payload"
                        + " FROM edufed_fed_record WHERE topic = ? ORDER BY global_id")) {
            ps.setString(1, topic);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Item(
                            0,
                            topic,
                            rs.getString(1),
                            rs.getString(2),
                            rs.getLong(3),
                            rs.getBoolean(4),
                            rs.getString(5)));
                }
            }
        }
        OwnRecords own = ownRecords(topic);
        if (own == null) {
            return out;
        }
        // with the records its plugin keeps (their payloads are read when they go up), one per global id
        TreeMap<String, Item> byId = new TreeMap<>();
        out.forEach(i -> byId.put(i.globalId(), i));
        own.versions().forEach((localId, version) -> {
            String id = identity.code() + ":" + localId;
            Item i = byId.get(id);
            if (i == null || i.version() <= version) {
                byId.put(id, new Item(0, topic, id, identity.code(), version, false, null));
            }
        });
        return new ArrayList<>(byId.values());
    }

    /** Queues held records for the parent again (the parent lacks them), in one transaction. */
    void requeue(List<Item> items) throws SQLException {
        store.storage().inTransaction(c -> {
            forwardAll(c, items);
            return null;
        });
    }

    @Override
    public Queue queue() {
        try (Connection c = store.storage().dataSource().getConnection()) {
            return new Queue(
                    count(c, "SELECT COUNT(*) FROM edufed_fed_outbox"),
                    count(c, "SELECT COUNT(*) FROM edufed_fed_dead"));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int count(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
