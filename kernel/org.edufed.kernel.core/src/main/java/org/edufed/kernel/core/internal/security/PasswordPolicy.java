package org.edufed.kernel.core.internal.security;

import java.security.SecureRandom;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.edufed.kernel.api.security.AccountService.PasswordPolicyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The password policy: minimum length, character classes (of lower-case, upper-case, digits, others; a
 * password also needs a letter and a digit), how many earlier passwords may not be used again, and after how
 * many days a password must be changed (0: never). Read from the inheritable settings {@code
 * security.password.*}, so that a province sets it once, locked, for its whole tree; a value out of range
 * falls back to the default, with a warning in the log.
 */
record PasswordPolicy(int minLength, int classes, int history, int maxAgeDays) {

    private static final Logger LOG = LoggerFactory.getLogger(PasswordPolicy.class);

    static final PasswordPolicy DEFAULT = new PasswordPolicy(10, 2, 5, 0);
    static final String MIN_LENGTH = "security.password.minLength";
    static final String CLASSES = "security.password.classes";
    static final String HISTORY = "security.password.history";
    static final String MAX_AGE_DAYS = "security.password.maxAgeDays";

    /** No 0/O, 1/l/I: one-time passwords are read off a screen and typed. */
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The policy the settings give (a setting absent or out of range: the default). */
    static PasswordPolicy from(Function<String, Optional<String>> setting) {
        return new PasswordPolicy(
                read(setting, MIN_LENGTH, 8, 64, DEFAULT.minLength()),
                read(setting, CLASSES, 1, 4, DEFAULT.classes()),
                read(setting, HISTORY, 0, 24, DEFAULT.history()),
                read(setting, MAX_AGE_DAYS, 0, 3650, DEFAULT.maxAgeDays()));
    }

    private static int read(Function<String, Optional<String>> setting, String key, int min, int max, int fallback) {
        Optional<String> v = setting.apply(key);
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.get().trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        LOG.warn("setting {} = {} is not a number from {} to {}; {} is used", key, v.get(), min, max, fallback);
        return fallback;
    }

    void check(String username, char[] password) throws PasswordPolicyException {
        if (password.length < minLength) {
            throw new PasswordPolicyException("password.tooShort", minLength);
        }
        boolean lower = false;
        boolean upper = false;
        boolean digit = false;
        boolean other = false;
        for (char c : password) {
            lower |= Character.isLowerCase(c);
            upper |= Character.isUpperCase(c);
            digit |= Character.isDigit(c);
            other |= !Character.isLetterOrDigit(c);
        }
        boolean letter = lower || upper || hasOtherLetter(password);
        int n = (lower ? 1 : 0) + (upper ? 1 : 0) + (digit ? 1 : 0) + (other ? 1 : 0);
        if (!letter || !digit || n < classes) {
            throw new PasswordPolicyException("password.tooSimple", classes);
        }
        if (new String(password).toLowerCase(Locale.ROOT).contains(username.toLowerCase(Locale.ROOT))) {
            throw new PasswordPolicyException("password.containsUsername");
        }
    }

    /** Letters without case (Chinese characters) count as letters. */
    private static boolean hasOtherLetter(char[] password) {
        for (char c : password) {
            if (Character.isLetter(c)) {
                return true;
            }
        }
        return false;
    }

    /** A random password with upper- and lower-case letters, digits and, where four classes are asked, a '-'. */
    char[] generate() {
        int length = Math.max(16, minLength);
        while (true) {
            char[] out = new char[length];
            for (int i = 0; i < out.length; i++) {
                out[i] = ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length()));
            }
            if (classes == 4) {
                out[1 + RANDOM.nextInt(length - 2)] = '-';
            }
            try {
                check("admin", out);
                return out;
            } catch (PasswordPolicyException e) {
                // rare: a class not drawn; draw again
            }
        }
    }
}
