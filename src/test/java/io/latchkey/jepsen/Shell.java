package io.latchkey.jepsen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the host commands the harness needs (ip, iptables, kill) and says how they ended. */
final class Shell {
    private Shell() {
    }

    record Outcome(int exit, String output) {
        boolean ok() {
            return exit == 0;
        }
    }

    /** Runs the command to completion (at most 30 s); exit -1 if it could not be started or hung. */
    static Outcome run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Outcome(-1, "timed out: " + String.join(" ", command));
            }
            return new Outcome(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            return new Outcome(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(-1, "interrupted");
        }
    }

    /** Runs the command and throws when it fails: for setup steps that must work. */
    static String must(String... command) {
        Outcome o = run(command);
        if (!o.ok()) {
            throw new IllegalStateException("`" + String.join(" ", command) + "` failed (" + o.exit() + "): " + o.output());
        }
        return o.output();
    }

    static boolean onPath(String tool) {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin")) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static boolean isRoot() {
        Outcome id = run("id", "-u");
        return id.ok() && id.output().equals("0");
    }

    static void signal(long pid, String name) {
        run("kill", "-" + name, Long.toString(pid));
    }
}
