package org.edufed.connector.exchange.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.edufed.kernel.api.Level;
import org.edufed.kernel.api.NodeIdentity;
import org.edufed.kernel.api.federation.Inheritance;
import org.edufed.kernel.api.federation.LockedException;
import org.edufed.kernel.api.federation.Mode;
import org.edufed.kernel.api.federation.Topic;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reference data every level shares, as inheritable items: GB/T 2260 administrative divisions
 * ({@code dict.division}, key = 6-digit code) and school types ({@code dict.school-type}, key = 3-digit
 * code), each value a JSON object {@code {"name": …}}. The province seeds them once from the lists shipped
 * here, {@code locked}, so that every county and school reads the same names; it can load its full list and
 * correct entries through {@code /api/v1/inherited/<topic>}; a county may add entries of its own.
 */
@Component(immediate = true)
public final class Dictionaries {

    private static final Logger LOG = LoggerFactory.getLogger(Dictionaries.class);
    static final String DIVISION = "dict.division";
    static final String SCHOOL_TYPE = "dict.school-type";

    @Activate
    public Dictionaries(@Reference InheritanceComponent inheritance, @Reference NodeIdentity identity) {
        if (identity.level() != Level.PROVINCE) {
            return; // below the province, dictionaries arrive on the parent's feed
        }
        seed(inheritance, DIVISION, "/org/edufed/connector/exchange/dict/division.tsv");
        seed(inheritance, SCHOOL_TYPE, "/org/edufed/connector/exchange/dict/school-type.tsv");
    }

    private static void seed(InheritanceComponent inheritance, String topic, String resource) {
        if (!inheritance.effective(topic).isEmpty()) {
            return;
        }
        try {
            List<Inheritance.Change> entries = read(resource);
            for (int i = 0; i < entries.size(); i += Inheritance.MAX_CHANGES) {
                inheritance.seed(topic, entries.subList(i, Math.min(entries.size(), i + Inheritance.MAX_CHANGES)));
            }
            LOG.info("Seeded dictionary {} with {} entries", topic, entries.size());
        } catch (IOException | LockedException | RuntimeException e) {
            LOG.error("Could not seed dictionary {}: {}", topic, e.getMessage());
        }
    }

    /** Reads {@code code<TAB>name} lines; {@code #} starts a comment. */
    static List<Inheritance.Change> read(String resource) throws IOException {
        List<Inheritance.Change> out = new ArrayList<>();
        try (InputStream in = Dictionaries.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing " + resource);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", 2);
                out.add(new Inheritance.Change(
                        f[0].trim(), Json.text(Json.object().put("name", f[1].trim())), Mode.LOCKED));
            }
        }
        return out;
    }

    /** A dictionary topic: a key of the given form, a value that is a JSON object with a name. */
    abstract static class DictionaryTopic implements Topic {
        private final String name;
        private final Pattern key;
        private final String description;

        DictionaryTopic(String name, String key, String description) {
            this.name = name;
            this.key = Pattern.compile(key);
            this.description = description;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Direction direction() {
            return Direction.DOWN;
        }

        @Override
        public String description() {
            return description;
        }

        @Override
        public void validate(String itemKey, String value) {
            if (!key.matcher(itemKey).matches()) {
                throw new IllegalArgumentException("dict.badKey");
            }
            com.fasterxml.jackson.databind.JsonNode v = Json.parse(value);
            if (v == null
                    || !v.path("name").isTextual()
                    || v.path("name").asText().isBlank()
                    || v.path("name").asText().length() > 100) {
                throw new IllegalArgumentException("dict.badValue");
            }
        }
    }

    @Component(service = Topic.class)
    public static final class DivisionTopic extends DictionaryTopic {
        public DivisionTopic() {
            super(DIVISION, "[1-8][0-9]{5}", "行政区划代码（GB/T 2260）");
        }
    }

    @Component(service = Topic.class)
    public static final class SchoolTypeTopic extends DictionaryTopic {
        public SchoolTypeTopic() {
            super(SCHOOL_TYPE, "[1-9][0-9]{2}", "学校办学类型代码");
        }
    }
}
