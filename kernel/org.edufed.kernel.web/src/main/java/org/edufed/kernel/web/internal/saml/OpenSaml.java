package org.edufed.kernel.web.internal.saml;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import javax.xml.namespace.QName;
import net.shibboleth.utilities.java.support.xml.BasicParserPool;
import net.shibboleth.utilities.java.support.xml.SerializeSupport;
import net.shibboleth.utilities.java.support.xml.XMLParserException;
import org.opensaml.core.config.InitializationException;
import org.opensaml.core.config.InitializationService;
import org.opensaml.core.xml.XMLObject;
import org.opensaml.core.xml.config.XMLObjectProviderRegistrySupport;
import org.opensaml.core.xml.io.MarshallingException;
import org.opensaml.core.xml.io.Unmarshaller;
import org.opensaml.core.xml.io.UnmarshallingException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * OpenSAML 3 set up once per JVM, and the little the rest of the package needs of it: building, marshalling and
 * parsing SAML objects, and the encodings of the HTTP-Redirect binding. Untrusted XML is parsed with a parser
 * pool that refuses DTDs (no entity expansion, no external entities) and limits the input size.
 */
public final class OpenSaml {

    /** Largest SAML message accepted (bytes, after base64 decoding or inflating). */
    public static final int MAX_MESSAGE_BYTES = 256 * 1024;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static volatile BasicParserPool parserPool;

    private OpenSaml() {}

    /**
     * Initialises OpenSAML (idempotent). Inside OSGi its ServiceLoader must see the OpenSAML bundle, so the
     * thread's context class loader is that bundle's for the duration.
     */
    public static void init() {
        if (parserPool != null) {
            return;
        }
        synchronized (OpenSaml.class) {
            if (parserPool != null) {
                return;
            }
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            try {
                thread.setContextClassLoader(InitializationService.class.getClassLoader());
                // the initialisers SAML needs, named: the Java Services list of the bundle also names TLS and
                // HTTP-client ones that need libraries a node does not have
                for (org.opensaml.core.config.Initializer i : new org.opensaml.core.config.Initializer[] {
                    new org.opensaml.core.xml.config.XMLObjectProviderInitializer(),
                    new org.opensaml.core.xml.config.GlobalParserPoolInitializer(),
                    new org.opensaml.xmlsec.config.GlobalAlgorithmRegistryInitializer(),
                    new org.opensaml.xmlsec.config.impl.JavaCryptoValidationInitializer(),
                    new org.opensaml.xmlsec.config.impl.XMLObjectProviderInitializer(),
                    new org.opensaml.xmlsec.config.impl.ApacheXMLSecurityInitializer(),
                    new org.opensaml.xmlsec.config.impl.GlobalSecurityConfigurationInitializer(),
                    new org.opensaml.saml.config.impl.XMLObjectProviderInitializer(),
                    new org.opensaml.saml.config.impl.SAMLConfigurationInitializer()
                }) {
                    i.init();
                }
                BasicParserPool pool = new BasicParserPool();
                pool.setNamespaceAware(true);
                pool.setIgnoreComments(true);
                pool.setExpandEntityReferences(false);
                pool.setXincludeAware(false);
                pool.setMaxPoolSize(20);
                pool.initialize();
                parserPool = pool;
            } catch (InitializationException
                    | net.shibboleth.utilities.java.support.component.ComponentInitializationException e) {
                throw new IllegalStateException("OpenSAML cannot start: " + e.getMessage(), e);
            } finally {
                thread.setContextClassLoader(previous);
            }
        }
    }

    /**
     * Makes the OpenSAML bundle the thread's context class loader (its signer and validator are found through
     * the Java Services API at each use) and returns the previous one, to be restored in a {@code finally}.
     */
    static ClassLoader enterBundle() {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(InitializationService.class.getClassLoader());
        return previous;
    }

