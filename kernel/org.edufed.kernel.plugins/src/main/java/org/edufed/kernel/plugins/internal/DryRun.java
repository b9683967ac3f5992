package org.edufed.kernel.plugins.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * The static half of a dry run: what an archive's bundles import and export, read from their manifests, and
 * which schema migrations they carry. A plugin may import only the kernel's API and the platform's standard
 * packages; anything else of the kernel is internal and may change in any release.
 */
final class DryRun {

    /** One line of a dry-run report. */
    record Check(String name, boolean ok, String detail) {}

    /**
     * Package prefixes a plugin may import (besides what it exports itself): the kernel API and the platform every
     * node runs — JAX-RS, Jackson (JSON), Commons CSV (imports), SLF4J, and of OSGi only the annotations. Not the
     * framework (a {@code BundleContext} installs bundles and finds every service), nor the HTTP whiteboard, Config
     * Admin, JDBC or Camel: a plugin serves and stores through the kernel's API, where the guard sees it.
     */
    static final List<String> ALLOWED = List.of(
            "org.edufed.kernel.api",
            "javax.ws.rs",
            "org.osgi.service.component.annotations",
            "org.osgi.service.metatype.annotations",
            "org.osgi.annotation",
            "org.slf4j",
            "java.",
            "javax.annotation",
            "javax.sql",
            "com.fasterxml.jackson.core",
            "com.fasterxml.jackson.databind",
            "com.fasterxml.jackson.annotation",
            "org.apache.commons.csv");

    private static final Pattern MIGRATION = Pattern.compile(".*/db/V\\d+(\\.[a-z]+)?\\.sql");

    private DryRun() {}

    /** Packages named in an OSGi manifest header such as Import-Package (attributes and directives dropped). */
    static Set<String> packages(String header) {
        Set<String> out = new TreeSet<>();
        if (header == null) {
            return out;
        }
        StringBuilder clause = new StringBuilder();
        boolean quoted = false;
        for (char ch : (header + ",").toCharArray()) {
            if (ch == '"') {
                quoted = !quoted;
            }
            if (ch == ',' && !quoted) {
                for (String part : clause.toString().split(";")) {
                    String p = part.strip();
                    if (!p.isEmpty() && !p.contains("=")) {
                        out.add(p);
                    }
                }
                clause.setLength(0);
            } else {
                clause.append(ch);
            }
        }
        return out;
    }

    static boolean allowed(String pkg) {
        return ALLOWED.stream().anyMatch(a -> pkg.equals(a) || pkg.startsWith(a.endsWith(".") ? a : a + "."));
    }

    /**
     * Imports outside the kernel API and the platform, per bundle; migrations carried; and what the plugin's
     * features XML ({@code featuresPath} in the archive) asks of Karaf beyond the archive.
     */
    static List<Check> inspect(KarArchive kar, String featuresPath) {
        List<Check> out = new ArrayList<>();
        Set<String> forbidden = new TreeSet<>();
        Set<String> migrations = new TreeSet<>();
        int bundles = scan(kar, forbidden, migrations);
        out.add(new Check(
                "packages",
                forbidden.isEmpty(),
                forbidden.isEmpty()
                        ? bundles + " 个 bundle，只用内核 API 与平台标准包"
                        : "使用了内核 API 以外的包：" + String.join(", ", forbidden)));
        out.add(new Check(
                "migrations",
                true,
                migrations.isEmpty() ? "不带数据库迁移" : "安装时执行的迁移（已执行的跳过）：" + String.join(", ", migrations)));
        List<String> beyond = beyondArchive(kar, featuresPath);
        out.add(new Check(
                "feature",
                beyond.isEmpty(),
                beyond.isEmpty() ? "特性只安装安装包自带的 bundle" : "特性超出安装包：" + String.join("；", beyond)));
        return out;
    }

