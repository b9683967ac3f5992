package org.edufed.kernel.plugins.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading plugin archives safely, and what a dry run sees in their bundles. */
class KarArchiveTest {

    @TempDir
    Path dir;

    static byte[] zip(Map<String, byte[]> entries) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theRepositoryIsExtractedInMavenLayout() throws Exception {
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put(Descriptor.PATH, text("{}"));
        e.put("repository/cn/example/a/1.0.0/a-1.0.0-features.xml", text("<features/>"));
        e.put("repository/cn/example/a/1.0.0/a-1.0.0.jar", text("jar"));
        KarArchive kar = KarArchive.read(zip(e));
        assertEquals("repository/cn/example/a/1.0.0/a-1.0.0-features.xml", kar.featuresPath());
        kar.extractRepository(dir);
        assertEquals("jar", Files.readString(dir.resolve("cn/example/a/1.0.0/a-1.0.0.jar")));
        assertFalse(Files.exists(dir.resolve("META-INF")), "only the repository is extracted");
    }

    @Test
    void entriesThatWalkOutAreRefused() throws Exception {
        for (String name : new String[] {"repository/../../etc/passwd", "/etc/passwd", "repository/a\\b", "C:/x"}) {
            byte[] z = zip(Map.of(name, text("x")));
            assertThrows(KarArchive.Broken.class, () -> KarArchive.read(z), name);
        }
    }

    @Test
    void notAZipAndNoFeaturesAreRefused() throws Exception {
        assertThrows(KarArchive.Broken.class, () -> KarArchive.read(text("not a zip")));
        KarArchive noFeatures = KarArchive.read(zip(Map.of(Descriptor.PATH, text("{}"))));
        assertThrows(KarArchive.Broken.class, noFeatures::featuresPath);
    }

    @Test
    void aZipBombIsRefused() throws Exception {
        byte[] zeros = new byte[8 * 1024 * 1024];
        Map<String, byte[]> e = new LinkedHashMap<>();
        for (int i = 0; i < 9; i++) {
            e.put("repository/x/" + i + ".bin", zeros); // compresses to a few KB, unpacks to 72 MB
        }
        byte[] z = zip(e);
        assertTrue(z.length < 1024 * 1024);
        assertTrue(assertThrows(KarArchive.Broken.class, () -> KarArchive.read(z))
                .getMessage()
                .contains("MB"));
    }

    @Test
    void importsOutsideTheKernelApiAreNamed() {
        assertEquals(
                java.util.Set.of("javax.ws.rs", "org.edufed.kernel.api.web", "org.edufed.kernel.core.internal"),
                DryRun.packages(
                        "javax.ws.rs;version=\"[2.1,3)\",org.edufed.kernel.api.web;version=\"[1.0,2)\",org.edufed.kernel.core.internal"));
        assertTrue(DryRun.allowed("org.edufed.kernel.api.web"));
        assertTrue(DryRun.allowed("org.osgi.framework"));
        assertFalse(DryRun.allowed("org.edufed.kernel.core.internal"));
        assertFalse(DryRun.allowed("org.edufed.kernel.apix"));
    }
}
