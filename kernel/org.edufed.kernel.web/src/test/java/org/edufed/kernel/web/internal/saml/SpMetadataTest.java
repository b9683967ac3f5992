package org.edufed.kernel.web.internal.saml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The metadata of an SP outside the tree, as pysaml2 writes it (itests/interop/pysaml2_sp.py metadata). */
class SpMetadataTest {

    @BeforeAll
    static void init() {
        OpenSaml.init();
    }

    static String pysaml2() throws Exception {
        try (var in = SpMetadataTest.class.getResourceAsStream("pysaml2-sp.xml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void pysaml2MetadataIsReadWithItsAcsAndSigningCertificate() throws Exception {
        Metadata.Sp sp = Metadata.parseSp(pysaml2());
        assertEquals("https://portal.example.test/sp", sp.entityId());
        assertEquals("https://portal.example.test/acs", sp.acsPost());
        assertEquals(1, sp.signingCertificates().size());
    }

    @Test
    void metadataWithoutACertificateOrAnAcsIsRefusedWithItsReason() throws Exception {
        String noKey = pysaml2().replaceAll("(?s)<ns0:KeyDescriptor.*</ns0:KeyDescriptor>", "");
        assertEquals(
                "sso.noCertificate",
                assertThrows(SamlException.class, () -> Metadata.parseSp(noKey)).key());
        String noAcs = pysaml2().replaceAll("<ns0:AssertionConsumerService[^>]*/>", "");
        assertEquals(
                "sso.badMetadata",
                assertThrows(SamlException.class, () -> Metadata.parseSp(noAcs)).key());
        assertEquals(
                "sso.malformed",
                assertThrows(SamlException.class, () -> Metadata.parseSp("<not-metadata/>"))
                        .key());
    }
}
