package dev.berth.support;

import dev.berth.BerthApplication;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real Berth process-in-JVM on a random loopback port, started the way an operator starts it (command
 * line properties), so tests can run several instances on one store side by side.
 */
public final class BerthServer implements AutoCloseable {

    private final ConfigurableApplicationContext context;

    private BerthServer(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /** Starts Berth on the filesystem store at {@code root}, with any extra {@code --name=value} arguments. */
    public static BerthServer startOnFilesystem(Path root, String... extraArgs) {
        return startOnFilesystem(root, (Clock) null, extraArgs);
    }

    /**
     * Starts Berth on loopback with random HTTP and management ports and the given {@code --name=value}
     * arguments, which must choose the store (for example {@link Azurite#berthArgs}).
     */
    public static BerthServer start(String... args) {
        return start(List.of(), args);
    }

    /** As {@link #start(String...)}, with configuration classes of the test's own added (fault injection). */
    public static BerthServer start(List<Class<?>> extraSources, String... args) {
        return start(null, extraSources, args);
    }

    /**
     * As {@link #startOnFilesystem(Path, String...)}, with Berth reading the time from {@code clock}: the test
     * moves it past a timeout instead of waiting the timeout out.
     */
    public static BerthServer startOnFilesystem(Path root, Clock clock, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "--berth.storage.backend=filesystem",
                "--berth.storage.filesystem.root=" + root.toAbsolutePath()));
        args.addAll(List.of(extraArgs));
        return start(clock, List.of(), args.toArray(String[]::new));
    }

    private static BerthServer start(Clock clock, List<Class<?>> extraSources, String... args) {
        List<String> all = new ArrayList<>(List.of(
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--management.server.port=0",
                "--management.server.address=127.0.0.1"));
        all.addAll(List.of(args));
        SpringApplicationBuilder builder = new SpringApplicationBuilder(BerthApplication.class)
                .sources(extraSources.toArray(Class<?>[]::new));
        if (clock != null) {
            // Berth's services take an optional Clock bean and fall back to the system clock without one.
            builder.initializers(context -> context.getBeanFactory().registerSingleton("testClock", clock));
        }
        return new BerthServer(builder.run(all.toArray(String[]::new)));
    }

    public int port() {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    /** {@code 127.0.0.1:port}, the form docker and skopeo take in image references. */
    public String hostAndPort() {
        return "127.0.0.1:" + port();
    }

    /** The Actuator port (health, metrics, purge trigger). */
    public int managementPort() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.management.port"));
    }

    public URI managementUri(String path) {
        return URI.create("http://127.0.0.1:" + managementPort() + path);
    }

    public URI uri(String path) {
        return URI.create("http://" + hostAndPort() + path);
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
