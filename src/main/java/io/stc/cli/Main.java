package io.stc.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code stc} command line: one subcommand per job. */
@Command(
    name = "stc",
    mixinStandardHelpOptions = true,
    version = "stc 0.1.0",
    description = "Server Traffic Controller: an HTTP load balancer with autoscaling built in.",
    subcommands = {
      CommandLine.HelpCommand.class,
      ServeCommand.class,
      DemoCommand.class,
      BackendCommand.class,
      LoadCommand.class,
      SimulateCommand.class,
      TopCommand.class,
      CtlCommand.class,
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // The JVM keeps a name's answer for 30 s unless told; backends named by host name are looked
    // up every 5 s, and a name that moved should move the traffic within that, as Envoy's does.
    // An operator's own setting (java.security, or -Dsun.net.inetaddr.ttl) stands.
    if (java.security.Security.getProperty("networkaddress.cache.ttl") == null && System.getProperty("sun.net.inetaddr.ttl") == null) {
      java.security.Security.setProperty("networkaddress.cache.ttl", "5");
    }
    int code;
    try {
      code = run(args);
    } catch (Throwable t) {
      // An Error picocli does not catch (a class missing because the jar was written over under the
      // running process, memory run out): the event loops' threads would keep the JVM up, serving
      // nothing, so it exits, and the shutdown hooks stop what it started.
      System.err.println("stc: stopped by " + t);
      t.printStackTrace();
      code = 1;
    }
    System.exit(code);
  }

  /** Runs the command line and returns its exit code: 0 ok, 1 failure, 2 bad usage or config. */
  public static int run(String... args) {
    if (args.length > 0 && args[0].equals("backend")) {
      // An autoscaled instance: picocli's model of every other command would cost it a third of its start-up.
      return new CommandLine(new BackendCommand()).setCommandName("stc backend")
          .execute(java.util.Arrays.copyOfRange(args, 1, args.length));
    }
    CommandLine cl = new CommandLine(new Main());
    return cl.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
