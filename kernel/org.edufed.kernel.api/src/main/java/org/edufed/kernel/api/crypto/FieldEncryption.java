package org.edufed.kernel.api.crypto;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Encryption of the fields a plugin marks sensitive (ID card numbers, phone numbers): SM4-GCM with a random
 * nonce per value, under the node's field key, which lives in the node's key folder and never in the
 * database. A ciphertext names its key, so keys can be rotated and old values still read.
 */
@ProviderType
public interface FieldEncryption {

    /** The ciphertext of a value, as text for a VARCHAR column (about 4/3 of the UTF-8 length plus 48). */
    String encrypt(String plaintext);

    /**
     * The value of a ciphertext made by {@link #encrypt}.
     *
     * @throws IllegalArgumentException when it was changed, is not a ciphertext, or its key is unknown here
     */
    String decrypt(String ciphertext);

    /**
     * Decrypts a value to show it in full to the person behind the current request, and records that view in the
     * audit trail: action {@code personal.view}, the subject and purpose given, with the actor and address of the
     * request. Every full view of personal data goes through here; {@link #decrypt} is for processing that shows
     * nothing to a person (matching, checks).
     *
     * @param subject whose value it is, e.g. {@code student:2151010001-0042} (never the value itself)
     * @param purpose why it is shown, e.g. {@code exam.review}
     * @throws IllegalStateException when the view cannot be recorded; nothing is revealed then
     * @throws IllegalArgumentException as {@link #decrypt}
     * @since 1.1
     */
    String reveal(String ciphertext, String subject, String purpose);

    /**
     * Whether a value has the shape of a ciphertext {@link #encrypt} makes (its format and the id of a key); a
     * check that a value is not plaintext, not that it decrypts.
     *
     * @since 1.2
     */
    boolean isCiphertext(String value);

    /**
     * A keyed digest (HMAC-SM3) of a value: equal values give equal digests, so a column of them finds and
     * de-duplicates values without decrypting them; it reveals nothing without the key.
     */
    String blindIndex(String plaintext);

    /**
     * Adds a new field key and encrypts new values with it; values written before still name, and read with,
     * their own key. Returns the new key's id.
     *
     * @throws IllegalStateException when the key file cannot be written (nothing changes then)
     */
    String rotateKey();

    /**
     * A value as lists show it: an 18-character ID number keeps its first 6 and last 4 characters, an
     * 11-digit phone number its first 3 and last 4; anything else keeps its first and last character.
     */
    static String mask(String value) {
        if (value == null || value.isEmpty()) {
            return value;
        }
        int keepStart;
        int keepEnd;
        if (value.length() == 18) {
            keepStart = 6;
            keepEnd = 4;
        } else if (value.length() == 11) {
            keepStart = 3;
            keepEnd = 4;
        } else if (value.length() > 2) {
            keepStart = 1;
            keepEnd = 1;
        } else {
            return "*".repeat(value.length());
        }
        return value.substring(0, keepStart)
                + "*".repeat(value.length() - keepStart - keepEnd)
                + value.substring(value.length() - keepEnd);
    }
}
