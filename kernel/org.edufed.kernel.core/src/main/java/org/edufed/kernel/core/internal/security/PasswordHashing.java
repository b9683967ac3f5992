package org.edufed.kernel.core.internal.security;

import java.util.Map;
import org.apache.shiro.authc.AuthenticationInfo;
import org.apache.shiro.authc.AuthenticationToken;
import org.apache.shiro.authc.credential.CredentialsMatcher;
import org.apache.shiro.authc.credential.DefaultPasswordService;
import org.apache.shiro.authc.credential.PasswordMatcher;
import org.apache.shiro.crypto.hash.DefaultHashService;
import org.apache.shiro.crypto.hash.HashRequest;
import org.apache.shiro.crypto.hash.format.Shiro2CryptFormat;
import org.apache.shiro.lang.util.ByteSource;

/**
 * Password hashes through Shiro 2's {@link DefaultPasswordService}: Argon2id (Shiro's Argon2 support, on
 * BouncyCastle), salted, in Shiro 2's crypt format ({@code $shiro2$argon2id$v=19$t=2,m=19456,p=1$…}).
 * Parameters are OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane) rather than Shiro's default 64
 * MiB × 4 lanes: a school box with a 192 MB heap must survive several logins at once. Stored hashes carry
 * their parameters, so raising them later keeps old hashes verifiable. Inside OSGi, Shiro finds the Argon2
 * provider through the OSGi ServiceLoader mediator (SPI Fly).
 */
final class PasswordHashing implements CredentialsMatcher {

    static final int MEMORY_KIB = 19456;
    static final int ITERATIONS = 2;
    static final int PARALLELISM = 1;
    private static final DefaultPasswordService SERVICE = new DefaultPasswordService();
    private static final DefaultHashService HASHES = new DefaultHashService();
    private static final Shiro2CryptFormat FORMAT = new Shiro2CryptFormat();

    private final PasswordMatcher matcher = new PasswordMatcher();

    /** A hash of a random password, made on first use, checked for unknown users so timing does not tell. */
    private volatile String decoy;

    PasswordHashing() {
        matcher.setPasswordService(SERVICE);
    }

    static String hash(char[] password) {
        HashRequest request = new HashRequest.Builder()
                .setSource(ByteSource.Util.bytes(password))
                .setAlgorithmName("argon2id")
                .withParameters(Map.of(
                        "Argon2.memoryKib",
                        Integer.toString(MEMORY_KIB),
                        "Argon2.iterations",
                        Integer.toString(ITERATIONS),
                        "Argon2.parallelism",
                        Integer.toString(PARALLELISM)))
                .build();
        return FORMAT.format(HASHES.computeHash(request));
    }

    static boolean matches(String stored, char[] password) {
        try {
            return SERVICE.passwordsMatch(password, stored);
        } catch (RuntimeException e) {
            return false; // not a hash we can read
        }
    }

    void spendDecoyTime(char[] password) {
        String d = decoy;
        if (d == null) {
            d = hash(PasswordPolicy.DEFAULT.generate());
            decoy = d;
        }
        matches(d, password);
    }

    @Override
    public boolean doCredentialsMatch(AuthenticationToken token, AuthenticationInfo info) {
        return matcher.doCredentialsMatch(token, info);
    }
}
