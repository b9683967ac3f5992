package org.edufed.kernel.core.internal.node;

import java.nio.file.Path;
import java.nio.file.Paths;

/** Where the node keeps its own files: {@code ${karaf.data}/edufed}. */
public final class DataDirs {
    private DataDirs() {}

    public static Path dataDir() {
        String karafData = System.getProperty("karaf.data");
        Path base = karafData != null ? Paths.get(karafData) : Paths.get(System.getProperty("user.dir"), "data");
        return base.resolve("edufed");
    }
}
