package org.edufed.kernel.core.internal.security;

import java.security.SecureRandom;
import java.util.Locale;
import org.edufed.kernel.api.security.AccountService.PasswordPolicyException;

/** The baseline password policy, and generation of one-time passwords that satisfy it. */
final class PasswordPolicy {

    static final int MIN_LENGTH = 10;
    /** No 0/O, 1/l/I: one-time passwords are read off a screen and typed. */
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    private static final SecureRandom RANDOM = new SecureRandom();

    private PasswordPolicy() {}

    static void check(String username, char[] password) throws PasswordPolicyException {
        if (password.length < MIN_LENGTH) {
            throw new PasswordPolicyException("password.tooShort");
        }
        boolean letter = false;
        boolean digit = false;
        for (char c : password) {
            letter |= Character.isLetter(c);
            digit |= Character.isDigit(c);
        }
        if (!letter || !digit) {
            throw new PasswordPolicyException("password.tooSimple");
        }
        if (new String(password).toLowerCase(Locale.ROOT).contains(username.toLowerCase(Locale.ROOT))) {
            throw new PasswordPolicyException("password.containsUsername");
        }
    }

    /** A random 16-character password with letters and digits. */
    static char[] generate() {
        while (true) {
            char[] out = new char[16];
            for (int i = 0; i < out.length; i++) {
                out[i] = ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length()));
            }
            try {
                check("admin", out);
                return out;
            } catch (PasswordPolicyException e) {
                // rare: no digit drawn; draw again
            }
        }
    }
}
