package org.edufed.kernel.core.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Derby settings the storage gives a node, from its configuration and its heap. */
class DerbyTuningTest {

    /** The storage's configuration with its defaults, {@code set} replacing some of them. */
    static StorageComponent.Config config(Map<String, Object> set) {
        return (StorageComponent.Config) Proxy.newProxyInstance(
                StorageComponent.Config.class.getClassLoader(),
                new Class<?>[] {StorageComponent.Config.class},
                (proxy, method, args) -> set.getOrDefault(method.getName(), method.getDefaultValue()));
    }

    private static final long MB = 1_048_576L;

    @Test
    void theCacheIsAQuarterOfTheHeapIn32KbPages() {
        assertEquals(
                "2048", StorageComponent.derbyTuning(config(Map.of()), 256 * MB).get("derby.storage.pageCacheSize"));
        assertEquals(
                "4096", StorageComponent.derbyTuning(config(Map.of()), 512 * MB).get("derby.storage.pageCacheSize"));
        // never below Derby's own default, on however small a heap
        assertEquals(
                "1000", StorageComponent.derbyTuning(config(Map.of()), 64 * MB).get("derby.storage.pageCacheSize"));
        // or as configured
        assertEquals(
                "1500",
                StorageComponent.derbyTuning(config(Map.of("derby_page_cache", 1500)), 4096 * MB)
                        .get("derby.storage.pageCacheSize"));
    }

    @Test
    void checkpointsEvery64MbOfLogIn16MbFilesWithinDerbysBounds() {
        Map<String, String> d = StorageComponent.derbyTuning(config(Map.of()), 256 * MB);
        assertEquals(Long.toString(64 * MB), d.get("derby.storage.checkpointInterval"));
        assertEquals(Long.toString(16 * MB), d.get("derby.storage.logSwitchInterval"));
        Map<String, String> big = StorageComponent.derbyTuning(
                config(Map.of("derby_checkpoint_mb", 4096, "derby_log_file_mb", 0)), 256 * MB);
        assertEquals("128000000", big.get("derby.storage.checkpointInterval")); // Derby's largest
        assertEquals("100000", big.get("derby.storage.logSwitchInterval")); // Derby's smallest
    }
}
