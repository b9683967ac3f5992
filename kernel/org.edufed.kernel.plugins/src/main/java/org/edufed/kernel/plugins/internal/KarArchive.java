package org.edufed.kernel.plugins.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A plugin archive: a Karaf KAR (a zip with a Maven-layout {@code repository/} holding the features XML and
 * the bundles) that also carries {@link Descriptor#PATH}. Read with limits against zip bombs and with entry
 * names checked, so nothing is ever written outside the directory it is extracted to.
 */
final class KarArchive {

    static final int MAX_ENTRIES = 2_000;
    static final long MAX_UNPACKED = 64L * 1024 * 1024;
    static final String REPOSITORY = "repository/";

    /** Why an archive is not a plugin archive (English, for the log and the problem detail). */
    static final class Broken extends Exception {
        Broken(String message) {
            super(message);
        }
    }

    private final Map<String, byte[]> entries;

    private KarArchive(Map<String, byte[]> entries) {
        this.entries = entries;
    }

    static KarArchive read(byte[] archive) throws Broken {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        long total = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (e.isDirectory()) {
                    continue;
                }
                String name = e.getName();
                if (!safe(name)) {
                    throw new Broken("entry name not allowed: " + name);
                }
                if (entries.size() >= MAX_ENTRIES) {
                    throw new Broken("more than " + MAX_ENTRIES + " entries");
                }
                byte[] data = readLimited(zip, MAX_UNPACKED - total);
                total += data.length;
                if (entries.put(name, data) != null) {
                    throw new Broken("entry twice: " + name);
                }
            }
        } catch (IOException e) {
            throw new Broken("not a zip archive: " + e.getMessage());
        }
        if (entries.isEmpty()) {
            throw new Broken("not a zip archive (no entries)");
        }
        return new KarArchive(entries);
    }

    /** The bytes of one entry, or {@code null} when the archive has no such entry. */
    byte[] entry(String path) {
        return entries.get(path);
    }

    /** The descriptor's bytes, or {@code null} when the archive has none. */
    byte[] descriptor() {
        return entries.get(Descriptor.PATH);
    }

    /** The path (inside the archive) of the one features XML of its repository. */
    String featuresPath() throws Broken {
        String found = null;
        for (String name : entries.keySet()) {
            if (name.startsWith(REPOSITORY) && name.endsWith("-features.xml")) {
                if (found != null) {
                    throw new Broken("more than one features XML: " + found + ", " + name);
                }
                found = name;
            }
        }
        if (found == null) {
            throw new Broken("no features XML under repository/");
        }
        return found;
    }

    /** Bundle jars of the repository (for checks), by path. */
    Map<String, byte[]> jars() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        entries.forEach((k, v) -> {
            if (k.startsWith(REPOSITORY) && k.endsWith(".jar")) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** Writes the repository part into {@code dir} (replacing what is there), Maven layout kept. */
    void extractRepository(Path dir) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        Files.createDirectories(root);
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            if (!e.getKey().startsWith(REPOSITORY)) {
                continue;
            }
            Path target =
                    root.resolve(e.getKey().substring(REPOSITORY.length())).normalize();
            if (!target.startsWith(root)) {
                throw new IOException("entry outside the repository: " + e.getKey());
            }
            Files.createDirectories(target.getParent());
            Files.write(target, e.getValue());
        }
    }

    static boolean safe(String name) {
        if (name.isEmpty()
                || name.length() > 400
                || name.startsWith("/")
                || name.contains("\\")
                || name.contains(":")) {
            return false;
        }
        for (String part : name.split("/")) {
            if (part.equals("..") || part.equals(".") || part.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static byte[] readLimited(InputStream in, long limit) throws IOException, Broken {
        byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        if (data.length > limit) {
            throw new Broken("unpacks to more than " + (MAX_UNPACKED >> 20) + " MB");
        }
        return data;
    }
}
