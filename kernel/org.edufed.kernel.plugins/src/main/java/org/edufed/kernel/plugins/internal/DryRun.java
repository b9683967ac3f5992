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
     * node runs — JAX-RS, Jackson (JSON), Commons CSV (imports), SLF4J, OSGi.
     */
    static final List<String> ALLOWED = List.of(
            "org.edufed.kernel.api",
            "javax.ws.rs",
            "org.osgi.",
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

    /** Imports outside the kernel API and the platform, per bundle; migrations carried. */
    static List<Check> inspect(KarArchive kar) {
        List<Check> out = new ArrayList<>();
        Set<String> forbidden = new TreeSet<>();
        Set<String> migrations = new TreeSet<>();
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
        return out;
    }
}