    /** A new, empty SAML object of the element given (its builder from the OpenSAML registry). */
    @SuppressWarnings("unchecked")
    public static <T extends XMLObject> T build(QName element) {
        init();
        return (T) XMLObjectProviderRegistrySupport.getBuilderFactory()
                .getBuilderOrThrow(element)
                .buildObject(element);
    }

    /** The object's DOM (marshalled now unless it already has one). */
    public static Element marshal(XMLObject object) {
        init();
        try {
            if (object.getDOM() != null) {
                return object.getDOM();
            }
            return XMLObjectProviderRegistrySupport.getMarshallerFactory()
                    .getMarshaller(object)
                    .marshall(object);
        } catch (MarshallingException e) {
            throw new IllegalStateException("cannot marshal " + object.getElementQName() + ": " + e.getMessage(), e);
        }
    }

    public static String toXml(XMLObject object) {
        return SerializeSupport.nodeToString(marshal(object));
    }

    /** Parses a document securely (no DTD) into its DOM. @throws SamlException {@code sso.malformed} */
    public static Document parse(byte[] xml) throws SamlException {
        init();
        if (xml.length > MAX_MESSAGE_BYTES) {
            throw new SamlException("sso.malformed", "message larger than " + MAX_MESSAGE_BYTES + " bytes");
        }
        try {
            return parserPool.parse(new ByteArrayInputStream(xml));
        } catch (XMLParserException e) {
            throw new SamlException("sso.malformed", "not well-formed XML: " + e.getMessage());
        }
    }

    /** The SAML object an element holds. @throws SamlException {@code sso.malformed} */
    public static XMLObject unmarshal(Element element) throws SamlException {
        init();
        Unmarshaller u =
                XMLObjectProviderRegistrySupport.getUnmarshallerFactory().getUnmarshaller(element);
        if (u == null) {
            throw new SamlException("sso.malformed", "unknown element " + element.getLocalName());
        }
        try {
            return u.unmarshall(element);
        } catch (UnmarshallingException e) {
            throw new SamlException("sso.malformed", "cannot read " + element.getLocalName() + ": " + e.getMessage());
        }
    }

    public static XMLObject unmarshal(byte[] xml) throws SamlException {
        return unmarshal(parse(xml).getDocumentElement());
    }

    /** A fresh SAML ID: an NCName with 160 random bits. */
    public static String newId() {
        byte[] b = new byte[20];
        RANDOM.nextBytes(b);
        return "_" + HexFormat.of().formatHex(b);
    }

    /** HTTP-Redirect binding: DEFLATE (raw) then base64. */
    public static String deflateBase64(String xml) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(Deflater.DEFLATED, true);
        try (DeflaterOutputStream d = new DeflaterOutputStream(out, deflater)) {
            d.write(xml.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } finally {
            deflater.end();
        }
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** The inverse of {@link #deflateBase64}, bounded by {@link #MAX_MESSAGE_BYTES}. */
    public static byte[] inflateBase64(String value) throws SamlException {
        byte[] deflated = base64(value);
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(deflated);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                out.write(buf, 0, n);
                if (out.size() > MAX_MESSAGE_BYTES) {
                    throw new SamlException("sso.malformed", "message larger than " + MAX_MESSAGE_BYTES + " bytes");
                }
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new SamlException("sso.malformed", "not DEFLATE data");
        } finally {
            inflater.end();
        }
    }

    /** Base64 (MIME line breaks tolerated). @throws SamlException {@code sso.malformed} */
    public static byte[] base64(String value) throws SamlException {
        if (value == null || value.isBlank()) {
            throw new SamlException("sso.malformed", "no SAML message");
        }
        if (value.length() > MAX_MESSAGE_BYTES * 4 / 3 + 16) {
            throw new SamlException("sso.malformed", "message larger than " + MAX_MESSAGE_BYTES + " bytes");
        }
        try {
            return Base64.getMimeDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw new SamlException("sso.malformed", "not base64");
        }
    }
}
