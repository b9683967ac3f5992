package org.edufed.kernel.core.internal.security;

import org.apache.shiro.authc.AuthenticationInfo;
import org.apache.shiro.authc.AuthenticationToken;
import org.apache.shiro.authc.credential.CredentialsMatcher;
import org.apache.shiro.authc.credential.DefaultPasswordService;
import org.apache.shiro.authc.credential.PasswordMatcher;

/**
 * Password hashes through Shiro 2's {@link DefaultPasswordService}: Argon2id (Shiro's Argon2 support, on
 * BouncyCastle), salted, in Shiro 2's crypt format ({@code $shiro2$argon2id$v=19$…}). Inside OSGi, Shiro
 * finds the Argon2 provider through the OSGi ServiceLoader mediator (SPI Fly).
 */
final class PasswordHashing implements CredentialsMatcher {

    private static final DefaultPasswordService SERVICE = new DefaultPasswordService();

    private final PasswordMatcher matcher = new PasswordMatcher();

    /** A hash of a random password, checked against for unknown users so timing does not tell them apart. */
    private final String decoy = hash(PasswordPolicy.generate());

    PasswordHashing() {
        matcher.setPasswordService(SERVICE);
    }

    static String hash(char[] password) {
        return SERVICE.encryptPassword(password);
    }

    static boolean matches(String stored, char[] password) {
        try {
            return SERVICE.passwordsMatch(password, stored);
        } catch (RuntimeException e) {
            return false; // not a hash we can read
        }
    }

    void spendDecoyTime(char[] password) {
        matches(decoy, password);
    }

    @Override
    public boolean doCredentialsMatch(AuthenticationToken token, AuthenticationInfo info) {
        return matcher.doCredentialsMatch(token, info);
    }
}
