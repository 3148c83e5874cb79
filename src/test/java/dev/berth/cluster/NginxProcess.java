package dev.berth.cluster;

import dev.berth.clients.Commands;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * Debian's nginx in the foreground as a child process: a round-robin reverse proxy in front of replicas, or
 * a TLS-terminating one in front of a single Berth, streaming request and response bodies (no buffering, no
 * size limit), everything it writes (pid, logs, temp files) inside its own folder. Its access log records
 * which upstream served each request.
 */
public final class NginxProcess implements AutoCloseable {

    public static final String NGINX = "/usr/sbin/nginx";

    /** Tab-separated: method, URI, status, upstream address, upstream Location header, X-Forwarded-For sent. */
    private static final String LOG_FORMAT = "$request_method\\t$request_uri\\t$status\\t$upstream_addr\\t"
            + "$upstream_http_location\\t$proxy_add_x_forwarded_for";

    /** Large uploads and downloads pass through as they come: no buffering, no size limit, long timeouts. */
    private static final String STREAMING = String.join("\n",
            "    client_max_body_size 0;",
            "    proxy_request_buffering off;",
            "    proxy_buffering off;",
            "    proxy_http_version 1.1;",
            "    proxy_connect_timeout 10s;",
            "    proxy_send_timeout 600s;",
            "    proxy_read_timeout 600s;",
            "    client_body_timeout 600s;",
            "    send_timeout 600s;");

    private final Process process;
    private final String host;
    private final int port;
    private final Path directory;

    private NginxProcess(Process process, String host, int port, Path directory) {
        this.process = process;
        this.host = host;
        this.port = port;
        this.directory = directory;
    }

    /**
     * One line of the access log; {@code forwardedFor} is the {@code X-Forwarded-For} list the client sent with
     * the address nginx saw it connect from appended, as the TLS-terminating proxy passes it on.
     */
    public record Access(String method, String uri, int status, String upstream, String location, String forwardedFor) {
    }

    public static NginxProcess roundRobin(Path directory, List<String> upstreams) {
        String servers = upstreams.stream().map(u -> "    server " + u + ";").collect(Collectors.joining("\n"));
        return startOnFreePort(directory, "127.0.0.1", port -> String.join("\n",
                "  upstream berth {",
                servers,
                "    keepalive 16;",
                "  }",
                "  server {",
                "    listen 127.0.0.1:" + port + ";",
                STREAMING,
                "    location / {",
                "      proxy_pass http://berth;",
                "      proxy_set_header Host $http_host;",
                "      proxy_set_header Connection \"\";",
                "      proxy_set_header X-Forwarded-For $remote_addr;",
                "    }",
                "  }"));
    }

    /**
     * nginx terminating TLS for {@code serverName} on {@code listenAddress} and a free port, in front of the one
     * plain-HTTP {@code upstream}, the way an ingress does: it passes the client's {@code Host} on and tells the
     * upstream, in {@code X-Forwarded-For/-Proto/-Host/-Port}, who asked and how. {@code X-Forwarded-For} keeps
     * what the client itself sent and appends the client's address.
     */
    public static NginxProcess terminatingTls(Path directory, String listenAddress, String serverName, Path certificate,
            Path key, String upstream) {
        return startOnFreePort(directory, listenAddress, port -> String.join("\n",
                "  server {",
                "    listen " + listenAddress + ":" + port + " ssl;",
                "    server_name " + serverName + ";",
                "    ssl_certificate " + certificate.toAbsolutePath() + ";",
                "    ssl_certificate_key " + key.toAbsolutePath() + ";",
                STREAMING,
                "    location / {",
                "      proxy_pass http://" + upstream + ";",
                "      proxy_set_header Host $http_host;",
                "      proxy_set_header Connection \"\";",
                "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                "      proxy_set_header X-Forwarded-Proto $scheme;",
                "      proxy_set_header X-Forwarded-Host $host;",
                "      proxy_set_header X-Forwarded-Port $server_port;",
                "    }",
                "  }"));
    }

    private static NginxProcess startOnFreePort(Path directory, String host, IntFunction<String> servers) {
        Commands.requireExecutable(NGINX);
        // freePort() can race with another process taking the port: try a few ports.
        for (int attempt = 1; ; attempt++) {
            int port = Commands.freePort();
            try {
                return start(directory.resolve("nginx-" + port), host, port, servers.apply(port));
            } catch (AssertionError e) {
                if (attempt >= 3 || !String.valueOf(e.getMessage()).contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    private static NginxProcess start(Path directory, String host, int port, String servers) {
        try {
            Files.createDirectories(directory.resolve("logs"));
            Files.createDirectories(directory.resolve("temp"));
            Path conf = directory.resolve("nginx.conf");
            String d = directory.toAbsolutePath().toString();
            Files.writeString(conf, String.join("\n",
                    // Only meaningful as root (workers would otherwise run as www-data, locked out of this folder).
                    "user " + System.getProperty("user.name") + ";",
                    "worker_processes 1;",
                    "pid " + d + "/nginx.pid;",
                    "error_log " + d + "/logs/error.log info;",
                    "events { worker_connections 512; }",
                    "http {",
                    "  log_format upstreams '" + LOG_FORMAT + "';",
                    "  access_log " + d + "/logs/access.log upstreams;",
                    "  client_body_temp_path " + d + "/temp/body;",
                    "  proxy_temp_path " + d + "/temp/proxy;",
                    "  fastcgi_temp_path " + d + "/temp/fastcgi;",
                    "  uwsgi_temp_path " + d + "/temp/uwsgi;",
                    "  scgi_temp_path " + d + "/temp/scgi;",
                    servers,
                    "}",
                    ""), StandardCharsets.UTF_8);
            Path output = directory.resolve("logs/nginx.out");
            Process process = new ProcessBuilder(NGINX, "-c", conf.toString(), "-g", "daemon off;", "-p", d + "/")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            NginxProcess nginx = new NginxProcess(process, host, port, directory);
            nginx.awaitListening(Duration.ofSeconds(20));
            return nginx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitListening(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("nginx exited with " + process.exitValue() + "\n" + diagnostics());
            }
            try (Socket socket = new Socket(host, port)) {
                return;
            } catch (IOException e) {
                sleep(50);
            }
        }
        close();
        throw new AssertionError("nginx did not listen on " + hostAndPort() + " within " + timeout + "\n" + diagnostics());
    }

    public int port() {
        return port;
    }

    /** The address and port nginx listens on. */
    public String hostAndPort() {
        return host + ":" + port;
    }

    public List<Access> accessLog() {
        try {
            return Files.readAllLines(directory.resolve("logs/access.log"), StandardCharsets.UTF_8).stream()
                    .map(line -> line.split("\t", -1))
                    .filter(f -> f.length >= 6)
                    .map(f -> new Access(f[0], f[1], Integer.parseInt(f[2]), f[3], f[4], f[5]))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The error log and the process's own output, for failure messages. */
    public String diagnostics() {
        StringBuilder out = new StringBuilder();
        for (String file : List.of("logs/nginx.out", "logs/error.log")) {
            Path path = directory.resolve(file);
            try {
                List<String> lines = Files.exists(path) ? Files.readAllLines(path, StandardCharsets.UTF_8) : List.of();
                out.append("----- ").append(path).append(" -----\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())))
                        .append('\n');
            } catch (IOException e) {
                out.append("(cannot read ").append(path).append(": ").append(e).append(")\n");
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        // SIGTERM is nginx's fast shutdown; it takes its worker down with it.
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
