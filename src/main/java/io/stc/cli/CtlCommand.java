package io.stc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.stc.config.BackendSpec;
import io.stc.config.StcConfig.BackendConfig;
import io.stc.pool.Backend;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;

/** {@code stc ctl}: changes a running stc through its admin API; exits 1 when the API refuses. */
@Command(
    name = "ctl",
    mixinStandardHelpOptions = true,
    description = "Control a running stc through its admin API.",
    subcommands = {
      CtlCommand.AddServer.class,
      CtlCommand.RemoveServer.class,
      CtlCommand.Drain.class,
      CtlCommand.Maint.class,
      CtlCommand.Up.class,
      CtlCommand.Weight.class,
      CtlCommand.Backup.class,
      CtlCommand.MaxInflight.class,
      CtlCommand.AlgorithmCmd.class,
      CtlCommand.Stats.class,
      CtlCommand.Reload.class,
    })
public final class CtlCommand implements Runnable {
  @Option(names = "--url", scope = ScopeType.INHERIT, defaultValue = AdminClient.DEFAULT_URL,
      description = "Admin API address (default ${DEFAULT-VALUE}).")
  String url;

  @Option(names = "--token", scope = ScopeType.INHERIT, defaultValue = "${env:STC_ADMIN_TOKEN}",
      description = "Bearer token (default: $STC_ADMIN_TOKEN).")
  String token;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs one API call and reports it: 0 when the API agreed, 1 when it refused or could not be reached. */
  int call(String method, String path, Object body, java.util.function.Function<JsonNode, String> success) {
    try {
      AdminClient.Reply r = new AdminClient(url, token).call(method, path, body);
      if (!r.ok()) {
        System.err.println("stc ctl: " + r.error());
        return 1;
      }
      System.out.println(success.apply(r.json()));
      return 0;
    } catch (AdminClient.Unreachable e) {
      System.err.println("stc ctl: " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  /** Reads HOST:PORT[:WEIGHT] arguments; a bad one is a usage error (exit 2). */
  static final class BackendArg implements ITypeConverter<BackendConfig> {
    @Override
    public BackendConfig convert(String value) {
      try {
        return BackendSpec.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  static String path(BackendConfig b) {
    return "/api/backends/" + URLEncoder.encode(Backend.idOf(b.host(), b.port()), StandardCharsets.UTF_8);
  }

  static String describe(JsonNode b) {
    return b.path("id").asText() + " (weight " + b.path("weight").asInt() + ", " + b.path("state").asText()
        + (b.path("backup").asBoolean() ? ", backup" : "")
        + (b.has("max_inflight") ? ", max_inflight " + b.path("max_inflight").asInt() : "") + ")";
  }

  /** {@code stc ctl add-server HOST:PORT[:WEIGHT]}. */
  @Command(name = "add-server", mixinStandardHelpOptions = true, description = "Add a backend.")
  static final class AddServer implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;
    @Parameters(paramLabel = "HOST:PORT[:WEIGHT]", converter = BackendArg.class) BackendConfig spec;
    @Option(names = "--backup", description = "A backup: it takes requests only while no other backend is available.") boolean backup;
    @Option(names = "--max-inflight", paramLabel = "N", description = "Its own limit of requests in flight (default: the top-level max_inflight).")
    Integer maxInflight;

    @Override
    public Integer call() {
      BackendConfig b = spec;
      Map<String, Object> body = new LinkedHashMap<>();
      if (Backend.isUnix(b.host())) {
        body.put("unix", b.host().substring(Backend.UNIX.length()));
      } else {
        body.put("host", b.host());
        body.put("port", b.port());
      }
      body.put("weight", b.weight());
      if (backup) {
        body.put("backup", true);
      }
      if (maxInflight != null) {
        body.put("max_inflight", maxInflight);
      }
      return ctl.call("POST", "/api/backends", body, j -> "added " + describe(j));
    }
  }

  /** {@code stc ctl remove-server HOST:PORT}. */
  @Command(name = "remove-server", mixinStandardHelpOptions = true,
      description = "Drain a backend, then remove it once idle (or after drain_timeout).")
  static final class RemoveServer implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;
    @Parameters(paramLabel = "HOST:PORT", converter = BackendArg.class) BackendConfig spec;

    @Override
    public Integer call() {
      return ctl.call("DELETE", path(spec), null, j -> "removing " + j.path("id").asText() + " (draining)");
    }
  }

  /** Sets a backend's state. */
  abstract static class StateChange implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;
    @Parameters(paramLabel = "HOST:PORT", converter = BackendArg.class) BackendConfig spec;

    abstract String state();

    @Override
    public Integer call() {
      return ctl.call("PATCH", path(spec), Map.of("state", state()), j -> "backend " + describe(j));
    }
  }

  /** {@code stc ctl drain HOST:PORT}. */
  @Command(name = "drain", mixinStandardHelpOptions = true, description = "Stop sending new requests to a backend (it stays in the pool).")
  static final class Drain extends StateChange {
    @Override
    String state() {
      return "drain";
    }
  }

  /** {@code stc ctl maint HOST:PORT}. */
  @Command(name = "maint", mixinStandardHelpOptions = true, description = "Take a backend out for maintenance; health checks leave it out until 'up'.")
  static final class Maint extends StateChange {
    @Override
    String state() {
      return "maint";
    }
  }

  /** {@code stc ctl up HOST:PORT}. */
  @Command(name = "up", mixinStandardHelpOptions = true, description = "Put a drained or maintained backend back in rotation.")
  static final class Up extends StateChange {
    @Override
    String state() {
      return "up";
    }
  }

  /** {@code stc ctl weight HOST:PORT N}. */
  @Command(name = "weight", mixinStandardHelpOptions = true, description = "Change a backend's weight.")
  static final class Weight implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;
    @Parameters(index = "0", paramLabel = "HOST:PORT", converter = BackendArg.class) BackendConfig spec;
    @Parameters(index = "1", paramLabel = "WEIGHT") int weight;

    @Override
    public Integer call() {
      return ctl.call("PATCH", path(spec), Map.of("weight", weight), j -> "backend " + describe(j));
    }
  }

  /** {@code stc ctl backup HOST:PORT true|false}. */
  @Command(name = "backup", mixinStandardHelpOptions = true,
      description = "Make a backend a backup (it takes requests only while no other backend is available), or a regular one again.")
  static final class Backup implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;
    @Parameters(index = "0", paramLabel = "HOST:PORT", converter = BackendArg.class) BackendConfig spec;
    @Parameters(index = "1", paramLabel = "true|false") boolean backup;

    @Override
    public Integer call() {
      return ctl.call("PATCH", path(spec), Map.of("backup", backup), j -> "backend " + describe(j));
    }
  }

  /** {@code stc ctl max-inflight HOST:PORT N}. */
  @Command(name = "max-inflight", mixinStandardHelpOptions = true,
      description = "Give a backend a limit of its own of requests in flight (HAProxy's set maxconn server); 0: the top-level max_inflight.")
  static final class MaxInflight implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;
    @Parameters(index = "0", paramLabel = "HOST:PORT", converter = BackendArg.class) BackendConfig spec;
    @Parameters(index = "1", paramLabel = "N") int limit;

    @Override
    public Integer call() {
      return ctl.call("PATCH", path(spec), Map.of("max_inflight", limit), j -> "backend " + describe(j));
    }
  }

