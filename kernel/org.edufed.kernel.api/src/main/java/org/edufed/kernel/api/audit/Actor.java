package org.edufed.kernel.api.audit;

/**
 * Who is acting on the current thread, for the audit trail: set by the kernel's web layer for each request
 * (the authenticated user and the client address), by the shell for a command, and by the exchange for work
 * it does on behalf of another node. Code that changes something does not need to pass the user along.
 */
public final class Actor {

    /** A user (or {@code node:<code>}, {@code shell:<user>}, {@code system}) and the address it acts from. */
    public record Who(String name, String address) {}

    private static final Who SYSTEM = new Who("system", null);
    private static final ThreadLocal<Who> CURRENT = new ThreadLocal<>();

    private Actor() {}

    /** The actor of this thread; {@code system} when none is set. */
    public static Who current() {
        Who who = CURRENT.get();
        return who == null ? SYSTEM : who;
    }

    /** Sets the actor until the returned scope is closed (use with try-with-resources). */
    public static Scope as(String name, String address) {
        Who previous = CURRENT.get();
        CURRENT.set(new Who(name, address));
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        };
    }

    /** Restores the previous actor when closed. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
