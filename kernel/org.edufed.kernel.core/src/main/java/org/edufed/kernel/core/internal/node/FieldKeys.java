package org.edufed.kernel.core.internal.node;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.bouncycastle.crypto.engines.SM4Engine;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.edufed.kernel.api.audit.AuditLog;
import org.edufed.kernel.api.crypto.FieldEncryption;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The node's field keys in {@code data/keys/field-keys.properties} (owner-only): SM4 keys by id, the id of the
 * current one, and the HMAC-SM3 key of the blind indexes. Created at first start; {@link #rotate()} adds a key
 * and makes it current (values written before keep naming their own key). A ciphertext is {@code
 * sm4g:<key id>:<base64 of nonce (12 bytes) and ciphertext with its 16-byte tag>}.
 */
@Component(service = FieldEncryption.class)
public final class FieldKeys implements FieldEncryption {

    static final String FILE = "field-keys.properties";
    private static final String PREFIX = "sm4g:";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Nonces from a generator per thread: one shared generator is a lock every encryption waits on. */
    private static final ThreadLocal<SecureRandom> NONCES = ThreadLocal.withInitial(SecureRandom::new);

    private final Path file;
    private final Map<String, byte[]> keys = new LinkedHashMap<>();
    /**
     * SM4-GCM ciphers per thread and key id, keyed once: keying builds GCM's multiplication table (4 KiB), which
     * cost more than encrypting a field; later uses only set a new nonce ({@code init} without a key).
     */
    private final ThreadLocal<Map<String, GCMModeCipher>> ciphers = ThreadLocal.withInitial(HashMap::new);
    /** HMAC-SM3 per thread, keyed with the index key once ({@code doFinal} leaves it keyed again). */
    private final ThreadLocal<HMac> indexMacs = ThreadLocal.withInitial(() -> {
        HMac mac = new HMac(new SM3Digest());
        mac.init(new KeyParameter(indexKey()));
        return mac;
    });

    private String current;
    private byte[] indexKey;
    private volatile AuditLog audit;

    @Activate
    public FieldKeys() throws IOException {
        this(DataDirs.dataDir().resolve("keys"));
    }

    public FieldKeys(Path dir) throws IOException {
        this.file = dir.resolve(FILE);
        if (Files.exists(file)) {
            load();
        } else {
            NodeKeys.createOwnerOnlyDir(dir);
            indexKey = random(32);
            current = "k1";
            keys.put(current, random(16));
            save(false);
        }
    }

    private void load() throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file, StandardCharsets.US_ASCII)));
        current = p.getProperty("current");
        indexKey = Base64.getDecoder().decode(p.getProperty("index"));
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith("key.")) {
                keys.put(name.substring(4), Base64.getDecoder().decode(p.getProperty(name)));
            }
        }
        if (current == null || !keys.containsKey(current)) {
            throw new IOException(file + " names no current key");
        }
    }

    /** Writes the keys owner-only: a new file beside the old, then moved over it. */
    private void save(boolean replace) throws IOException {
        StringWriter w = new StringWriter();
        w.write("# EduFed field keys (SM4) - keep with the node's backup, never in the database\n");
        w.write("current=" + current + "\n");
        w.write("index=" + Base64.getEncoder().encodeToString(indexKey) + "\n");
        for (Map.Entry<String, byte[]> k : keys.entrySet()) {
            w.write("key." + k.getKey() + "=" + Base64.getEncoder().encodeToString(k.getValue()) + "\n");
        }
        Path target = replace ? file.resolveSibling(FILE + ".new") : file;
        Files.deleteIfExists(file.resolveSibling(FILE + ".new"));
        NodeKeys.writeOwnerOnly(target, w.toString());
        if (replace) {
            Files.move(target, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    @Override
    public String rotateKey() {
        try {
            return rotate();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the field keys: " + e.getMessage(), e);
        }
    }

    /** Adds a new SM4 key and makes it the one new values are encrypted with. */
    synchronized String rotate() throws IOException {
        String id = "k" + (keys.size() + 1);
        keys.put(id, random(16));
        String previous = current;
        current = id;
        try {
            save(true);
        } catch (IOException e) {
            keys.remove(id);
            current = previous;
            throw e;
        }
        return id;
    }

    @Override
    public String encrypt(String plaintext) {
        if (plaintext == null) {
            return null;
        }
        String id;
        byte[] key;
        synchronized (this) {
            id = current;
            key = keys.get(id);
        }
        byte[] nonce = new byte[12];
        NONCES.get().nextBytes(nonce);
        byte[] in = plaintext.getBytes(StandardCharsets.UTF_8);
        GCMModeCipher c = sm4gcm(true, key, nonce, id);
        byte[] out = new byte[nonce.length + c.getOutputSize(in.length)];
        System.arraycopy(nonce, 0, out, 0, nonce.length);
        try {
            int n = c.processBytes(in, 0, in.length, out, nonce.length);
            c.doFinal(out, nonce.length + n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("SM4 encryption failed", e);
        }
        return PREFIX + id + ":" + Base64.getEncoder().encodeToString(out);
    }

    @Override
    public boolean isCiphertext(String value) {
        if (value == null || !value.startsWith(PREFIX)) {
            return false;
        }
        int colon = value.indexOf(':', PREFIX.length());
        // base64 of a nonce (12 bytes) and a tag (16) at least: 40 characters
        if (colon < 0 || value.length() - colon - 1 < 40) {
            return false;
        }
        String id = value.substring(PREFIX.length(), colon);
        synchronized (this) {
            return keys.containsKey(id);
        }
    }

    @Override
    public String reveal(String ciphertext, String subject, String purpose) {
        String value = decrypt(ciphertext);
        AuditLog a = audit;
        if (a == null) {
            throw new IllegalStateException("no audit trail: personal data is not shown without recording the view");
        }
        a.record(AuditLog.Event.of(
                "personal.view",
                subject == null || subject.isBlank() ? "?" : subject,
                AuditLog.Result.SUCCESS,
                purpose == null || purpose.isBlank() ? null : "purpose " + purpose));
        return value;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindAudit(AuditLog a) {
        audit = a;
    }

    void unbindAudit(AuditLog a) {
        if (audit == a) {
            audit = null;
        }
    }

    @Override
    public String decrypt(String ciphertext) {
        if (ciphertext == null) {
            return null;
        }
        int colon = ciphertext.indexOf(':', PREFIX.length());
        if (!ciphertext.startsWith(PREFIX) || colon < 0) {
            throw new IllegalArgumentException("not a field ciphertext");
        }
        String id = ciphertext.substring(PREFIX.length(), colon);
        byte[] key;
        synchronized (this) {
            key = keys.get(id);
        }
        if (key == null) {
            throw new IllegalArgumentException("unknown field key " + id);
        }
        byte[] in = Base64.getDecoder().decode(ciphertext.substring(colon + 1));
        if (in.length < 12 + 16) {
            throw new IllegalArgumentException("field ciphertext too short");
        }
        GCMModeCipher c = sm4gcm(false, key, java.util.Arrays.copyOf(in, 12), id);
        byte[] out = new byte[c.getOutputSize(in.length - 12)];
        try {
            int n = c.processBytes(in, 12, in.length - 12, out, 0);
            n += c.doFinal(out, n);
            return new String(out, 0, n, StandardCharsets.UTF_8);
        } catch (InvalidCipherTextException | IllegalStateException e) {
            throw new IllegalArgumentException("the field ciphertext was changed or its key is wrong");
        }
    }

    @Override
    public String blindIndex(String plaintext) {
        if (plaintext == null) {
            return null;
        }
        HMac mac = indexMacs.get();
        byte[] in = plaintext.getBytes(StandardCharsets.UTF_8);
        mac.update(in, 0, in.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return HexFormat.of().formatHex(out);
    }

    /**
     * SM4-GCM with a 128-bit tag, the key's id as associated data. BouncyCastle's lightweight classes directly:
     * the JCA lookup of a cipher by name cost more than the encryption of a field (every registration encrypts
     * two, twice). The cipher is this thread's for the key, set to the nonce.
     */
    private GCMModeCipher sm4gcm(boolean encrypt, byte[] key, byte[] nonce, String keyId) {
        byte[] aad = keyId.getBytes(StandardCharsets.US_ASCII);
        Map<String, GCMModeCipher> mine = ciphers.get();
        GCMModeCipher c = mine.get(keyId);
        if (c == null) {
            c = GCMBlockCipher.newInstance(new SM4Engine());
            c.init(encrypt, new AEADParameters(new KeyParameter(key), 128, nonce, aad));
            mine.put(keyId, c);
        } else {
            c.init(encrypt, new AEADParameters(null, 128, nonce, aad));
        }
        return c;
    }

    private synchronized byte[] indexKey() {
        return indexKey;
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
