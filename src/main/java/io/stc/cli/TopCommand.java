package io.stc.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stc top}: a live full-screen view of a running stc, redrawn in place; q or Ctrl+C quits. */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description = "Live view of a running stc: totals, one row per backend, recent events. q or Ctrl+C quits.")
public final class TopCommand implements Callable<Integer> {
  private static final String ALT_SCREEN_ON = "\033[?1049h\033[?25l";
  private static final String ALT_SCREEN_OFF = "\033[?25h\033[?1049l";
  private static final int EVENTS_LIVE = 6;

  @Option(names = "--url", defaultValue = AdminClient.DEFAULT_URL, description = "Admin API address (default ${DEFAULT-VALUE}).")
  String url;

  @Option(names = "--interval", defaultValue = "2", description = "Seconds between refreshes (default ${DEFAULT-VALUE}).")
  double interval;

  @Option(names = "--token", defaultValue = "${env:STC_ADMIN_TOKEN}", description = "Bearer token (default: $STC_ADMIN_TOKEN).")
  String token;

  @Option(names = "--once", description = "Print one frame without terminal control codes and exit.")
  boolean once;

  @Override
  public Integer call() throws Exception {
    if (!(interval >= 0.1 && interval <= 3600)) {
      System.err.println("stc top: --interval must be from 0.1 to 3600 seconds, got " + interval);
      return 2;
    }
    // UTF-8 whatever the locale says, for the sparkline's block characters.
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    AdminClient client = new AdminClient(url, token);
    if (once) {
      try {
        AdminClient.Reply r = client.call("GET", "/api/stats", null);
        if (!r.ok() || r.json() == null) {
          System.err.println("stc top: " + r.error());
          return 1;
        }
        TopScreen.render(r.json(), client.url(), TopScreen.WIDTH, EVENTS_LIVE).forEach(out::println);
        out.flush();
        return 0;
      } catch (AdminClient.Unreachable e) {
        System.err.println("stc top: " + e.getMessage());
        return 1;
      }
    }
    return live(client, out);
  }

  private int live(AdminClient client, PrintStream out) throws InterruptedException {
    Terminal term = Terminal.open();
    Thread restore = new Thread(() -> {
      out.print(ALT_SCREEN_OFF);
      out.flush();
      term.restore();
    });
    // Ctrl+C ends the JVM through its shutdown hooks: the terminal comes back either way.
    Runtime.getRuntime().addShutdownHook(restore);
    out.print(ALT_SCREEN_ON);
    try {
      long pauseNanos = (long) (interval * 1e9);
      while (true) {
        draw(client, out, term.rows());
        long until = System.nanoTime() + pauseNanos;
        while (System.nanoTime() < until) {
          if (term.quitPressed()) {
            return 0;
          }
          // Pacing the redraw and key polling; nothing here waits on another thread.
          TimeUnit.MILLISECONDS.sleep(50);
        }
      }
    } finally {
      out.print(ALT_SCREEN_OFF);
      out.flush();
      term.restore();
      try {
        Runtime.getRuntime().removeShutdownHook(restore);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook runs anyway.
      }
    }
  }

  private void draw(AdminClient client, PrintStream out, int rows) throws InterruptedException {
    List<String> lines;
    try {
      AdminClient.Reply r = client.call("GET", "/api/stats", null);
      lines = r.ok() && r.json() != null
          ? TopScreen.render(r.json(), client.url(), TopScreen.WIDTH, EVENTS_LIVE)
          : List.of("stc top  " + client.url(), "", "the API said: " + r.error());
    } catch (AdminClient.Unreachable e) {
      lines = List.of("stc top  " + client.url(), "", TopScreen.clip(e.getMessage(), TopScreen.WIDTH), "retrying...");
    }
    StringBuilder frame = new StringBuilder("\033[H");
    int shown = Math.min(lines.size(), Math.max(1, rows - 1));
    for (int i = 0; i < shown; i++) {
      frame.append(lines.get(i)).append("\033[K\r\n");
    }
    frame.append(TopScreen.clip("q or Ctrl+C to quit", TopScreen.WIDTH)).append("\033[K\033[J");
    out.print(frame);
    out.flush();
  }

  /** The controlling terminal in character mode (via stty), or nothing when stdin is not a terminal. */
  static final class Terminal {
    private final String saved;
    private final InputStream in;

    private Terminal(String saved, InputStream in) {
      this.saved = saved;
      this.in = in;
    }

    static Terminal open() {
      if (System.console() == null) {
        return new Terminal(null, null);
      }
      String saved = stty("-g");
      if (saved == null || stty("-icanon -echo min 0 time 0") == null) {
        return new Terminal(null, null);
      }
      return new Terminal(saved.trim(), System.in);
    }

    boolean quitPressed() {
      if (in == null) {
        return false;
      }
      try {
        while (in.available() > 0) {
          int c = in.read();
          if (c == 'q' || c == 'Q' || c == 3) {
            return true;
          }
        }
      } catch (IOException e) {
        return false;
      }
      return false;
    }

    int rows() {
      String size = in == null ? null : stty("size");
      if (size != null) {
        String[] parts = size.trim().split("\\s+");
        try {
          return Integer.parseInt(parts[0]);
        } catch (RuntimeException e) {
          // Fall through to the default.
        }
      }
      return 24;
    }

    synchronized void restore() {
      if (saved != null) {
        stty(saved);
      }
    }

    private static String stty(String args) {
      try {
        Process p = new ProcessBuilder("sh", "-c", "stty " + args + " < /dev/tty")
            .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() == 0 ? output : null;
      } catch (IOException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }
}
