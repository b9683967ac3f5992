package org.edufed.kernel.core.internal.node;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.agreement.ECDHBasicAgreement;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.engines.SM2Engine;
import org.bouncycastle.crypto.engines.SM4Engine;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.util.BigIntegers;

/**
 * Data sealed for one node, which only that node's private key opens: what travels outside a connection (the
 * offline bundles on a USB stick) carries personal data, so it is encrypted for its recipient as well as signed by
 * its sender.
 *
 * <p>Format: {@code "EFS1"}, one scheme byte, the length (2 bytes) and bytes of the key block, a 12-byte nonce,
 * the ciphertext with its 16-byte tag; everything before the nonce is the associated data.
 *
 * <ul>
 *   <li>scheme 1, an SM2 recipient (GB/T 32918.4): a random SM4 key encrypted with SM2 (C1C3C2) is the key block;
 *       the data is SM4-GCM under it.
 *   <li>scheme 2, an ECDSA P-256 recipient: ECIES-style, an ephemeral P-256 public key (uncompressed) is the key
 *       block; ECDH with the recipient's key, HKDF-SHA256 (salt: the key block) gives an AES-256-GCM key.
 * </ul>
 */
final class Sealing {

    private static final byte[] MAGIC = "EFS1".getBytes(StandardCharsets.US_ASCII);
    private static final byte SM2 = 1;
    private static final byte ECDH_P256 = 2;
    private static final byte[] INFO = "edufed-seal/1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Sealing() {}

    /** {@code data} sealed for the holder of the private key of {@code recipient} (of {@code algorithm}). */
    static byte[] seal(KeyAlgorithm algorithm, PublicKey recipient, byte[] data) {
        try {
            ECPublicKeyParameters pub = (ECPublicKeyParameters) PublicKeyFactory.createKey(recipient.getEncoded());
            byte scheme;
            byte[] keyBlock;
            byte[] key;
            if (algorithm == KeyAlgorithm.SM2) {
                scheme = SM2;
                key = random(16);
                SM2Engine sm2 = new SM2Engine(SM2Engine.Mode.C1C3C2);
                sm2.init(true, new ParametersWithRandom(pub, RANDOM));
                keyBlock = sm2.processBlock(key, 0, key.length);
            } else {
                scheme = ECDH_P256;
                ECKeyPairGenerator gen = new ECKeyPairGenerator();
                gen.init(new ECKeyGenerationParameters(pub.getParameters(), RANDOM));
                AsymmetricCipherKeyPair ephemeral = gen.generateKeyPair();
                keyBlock =
                        ((ECPublicKeyParameters) ephemeral.getPublic()).getQ().getEncoded(false);
                key = derive(ephemeral.getPrivate(), pub, keyBlock);
            }
            byte[] header = header(scheme, keyBlock);
            byte[] nonce = random(12);
            GCMModeCipher gcm = gcm(scheme, true, key, nonce, header);
            byte[] out = new byte[header.length + nonce.length + gcm.getOutputSize(data.length)];
            System.arraycopy(header, 0, out, 0, header.length);
            System.arraycopy(nonce, 0, out, header.length, nonce.length);
            int n = gcm.processBytes(data, 0, data.length, out, header.length + nonce.length);
            gcm.doFinal(out, header.length + nonce.length + n);
            Arrays.fill(key, (byte) 0);
            return out;
        } catch (IOException | InvalidCipherTextException | RuntimeException e) {
            throw new IllegalArgumentException("cannot seal for that key: " + e.getMessage(), e);
        }
    }

    /** Whether the bytes are sealed data (of any recipient). */
    static boolean isSealed(byte[] data) {
        return data != null
                && data.length > MAGIC.length
                && Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /**
     * The data sealed for the private key {@code mine}.
     *
     * @throws IllegalArgumentException when they were not sealed for this key, or were changed
     */
    static byte[] open(PrivateKey mine, byte[] sealed) {
        if (!isSealed(sealed) || sealed.length < MAGIC.length + 3) {
            throw new IllegalArgumentException("not sealed data");
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(sealed);
            in.position(MAGIC.length);
            byte scheme = in.get();
            int blockLength = Short.toUnsignedInt(in.getShort());
            if (in.remaining() < blockLength + 12 + 16) {
                throw new IllegalArgumentException("sealed data too short");
            }
            byte[] keyBlock = new byte[blockLength];
            in.get(keyBlock);
            byte[] nonce = new byte[12];
            in.get(nonce);
            ECPrivateKeyParameters priv = (ECPrivateKeyParameters) PrivateKeyFactory.createKey(mine.getEncoded());
            byte[] key;
            if (scheme == SM2) {
                SM2Engine sm2 = new SM2Engine(SM2Engine.Mode.C1C3C2);
                sm2.init(false, priv);
                key = sm2.processBlock(keyBlock, 0, keyBlock.length);
            } else if (scheme == ECDH_P256) {
                ECPublicKeyParameters ephemeral = new ECPublicKeyParameters(
                        priv.getParameters().getCurve().decodePoint(keyBlock), priv.getParameters());
                key = derive(priv, ephemeral, keyBlock);
            } else {
                throw new IllegalArgumentException("unknown sealing scheme " + scheme);
            }
            GCMModeCipher gcm = gcm(scheme, false, key, nonce, header(scheme, keyBlock));
            byte[] out = new byte[gcm.getOutputSize(in.remaining())];
            int n = gcm.processBytes(sealed, in.position(), in.remaining(), out, 0);
            n += gcm.doFinal(out, n);
            Arrays.fill(key, (byte) 0);
            return n == out.length ? out : Arrays.copyOf(out, n);
        } catch (IOException | InvalidCipherTextException | RuntimeException e) {
            throw new IllegalArgumentException("the sealed data are not for this node's key, or were changed", e);
        }
    }

    private static byte[] header(byte scheme, byte[] keyBlock) {
        return ByteBuffer.allocate(MAGIC.length + 3 + keyBlock.length)
                .put(MAGIC)
                .put(scheme)
                .putShort((short) keyBlock.length)
                .put(keyBlock)
                .array();
    }

    /** ECDH of the two keys, through HKDF-SHA256 with the key block as salt: 32 bytes. */
    private static byte[] derive(AsymmetricKeyParameter priv, ECPublicKeyParameters pub, byte[] salt) {
        ECDHBasicAgreement agreement = new ECDHBasicAgreement();
        agreement.init(priv);
        BigInteger z = agreement.calculateAgreement(pub);
        byte[] secret = BigIntegers.asUnsignedByteArray(agreement.getFieldSize(), z);
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(secret, salt, INFO));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        Arrays.fill(secret, (byte) 0);
        return key;
    }

    private static GCMModeCipher gcm(byte scheme, boolean encrypt, byte[] key, byte[] nonce, byte[] aad) {
        GCMModeCipher c = GCMBlockCipher.newInstance(scheme == SM2 ? new SM4Engine() : AESEngine.newInstance());
        c.init(encrypt, new AEADParameters(new KeyParameter(key), 128, nonce, aad));
        return c;
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
