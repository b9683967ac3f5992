package org.edufed.bench.sync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's CPU time and resident memory, read from Linux's /proc. */
final class Proc {

    private final long pid;
    private final int clockTicks;

    /** @param clockTicks the kernel's clock ticks per second ({@code getconf CLK_TCK}) */
    Proc(long pid, int clockTicks) {
        this.pid = pid;
        this.clockTicks = clockTicks;
    }

    /** User plus system CPU seconds used so far (fields 14 and 15 of /proc/pid/stat). */
    double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // the command name (field 2) may hold spaces: count the fields after its closing parenthesis
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) clockTicks;
    }

    /** Resident set size in kB (VmRSS of /proc/pid/status). */
    long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no VmRSS for process " + pid);
    }
}
