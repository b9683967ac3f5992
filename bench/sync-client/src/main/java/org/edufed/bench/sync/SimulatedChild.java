package org.edufed.bench.sync;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * A county node played by the fan-out client, without Karaf: its own SM2 key pair (SM3withSM2, the nodes'
 * default, through BouncyCastle as the nodes use it), enrollment with a one-time token, then signed pulls of
 * the province's feed, every answer's signature verified against the province's key, as a node's
 * {@code ParentClient} does. The message format is the exchange connector's {@code SignedMessages}: a request
 * is signed over {@code METHOD\npath?query\ntime\nnonce\nbase64(sha256(body))}, an answer over
 * {@code status\nrequest-nonce\nbase64(sha256(body))}. The child applies nothing; it only keeps its watermark.
 */
final class SimulatedChild {

    static final String FEED = "/api/v1/federation/exchange/feed";
    static final String ENROLLMENT = "/api/v1/federation/exchange/enrollment";
    /** Items per feed page, as a node asks for. */
    static final int PAGE = 500;

    private static final Provider BC = new BouncyCastleProvider();
    private static final String ALGORITHM = "SM3withSM2";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String code;
    private final KeyPair keys;
    // initialised once and reused (a Signature returns to its initialised state after each use): BouncyCastle's
    // SM2 initSign derives the public point from the private key, a second scalar multiplication per message.
    // Not thread-safe: a child makes one request at a time.
    private final Signature signer;
    private Signature parentVerifier;
    private volatile long watermark;
    private volatile boolean pulled;

    SimulatedChild(String code) throws GeneralSecurityException {
        this.code = code;
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC", BC);
        gen.initialize(new ECGenParameterSpec("sm2p256v1"), RANDOM);
        this.keys = gen.generateKeyPair();
        this.signer = Signature.getInstance(ALGORITHM, BC);
        signer.initSign(keys.getPrivate(), RANDOM);
    }

    String code() {
        return code;
    }

    /** Whether this child has pulled at least once and stands at (or past) {@code head}. */
    boolean reached(long head) {
        return pulled && watermark >= head;
    }

    /** Enrolls under the province at {@code base} with a one-time token; learns and checks the province's key. */
    void enroll(HttpClient http, String base, String token)
            throws IOException, InterruptedException, GeneralSecurityException {
        byte[] body = Rest.JSON.writeValueAsBytes(Rest.JSON.createObjectNode()
                .put("token", token)
                .put("level", "county")
                .put("code", code)
                .put("name", "模拟县 " + code)
                .put("publicKey", pem(keys.getPublic()))
                .put("algorithm", ALGORITHM));
        String nonce = nonce();
        HttpResponse<byte[]> r = send(http, base, "POST", ENROLLMENT, body, nonce);
        expect200(r, ENROLLMENT);
        // the answer proves knowledge of the token, and is signed by the key it introduces
        String proof = r.headers().firstValue("X-EduFed-Token-Proof").orElse("");
        if (!MessageDigest.isEqual(proof.getBytes(StandardCharsets.US_ASCII), tokenProof(token, r.body()))) {
            throw new GeneralSecurityException("the enrollment answer does not prove knowledge of the token");
        }
        JsonNode answer = Rest.JSON.readTree(r.body());
        PublicKey parentKey = KeyFactory.getInstance("EC", BC)
                .generatePublic(new X509EncodedKeySpec(fromPem(answer.path("publicKey").asText())));
        parentVerifier = Signature.getInstance(answer.path("algorithm").asText(), BC);
        parentVerifier.initVerify(parentKey);
        verifyAnswer(r, nonce);
    }

    /** Pulls one page of the feed from the watermark; returns whether the province has more. */
    boolean pull(HttpClient http, String base) throws IOException, InterruptedException, GeneralSecurityException {
        String pathAndQuery = FEED + "?since=" + watermark + "&limit=" + PAGE;
        String nonce = nonce();
        HttpResponse<byte[]> r = send(http, base, "GET", pathAndQuery, null, nonce);
        expect200(r, FEED);
        verifyAnswer(r, nonce);
        JsonNode page = Rest.JSON.readTree(r.body());
        watermark = page.path("next").asLong(watermark);
        pulled = true;
        return page.path("more").asBoolean(false);
    }

    private HttpResponse<byte[]> send(
            HttpClient http, String base, String method, String pathAndQuery, byte[] body, String nonce)
            throws IOException, InterruptedException, GeneralSecurityException {
        String time = Long.toString(System.currentTimeMillis());
        byte[] payload = body == null ? new byte[0] : body;
        String toSign = method + "\n" + pathAndQuery + "\n" + time + "\n" + nonce + "\n" + digest(payload);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                .timeout(Duration.ofSeconds(60))
                .header("X-EduFed-Node", code)
                .header("X-EduFed-Time", time)
                .header("X-EduFed-Nonce", nonce)
                .header("X-EduFed-Signature", Base64.getEncoder().encodeToString(sign(toSign)))
                .header("Accept", "application/json");
        if (body == null) {
            b.GET();
        } else {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private void verifyAnswer(HttpResponse<byte[]> r, String nonce) throws GeneralSecurityException {
        byte[] signature = Base64.getDecoder()
                .decode(r.headers().firstValue("X-EduFed-Signature").orElse(""));
        String signed = r.statusCode() + "\n" + nonce + "\n" + digest(r.body());
        parentVerifier.update(signed.getBytes(StandardCharsets.UTF_8));
        if (!parentVerifier.verify(signature)) {
            throw new GeneralSecurityException("the province's answer is not signed by its enrolled key");
        }
    }

    private static void expect200(HttpResponse<byte[]> r, String path) throws IOException {
        if (r.statusCode() != 200) {
            throw new IOException(
                    path + " answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
    }

    private byte[] sign(String text) throws GeneralSecurityException {
        signer.update(text.getBytes(StandardCharsets.UTF_8));
        return signer.sign();
    }

    private static String digest(byte[] body) throws GeneralSecurityException {
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body));
    }

    private static byte[] tokenProof(String token, byte[] body) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return Base64.getEncoder().encode(mac.doFinal(body));
    }

    private static String nonce() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static byte[] fromPem(String pem) {
        return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    }
}
