package io.stc.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real container engine for tests: Debian's podman serving the Docker API on a private socket,
 * with its own storage, runtime {@code runc} and ulimits this machine allows (one
 * {@code containers.conf} named by {@code CONTAINERS_CONF}), and a tiny image built here from
 * {@code busybox-static} (no registry needed): {@code httpd} on port 8080 (or {@code $PORT})
 * serving {@code /health}, and {@code /cgi-bin/slow?S} answering after S seconds with its
 * container's hostname. Stopped by its process handle; the containers it ran go with it.
 */
public final class PodmanService implements AutoCloseable {
  public static final String IMAGE = "stc-test-busybox";
  private static final Path BUSYBOX = Path.of("/bin/busybox");

  private final Path dir;
  private final Process service;

  private PodmanService(Path dir, Process service) {
    this.dir = dir;
    this.service = service;
  }

  /**
   * Starts the service and builds the image.
   *
   * @throws EngineUnavailable when podman or busybox is not installed, or the engine cannot run here (with why)
   */
  public static PodmanService start() throws IOException, InterruptedException {
    Path podman = onPath("podman");
    if (podman == null || !Files.isExecutable(BUSYBOX) || !isStatic(BUSYBOX)) {
      throw new EngineUnavailable("podman and busybox-static are not installed (.ci/run installs podman, runc, busybox-static)");
    }
    // Short: a unix socket path must fit in 108 bytes.
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "stc-pm-");
    Files.writeString(dir.resolve("containers.conf"), """
        [containers]
        default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
        [engine]
        runtime = "runc"
        """);
    Path rootfs = dir.resolve("rootfs");
    buildRootfs(rootfs);
    run(dir, List.of("tar", "-C", rootfs.toString(), "-cf", dir.resolve("rootfs.tar").toString(), "."));
    run(dir, podman(dir, "import", "--change", "CMD [\"/bin/sh\",\"/start.sh\"]", dir.resolve("rootfs.tar").toString(), IMAGE));
    Path socket = dir.resolve("podman.sock");
    ProcessBuilder pb = new ProcessBuilder(podman(dir, "system", "service", "--time=0", "unix://" + socket))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("service.log").toFile());
    pb.environment().put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
    Process service = pb.start();
    PodmanService s = new PodmanService(dir, service);
    try {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> !service.isAlive() || s.answers());
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // reported below, with the service's log
    }
    if (!s.answers()) {
      String log = Files.exists(dir.resolve("service.log")) ? Files.readString(dir.resolve("service.log")) : "";
      s.close();
      throw new EngineUnavailable("podman system service did not come up: " + log.strip());
    }
    return s;
  }

  /** The Docker API address, as DOCKER_HOST spells it. */
  public String address() {
    return "unix://" + dir.resolve("podman.sock");
  }

  /** Runs the podman CLI against this service's storage; returns its output. */
  public String podman(String... args) throws IOException, InterruptedException {
    return run(dir, podman(dir, args));
  }

  /** The ids of the containers carrying {@code label=value}, running or not. */
  public List<String> containers(String label, String value) throws IOException, InterruptedException {
    String out = podman("ps", "-a", "-q", "--no-trunc", "--filter", "label=" + label + "=" + value).strip();
    return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
  }

  private boolean answers() {
    Path socket = dir.resolve("podman.sock");
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.write(java.nio.ByteBuffer.wrap("GET /_ping HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
      return ch.read(b) > 0 && new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).contains(" 200 ");
    } catch (IOException e) {
      return false;
    }
  }

  private static List<String> podman(Path dir, String... args) {
    List<String> cmd = new ArrayList<>(List.of("podman", "--root", dir.resolve("storage").toString(),
        "--runroot", dir.resolve("run").toString(), "--runtime", "runc"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static String run(Path dir, List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new EngineUnavailable(String.join(" ", cmd) + " failed: " + new String(out, StandardCharsets.UTF_8).strip());
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  private static void buildRootfs(Path rootfs) throws IOException {
    Path bin = Files.createDirectories(rootfs.resolve("bin"));
    Files.copy(BUSYBOX, bin.resolve("busybox"));
    for (String applet : List.of("sh", "sleep", "httpd", "hostname", "cat", "echo")) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
    }
    Path www = Files.createDirectories(rootfs.resolve("www/cgi-bin"));
    Files.writeString(rootfs.resolve("www/health"), "ok\n");
    Files.writeString(rootfs.resolve("www/index.html"), "hello\n");
    Path slow = Files.writeString(www.resolve("slow"), """
        #!/bin/sh
        sleep ${QUERY_STRING:-1}
        echo "Content-Type: text/plain"
        echo ""
        echo "slow from $(hostname)"
        """);
    Files.setPosixFilePermissions(slow, PosixFilePermissions.fromString("rwxr-xr-x"));
    // sh as PID 1 with a TERM trap: a stop ends it at once instead of waiting out the grace period.
    Files.writeString(rootfs.resolve("start.sh"), """
        #!/bin/sh
        trap "exit 0" TERM
        httpd -f -p ${PORT:-8080} -h /www &
        wait
        """);
  }

  /** A dynamically linked busybox (Debian's busybox package) would not run in an image without a libc. */
  private static boolean isStatic(Path binary) throws IOException {
    String head = new String(Files.readAllBytes(binary), 0, 4096, StandardCharsets.ISO_8859_1);
    return !head.contains("/lib64/ld-linux") && !head.contains("/lib/ld-linux");
  }

  private static Path onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(d, program);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Stops the service by its handle, after removing every container it still has; then its files. */
  @Override
  public void close() throws IOException, InterruptedException {
    try {
      if (service.isAlive()) {
        try {
          podman("rm", "--all", "--force", "--time", "0");
        } catch (IOException e) {
          // The service's own storage goes below anyway.
        }
      }
    } finally {
      service.destroy();
      if (!service.waitFor(10, TimeUnit.SECONDS)) {
        service.destroyForcibly();
      }
      unmountUnder(dir);
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Container storage bind-mounts its overlay directory on itself; what an unclean stop leaves mounted is unmounted here. */
  private static void unmountUnder(Path dir) throws IOException, InterruptedException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 1 && f[1].startsWith(dir.toString() + "/")) {
        new ProcessBuilder("umount", "-l", f[1]).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** The engine cannot run here; the message says why. */
  public static final class EngineUnavailable extends IOException {
    public EngineUnavailable(String message) {
      super(message);
    }
  }
}
