package org.edufed.kernel.api.security;

import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Where a user holds a permission: everywhere this node sees ({@link #all()}), or a set of organisation unit
 * codes. A resource filters its data by scope in the query itself, with {@link #where(String)}, so rows out of
 * scope are never read.
 */
public final class Scope {

    /** Nowhere. */
    public static final Scope NONE = new Scope(false, Set.of());
    /** Everywhere: a role held over the whole node. */
    public static final Scope ALL = new Scope(true, Set.of());

    private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    private final boolean all;
    private final Set<String> units;

    private Scope(boolean all, Set<String> units) {
        this.all = all;
        this.units = units;
    }

    /** A scope of the given unit codes (none is {@link #NONE}). */
    public static Scope of(Set<String> units) {
        return units.isEmpty() ? NONE : new Scope(false, Collections.unmodifiableSet(new TreeSet<>(units)));
    }

    public boolean all() {
        return all;
    }

    /** The unit codes in scope; empty when {@link #all()} (everything) or {@link #isEmpty()} (nothing). */
    public Set<String> units() {
        return units;
    }

    /** Nothing is in scope. */
    public boolean isEmpty() {
        return !all && units.isEmpty();
    }

    public boolean covers(String unit) {
        return all || (unit != null && units.contains(unit));
    }

    /** A SQL condition and the values to bind to its {@code ?} marks, in order. */
    public record Condition(String sql, List<String> parameters) {}

    /**
     * The condition that keeps the rows whose {@code column} (holding unit codes, e.g. a record's origin node)
     * is in scope: {@code 1 = 1} for everything, {@code 1 = 0} for nothing, else {@code column IN (?, …)}.
     *
     * @throws IllegalArgumentException when {@code column} is not a plain (optionally qualified) column name
     */
    public Condition where(String column) {
        if (!COLUMN.matcher(column).matches()) {
            throw new IllegalArgumentException("not a column name: " + column);
        }
        if (all) {
            return new Condition("1 = 1", List.of());
        }
        if (units.isEmpty()) {
            return new Condition("1 = 0", List.of());
        }
        return new Condition(
                column + " IN (" + String.join(", ", Collections.nCopies(units.size(), "?")) + ")", List.copyOf(units));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Scope s && s.all == all && s.units.equals(units);
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(all) * 31 + units.hashCode();
    }

    @Override
    public String toString() {
        return all ? "Scope[all]" : "Scope" + units;
    }
}
