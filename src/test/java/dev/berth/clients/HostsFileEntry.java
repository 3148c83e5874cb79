package dev.berth.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A line of {@code /etc/hosts} that gives a made-up host name an address for one test class, so that docker's
 * daemon and this JVM reach a registry by that name; closing takes that line out again.
 * The file is rewritten in place (it may be a bind mount, which a rename would not replace). A line left
 * behind by a run that was killed is recognised by its comment and replaced.
 */
public final class HostsFileEntry implements AutoCloseable {

    public static final Path HOSTS = Path.of("/etc/hosts");

    private final String hostName;

    private HostsFileEntry(String hostName) {
        this.hostName = hostName;
    }

    /** Adds {@code address hostName} to {@code /etc/hosts}; fails if another line already names {@code hostName}. */
    public static HostsFileEntry add(String address, String hostName) {
        String hosts = withoutOurLine(hostName);
        Matcher taken = Pattern.compile("(?m)^[^#\\n]*\\s" + Pattern.quote(hostName) + "(\\s|$)").matcher(hosts);
        if (taken.find()) {
            throw new AssertionError(HOSTS + " already resolves " + hostName + ": the test will not override it\n" + hosts);
        }
        String separator = hosts.isEmpty() || hosts.endsWith("\n") ? "" : "\n";
        write(hosts + separator + line(address, hostName));
        return new HostsFileEntry(hostName);
    }

    @Override
    public void close() {
        write(withoutOurLine(hostName));
    }

    private static String line(String address, String hostName) {
        return address + " " + hostName + " " + marker(hostName) + "\n";
    }

    private static String marker(String hostName) {
        return "# berth test entry for " + hostName + ", removed when the test ends";
    }

    private static String withoutOurLine(String hostName) {
        try {
            String hosts = Files.readString(HOSTS, StandardCharsets.UTF_8);
            return hosts.replaceAll("(?m)^[^\\n]*" + Pattern.quote(marker(hostName)) + "\\n?", "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(String hosts) {
        try {
            Files.writeString(HOSTS, hosts, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + HOSTS + " (the test must run as root)", e);
        }
    }
}
