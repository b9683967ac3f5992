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
        assertTrue(DryRun.allowed("org.osgi.service.component.annotations"));
        // of OSGi only the annotations: no framework (installs bundles, finds every service), no HTTP whiteboard,
        // Config Admin, JDBC; no Camel
        assertFalse(DryRun.allowed("org.osgi.framework"));
        assertFalse(DryRun.allowed("org.osgi.framework.hooks.service"));
        assertFalse(DryRun.allowed("org.osgi.service.http.whiteboard"));
        assertFalse(DryRun.allowed("org.osgi.service.cm"));
        assertFalse(DryRun.allowed("org.osgi.service.jdbc"));
        assertFalse(DryRun.allowed("org.apache.camel"));
        assertFalse(DryRun.allowed("org.edufed.kernel.core.internal"));
        assertFalse(DryRun.allowed("org.edufed.kernel.apix"));
    }

    static final String BUNDLE = "repository/cn/vendor/cn.vendor.x/1.0.0/cn.vendor.x-1.0.0.jar";

    /** An archive with one bundle importing {@code imports}, and a features XML whose feature holds {@code body}. */
    static KarArchive archive(String imports, String body) throws Exception {
        java.util.jar.Manifest m = new java.util.jar.Manifest();
        m.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Bundle-SymbolicName", "cn.vendor.x");
        m.getMainAttributes().putValue("Import-Package", imports);
        ByteArrayOutputStream jar = new ByteArrayOutputStream();
        try (java.util.jar.JarOutputStream j = new java.util.jar.JarOutputStream(jar, m)) {
            j.putNextEntry(new ZipEntry("cn/vendor/x/X.class"));
            j.write(new byte[] {1});
            j.closeEntry();
        }
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put(BUNDLE, jar.toByteArray());
        e.put(
                "repository/cn/vendor/cn.vendor.x/1.0.0/cn.vendor.x-1.0.0-features.xml",
                text("<features name=\"x\" xmlns=\"http://karaf.apache.org/xmlns/features/v1.6.0\">"
                        + "<feature name=\"cn.vendor.x\" version=\"1.0.0\">" + body + "</feature></features>"));
        return KarArchive.read(zip(e));
    }

    static final String FEATURES = "repository/cn/vendor/cn.vendor.x/1.0.0/cn.vendor.x-1.0.0-features.xml";

    @Test
    void aFeatureListsOnlyTheBundlesItsArchiveCarries() throws Exception {
        String own = "<bundle>mvn:cn.vendor/cn.vendor.x/1.0.0</bundle>";
        String api = "org.edufed.kernel.api.web;version=\"[1.0,2)\",javax.ws.rs";
        assertEquals(java.util.List.of(), DryRun.outside(archive(api, own), FEATURES));
        assertEquals(
                "cn/vendor/cn.vendor.x/1.0.0/cn.vendor.x-1.0.0.jar",
                DryRun.repositoryPath("mvn:cn.vendor/cn.vendor.x/1.0.0").substring(KarArchive.REPOSITORY.length()));
        assertEquals(null, DryRun.repositoryPath("file:/etc/passwd"));
        assertEquals(null, DryRun.repositoryPath("mvn:cn.vendor/../../x/1"));

        // what reaches beyond: another feature, configuration, a bundle from elsewhere, imports of the framework
        assertEquals(
                java.util.List.of("<feature> in cn.vendor.x"),
                DryRun.outside(archive(api, own + "<feature>camel-core</feature>"), FEATURES));
        assertEquals(
                java.util.List.of("<configfile> in cn.vendor.x"),
                DryRun.outside(
                        archive(
                                api,
                                own + "<configfile finalname=\"etc/org.edufed.storage.cfg\">mvn:x/y/1</configfile>"),
                        FEATURES));
        assertEquals(
                java.util.List.of("<config> in cn.vendor.x"),
                DryRun.outside(
                        archive(api, own + "<config name=\"org.edufed.node\">level=province</config>"), FEATURES));
        assertEquals(
                java.util.List.of("<bundle>mvn:org.apache.camel/camel-core/3.22.0 (不在安装包中)"),
                DryRun.outside(
                        archive(api, own + "<bundle>mvn:org.apache.camel/camel-core/3.22.0</bundle>"), FEATURES));
        assertEquals(
                java.util.List.of("packages org.osgi.framework, org.osgi.service.http.whiteboard"),
                DryRun.outside(archive(api + ",org.osgi.framework,org.osgi.service.http.whiteboard", own), FEATURES));
        // a doctype (external entities) is not read
        assertTrue(DryRun.beyondArchive(
                        KarArchive.read(zip(Map.of(
                                FEATURES,
                                text("<?xml version=\"1.0\"?><!DOCTYPE f [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                                        + "<features>&x;</features>")))),
                        FEATURES)
                .get(0)
                .startsWith("features XML unreadable"));
        // the dry run shows the same as a failing check
        assertFalse(DryRun.inspect(archive(api, own + "<feature>camel-core</feature>"), FEATURES).stream()
                .filter(c -> c.name().equals("feature"))
                .findFirst()
                .orElseThrow()
                .ok());
    }
}