    /**
     * What an archive holds that no plugin may: imports outside the kernel API and the platform, and a feature that
     * reaches beyond the archive; empty when nothing. Certification, publishing and every install refuse such an
     * archive, whoever signed it.
     */
    static List<String> outside(KarArchive kar, String featuresPath) {
        Set<String> forbidden = new TreeSet<>();
        scan(kar, forbidden, new TreeSet<>());
        List<String> out = new ArrayList<>();
        if (!forbidden.isEmpty()) {
            out.add("packages " + String.join(", ", forbidden));
        }
        out.addAll(beyondArchive(kar, featuresPath));
        return out;
    }

    /**
     * Elements of the plugin's features XML that reach beyond its archive: other repositories, features it depends
     * on, configuration (a {@code <config>} or {@code <configfile>} could rewrite the kernel's), libraries, and
     * bundles the archive does not carry. A plugin's feature lists its own bundles, nothing else.
     */
    static List<String> beyondArchive(KarArchive kar, String featuresPath) {
        List<String> out = new ArrayList<>();
        org.w3c.dom.Document doc;
        try {
            javax.xml.parsers.DocumentBuilderFactory f = javax.xml.parsers.DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(javax.xml.XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(kar.entry(featuresPath)));
        } catch (Exception e) {
            out.add("features XML unreadable: " + e.getMessage());
            return out;
        }
        org.w3c.dom.Element root = doc.getDocumentElement();
        for (org.w3c.dom.Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof org.w3c.dom.Element e)) {
                continue;
            }
            if (!"feature".equals(e.getLocalName())) {
                out.add("<" + e.getLocalName() + ">");
                continue;
            }
            for (org.w3c.dom.Node c = e.getFirstChild(); c != null; c = c.getNextSibling()) {
                if (!(c instanceof org.w3c.dom.Element child)) {
                    continue;
                }
                String name = child.getLocalName();
                if ("bundle".equals(name)) {
                    String url = child.getTextContent().strip();
                    String path = repositoryPath(url);
                    if (path == null || kar.entry(path) == null) {
                        out.add("<bundle>" + url + " (不在安装包中)");
                    }
                } else if (!"details".equals(name)) {
                    out.add("<" + name + "> in " + e.getAttribute("name"));
                }
            }
        }
        return out;
    }

    /**
     * Where a {@code mvn:group/artifact/version[/type[/classifier]]} URL lies in an archive's repository, or
     * {@code null} for any other kind of URL.
     */
    static String repositoryPath(String url) {
        if (!url.startsWith("mvn:") || url.contains("!") || url.contains("..")) {
            return null;
        }
        String[] p = url.substring(4).split("/", -1);
        if (p.length < 3 || p.length > 5 || java.util.Arrays.stream(p).anyMatch(String::isEmpty)) {
            return null;
        }
        String type = p.length > 3 ? p[3] : "jar";
        String classifier = p.length > 4 ? "-" + p[4] : "";
        return KarArchive.REPOSITORY + p[0].replace('.', '/') + "/" + p[1] + "/" + p[2] + "/" + p[1] + "-" + p[2]
                + classifier + "." + type;
    }

    /** Reads every bundle of the archive: imports outside the platform into {@code forbidden}, migrations carried. */
    private static int scan(KarArchive kar, Set<String> forbidden, Set<String> migrations) {
        int bundles = 0;
        for (Map.Entry<String, byte[]> jar : kar.jars().entrySet()) {
            try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar.getValue()))) {
                Manifest m = in.getManifest();
                if (m == null || m.getMainAttributes().getValue("Bundle-SymbolicName") == null) {
                    forbidden.add(jar.getKey() + " (not a bundle)");
                    continue;
                }
                bundles++;
                Set<String> exported = packages(m.getMainAttributes().getValue("Export-Package"));
                for (String p : packages(m.getMainAttributes().getValue("Import-Package"))) {
                    if (!allowed(p) && !exported.contains(p)) {
                        forbidden.add(p);
                    }
                }
                java.util.jar.JarEntry e;
                while ((e = in.getNextJarEntry()) != null) {
                    if (MIGRATION.matcher(e.getName()).matches()) {
                        migrations.add(e.getName());
                    }
                }
            } catch (IOException e) {
                forbidden.add(jar.getKey() + " (unreadable)");
            }
        }
        return bundles;
    }
}
