package org.edufed.kernel.core.internal.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * What a plugin's SQL may name. The statement is read token by token — string literals (standard, {@code E'…'}
 * and PostgreSQL dollar-quoted), comments and double-quoted identifiers handled as the databases read them —
 * and every identifier is looked up in the table owners: a table owned by someone other than the plugin (the
 * kernel, another plugin) is refused, whatever the clause it stands in. Identifiers that name no known table
 * pass (columns, aliases, functions; a table that does not exist fails in the database anyway). Besides tables,
 * only plain data statements and the DDL of tables, indexes, views and sequences are accepted: procedures,
 * functions and the databases' system routines can run SQL hidden in a string, so a plugin may not call or create
 * them. Ambiguous input (a comment opened inside a comment, an unterminated literal) is refused rather than
 * guessed.
 */
final class SqlCheck {

    /** Why a statement was refused: the table (or construct) and whom it belongs to. */
    record Refusal(String name, String owner, String reason) {}

    private static final Set<String> FIRST_WORDS = Set.of(
            "select", "with", "values", "insert", "update", "delete", "merge", "create", "alter", "drop", "truncate");

    private static final Set<String> DDL = Set.of("create", "alter", "drop");

    /** After CREATE / ALTER / DROP, the objects a plugin may define. */
    private static final Set<String> DDL_OBJECTS = Set.of("table", "index", "unique", "view", "sequence");

    /**
     * Routines that read files, other databases or SQL given as a string (PostgreSQL's {@code pg_*}, {@code
     * query_to_xml}, {@code dblink}, large objects; Derby's {@code SYSCS_*} procedures and functions).
     */
    private static final List<String> DENIED_PREFIXES = List.of(
            "syscs_",
            "pg_",
            "dblink",
            "lo_",
            "query_to_",
            "table_to_",
            "schema_to_",
            "database_to_",
            "cursor_to_",
            "current_setting",
            "set_config");

    private SqlCheck() {}

    /**
     * Checks one statement (or several separated by {@code ;}) for a plugin.
     *
     * @param owners table name (lower case) → owner; {@code null} for a name that is no table
     * @param self the owner name of the plugin's own tables
     * @return the refusal, or {@code null} when the statement may run
     */
    static Refusal check(String sql, Function<String, String> owners, String self) {
        List<String> tokens;
        try {
            tokens = tokens(sql);
        } catch (IllegalArgumentException e) {
            return new Refusal("", "", e.getMessage());
        }
        int position = 0;
        String first = null;
        for (String t : tokens) {
            if (t.equals(";")) {
                position = 0;
                continue;
            }
            String name = t.startsWith("\"") ? t.substring(1) : t;
            String lower = name.toLowerCase(Locale.ROOT);
            if (position == 0) {
                if (!FIRST_WORDS.contains(lower)) {
                    return new Refusal(name, "", "statement " + name.toUpperCase(Locale.ROOT) + " is not allowed");
                }
                first = lower;
            } else if (position == 1 && DDL.contains(first) && !DDL_OBJECTS.contains(lower)) {
                return new Refusal(
                        name,
                        "",
                        first.toUpperCase(Locale.ROOT) + " " + name.toUpperCase(Locale.ROOT) + " is not allowed");
            }
            position++;
            for (String p : DENIED_PREFIXES) {
                if (lower.startsWith(p)) {
                    return new Refusal(name, "", "system routine " + name + " is not allowed");
                }
            }
            String owner = owners.apply(lower);
            if (owner != null && !owner.equals(self)) {
                return new Refusal(lower, owner, "table " + lower + " belongs to " + owner);
            }
        }
        return null;
    }

    /**
     * The statement's words, identifiers (quoted ones prefixed by {@code "}, unescaped) and {@code ;}; literals,
     * numbers, comments and punctuation left out.
     */
    static List<String> tokens(String sql) {
        List<String> out = new ArrayList<>();
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? n : end + 1;
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated comment");
                }
                if (sql.substring(i + 2, end).contains("/*")) {
                    // PostgreSQL nests block comments, Derby does not: the two would read different statements
                    throw new IllegalArgumentException("nested comment");
                }
                i = end + 2;
            } else if (c == '\'') {
                boolean backslash = i > 0
                        && (sql.charAt(i - 1) == 'e' || sql.charAt(i - 1) == 'E')
                        && (i < 2 || !isIdentifierPart(sql.charAt(i - 2)));
                i = skipString(sql, i + 1, backslash);
            } else if (c == '"') {
                StringBuilder id = new StringBuilder("\"");
                int j = i + 1;
                while (true) {
                    if (j >= n) {
                        throw new IllegalArgumentException("unterminated quoted identifier");
                    }
                    char d = sql.charAt(j);
                    if (d == '"') {
                        if (j + 1 < n && sql.charAt(j + 1) == '"') {
                            id.append('"');
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    id.append(d);
                    j++;
                }
                out.add(id.toString());
                i = j + 1;
            } else if (c == '$' && (i == 0 || !isIdentifierPart(sql.charAt(i - 1)))) {
                int close = dollarTagEnd(sql, i);
                if (close < 0) {
                    i++; // a positional parameter such as $1
                } else {
                    String tag = sql.substring(i, close + 1);
                    int end = sql.indexOf(tag, close + 1);
                    if (end < 0) {
                        throw new IllegalArgumentException("unterminated dollar-quoted string");
                    }
                    i = end + tag.length();
                }
            } else if (Character.isLetter(c) || c == '_') {
                int j = i + 1;
                while (j < n && isIdentifierPart(sql.charAt(j))) {
                    j++;
                }
                if (j < n && sql.charAt(j) == '\'' && j == i + 1 && (c == 'e' || c == 'E' || c == 'x' || c == 'X')) {
                    i = j; // the prefix of E'…' or X'…': the literal follows
                } else {
                    out.add(sql.substring(i, j));
                    i = j;
                }
            } else if (Character.isDigit(c)) {
                int j = i + 1;
                while (j < n && (isIdentifierPart(sql.charAt(j)) || sql.charAt(j) == '.')) {
                    j++;
                }
                i = j;
            } else if (c == ';') {
                out.add(";");
                i++;
            } else {
                i++;
            }
        }
        return out;
    }

    private static int skipString(String sql, int from, boolean backslashEscapes) {
        int n = sql.length();
        int j = from;
        while (j < n) {
            char d = sql.charAt(j);
            if (backslashEscapes && d == '\\') {
                j += 2;
            } else if (d == '\'') {
                if (j + 1 < n && sql.charAt(j + 1) == '\'') {
                    j += 2;
                } else {
                    return j + 1;
                }
            } else {
                j++;
            }
        }
        throw new IllegalArgumentException("unterminated string literal");
    }

    /** The index of the closing {@code $} of a dollar-quote tag starting at {@code at}, or -1. */
    private static int dollarTagEnd(String sql, int at) {
        int j = at + 1;
        while (j < sql.length()) {
            char d = sql.charAt(j);
            if (d == '$') {
                return j;
            }
            if (!(Character.isLetter(d) || d == '_' || (j > at + 1 && Character.isDigit(d)))) {
                return -1;
            }
            j++;
        }
        return -1;
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }
}