  /** {@code stc ctl algorithm [NAME]}. */
  @Command(name = "algorithm", mixinStandardHelpOptions = true, description = "Show the balancing algorithm, or switch to NAME.")
  static final class AlgorithmCmd implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;
    @Parameters(arity = "0..1", paramLabel = "NAME") String name;

    @Override
    public Integer call() {
      if (name == null) {
        return ctl.call("GET", "/api/algorithm", null,
            j -> j.path("algorithm").asText() + " (available: " + join(j.path("available")) + ")");
      }
      return ctl.call("PUT", "/api/algorithm", Map.of("algorithm", name), j -> "algorithm " + j.path("algorithm").asText());
    }

    private static String join(JsonNode list) {
      StringBuilder sb = new StringBuilder();
      list.forEach(n -> sb.append(sb.length() == 0 ? "" : ", ").append(n.asText()));
      return sb.toString();
    }
  }

  /** {@code stc ctl stats [--json]}. */
  @Command(name = "stats", mixinStandardHelpOptions = true, description = "Print the current stats.")
  static final class Stats implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;
    @Option(names = "--json", description = "Print the API's JSON as is.") boolean json;

    @Override
    public Integer call() {
      return ctl.call("GET", "/api/stats", null,
          j -> json ? j.toPrettyString() : String.join("\n", TopScreen.render(j, ctl.url, TopScreen.WIDTH, 0)));
    }
  }

  /** {@code stc ctl reload}. */
  @Command(name = "reload", mixinStandardHelpOptions = true, description = "Re-read the config file and apply backends, weights and algorithm.")
  static final class Reload implements Callable<Integer> {
    @ParentCommand CtlCommand ctl;

    @Override
    public Integer call() {
      return ctl.call("POST", "/api/reload", null, j -> j.path("message").asText());
    }
  }
}
