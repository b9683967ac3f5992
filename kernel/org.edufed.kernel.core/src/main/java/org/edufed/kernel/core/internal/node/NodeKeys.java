package org.edufed.kernel.core.internal.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Set;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The node's key pair, kept as PEM files in the node's data folder, readable by the owner only. Created on
 * first start. The BouncyCastle provider is passed as an instance (never looked up by name), which is what
 * works inside OSGi.
 */
public final class NodeKeys {

    static final String PRIVATE_FILE = "node-key.pem";
    static final String PUBLIC_FILE = "node-pub.pem";
    private static final Provider BC = new BouncyCastleProvider();
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private final KeyAlgorithm algorithm;
    private final KeyPair keyPair;
    private final boolean created;
    private final ThreadLocal<Signature> signers;

    private NodeKeys(KeyAlgorithm algorithm, KeyPair keyPair, boolean created) {
        this.algorithm = algorithm;
        this.keyPair = keyPair;
        this.created = created;
        this.signers = ThreadLocal.withInitial(() -> {
            try {
                Signature s = Signature.getInstance(algorithm.signature(), BC);
                s.initSign(keyPair.getPrivate(), new SecureRandom());
                return s;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot initialise the node key's signer", e);
            }
        });
    }

    /**
     * Loads the key pair from {@code dir}, or creates it there when there is none.
     *
     * @throws IOException when the files exist but cannot be read, or belong to another algorithm
     */
    public static NodeKeys loadOrCreate(Path dir, KeyAlgorithm algorithm) throws IOException {
        Path priv = dir.resolve(PRIVATE_FILE);
        Path pub = dir.resolve(PUBLIC_FILE);
        try {
            if (Files.exists(priv)) {
                KeyFactory kf = KeyFactory.getInstance("EC", BC);
                PrivateKey privateKey = kf.generatePrivate(new PKCS8EncodedKeySpec(readPem(priv)));
                PublicKey publicKey = kf.generatePublic(new X509EncodedKeySpec(readPem(pub)));
                KeyPair pair = new KeyPair(publicKey, privateKey);
                String curve = curveOf(publicKey);
                if (!algorithm.curve().equals(curve)) {
                    throw new IOException(
                            "the node key in " + priv + " is on curve " + curve + ", but key.algorithm is "
                                    + algorithm.name().toLowerCase() + "; move the key away to create a new one");
                }
                return new NodeKeys(algorithm, pair, false);
            }
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC", BC);
            gen.initialize(new ECGenParameterSpec(algorithm.curve()), new SecureRandom());
            KeyPair pair = gen.generateKeyPair();
            createOwnerOnlyDir(dir);
            writeOwnerOnly(priv, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            writeOwnerOnly(pub, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
            return new NodeKeys(algorithm, pair, true);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read or create the node key in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The key pair this node had before its last rotation ({@code node-key.previous.pem}), or {@code null} when
     * there was none or it cannot be read.
     */
    static NodeKeys previous(Path dir, KeyAlgorithm algorithm) {
        Path priv = dir.resolve("node-key.previous.pem");
        Path pub = dir.resolve("node-pub.previous.pem");
        if (!Files.exists(priv) || !Files.exists(pub)) {
            return null;
        }
        try {
            KeyFactory kf = KeyFactory.getInstance("EC", BC);
            return new NodeKeys(
                    algorithm,
                    new KeyPair(
                            kf.generatePublic(new X509EncodedKeySpec(readPem(pub))),
                            kf.generatePrivate(new PKCS8EncodedKeySpec(readPem(priv)))),
                    false);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Opens data {@link Sealing sealed} for this key pair. */
    byte[] unseal(byte[] sealed) {
        return Sealing.open(keyPair.getPrivate(), sealed);
    }

    /** A fresh key pair of the same algorithm, in memory only (see {@link #install}). */
    public NodeKeys next() {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC", BC);
            gen.initialize(new ECGenParameterSpec(algorithm.curve()), new SecureRandom());
            return new NodeKeys(algorithm, gen.generateKeyPair(), true);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create a node key: " + e.getMessage(), e);
        }
    }

    /**
     * Makes {@code next} the node key in {@code dir}: written owner-only beside the current files first, the
     * current pair kept as {@code node-key.previous.pem}/{@code node-pub.previous.pem}, then moved into place
     * (the private key last, so a crash leaves either the old pair or the new one readable).
     */
    public static void install(Path dir, NodeKeys next) throws IOException {
        Path privNext = dir.resolve("node-key.next.pem");
        Path pubNext = dir.resolve("node-pub.next.pem");
        Files.deleteIfExists(privNext);
        Files.deleteIfExists(pubNext);
        writeOwnerOnly(privNext, pem("PRIVATE KEY", next.keyPair.getPrivate().getEncoded()));
        writeOwnerOnly(pubNext, pem("PUBLIC KEY", next.keyPair.getPublic().getEncoded()));
        Files.copy(
                dir.resolve(PRIVATE_FILE), dir.resolve("node-key.previous.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dir.resolve(PUBLIC_FILE), dir.resolve("node-pub.previous.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(
                pubNext, dir.resolve(PUBLIC_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(
                privNext,
                dir.resolve(PRIVATE_FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private static String curveOf(PublicKey key) {
        if (key instanceof org.bouncycastle.jce.interfaces.ECPublicKey ec && ec.getParameters() != null) {
            for (KeyAlgorithm a : KeyAlgorithm.values()) {
                if (org.bouncycastle.jce.ECNamedCurveTable.getParameterSpec(a.curve())
                        .getCurve()
                        .equals(ec.getParameters().getCurve())) {
                    return a.curve();
                }
            }
        }
        return "unknown";
    }

    public boolean created() {
        return created;
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    public PublicKey publicKey() {
        return keyPair.getPublic();
    }

    public String publicKeyPem() {
        return pem("PUBLIC KEY", keyPair.getPublic().getEncoded());
    }

    /**
     * Signs with a signer kept per thread: initialising an SM2 signer derives the public point from the private
     * key, which costs as much as the signature itself, and a signer is ready again after each signature.
     */
    public byte[] sign(byte[] data) {
        try {
            Signature s = signers.get();
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            signers.remove(); // a signer in an unknown state is not used again
            throw new IllegalStateException("signing with the node key failed", e);
        }
    }

    /** Verifies a signature made by {@link #sign} against a public key (DER signature). */
    public static boolean verify(KeyAlgorithm algorithm, PublicKey key, byte[] data, byte[] signature) {
        try {
            Signature s = Signature.getInstance(algorithm.signature(), BC);
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Parses a PEM public key of either algorithm; {@code null} when it is not one. */
    public static PublicKey parsePublicKey(String pem) {
        try {
            StringBuilder b64 = new StringBuilder();
            for (String line : pem.split("\\r?\\n")) {
                if (!line.startsWith("-----")) {
                    b64.append(line.trim());
                }
            }
            return KeyFactory.getInstance("EC", BC)
                    .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64.toString())));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The algorithm whose signature name is given, or {@code null}. */
    public static KeyAlgorithm bySignature(String signature) {
        for (KeyAlgorithm a : KeyAlgorithm.values()) {
            if (a.signature().equals(signature)) {
                return a;
            }
        }
        return null;
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] readPem(Path file) throws IOException {
        StringBuilder b64 = new StringBuilder();
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            if (!line.startsWith("-----")) {
                b64.append(line.trim());
            }
        }
        return Base64.getDecoder().decode(b64.toString());
    }

    static void createOwnerOnlyDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
        }
    }

    static void writeOwnerOnly(Path file, String content) throws IOException {
        boolean posix = Files.getFileStore(file.getParent()).supportsFileAttributeView("posix");
        try {
            if (posix) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException e) {
            throw new IOException("refusing to overwrite " + file, e);
        }
        Files.writeString(file, content, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
