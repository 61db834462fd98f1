package io.stc.scale;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Ends a process together with its descendants: SIGTERM to all of them, SIGKILL to whatever is
 * left after the grace period. Descendants are listed before the first signal, while they are
 * still attached to the tree; a process that detached itself earlier (a daemon) is out of reach.
 */
final class ProcessTree {
  private ProcessTree() {}

  /** The process and its descendants as they are now, root first. */
  static List<ProcessHandle> of(ProcessHandle root) {
    List<ProcessHandle> tree = new ArrayList<>();
    tree.add(root);
    root.descendants().forEach(tree::add);
    return tree;
  }

  /** Terminates the tree without blocking; completes once every process in it has exited. */
  static CompletableFuture<Void> terminate(ProcessHandle root, Duration grace, ScheduledExecutorService timer) {
    List<ProcessHandle> tree = of(root);
    tree.forEach(ProcessHandle::destroy);
    CompletableFuture<Void> gone = allExited(tree);
    timer.schedule(() -> {
      if (!gone.isDone()) {
        tree.forEach(ProcessTree::kill);
      }
    }, grace.toMillis(), TimeUnit.MILLISECONDS);
    return gone;
  }

  /** Terminates several trees and waits: SIGTERM, up to {@code grace}, then SIGKILL, then up to 5 s more. */
  static void terminateAndWait(List<ProcessHandle> roots, Duration grace) {
    List<ProcessHandle> all = new ArrayList<>();
    roots.forEach(r -> all.addAll(of(r)));
    all.forEach(ProcessHandle::destroy);
    CompletableFuture<Void> gone = allExited(all);
    try {
      gone.get(grace.toMillis(), TimeUnit.MILLISECONDS);
      return;
    } catch (TimeoutException e) {
      all.forEach(ProcessTree::kill);
    } catch (InterruptedException e) {
      all.forEach(ProcessTree::kill);
      Thread.currentThread().interrupt();
      return;
    } catch (java.util.concurrent.ExecutionException e) {
      all.forEach(ProcessTree::kill);
    }
    try {
      gone.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // SIGKILL cannot be refused; a process still listed here is a zombie about to be reaped.
    }
  }

  private static void kill(ProcessHandle h) {
    if (h.isAlive()) {
      h.destroyForcibly();
    }
  }

  private static CompletableFuture<Void> allExited(List<ProcessHandle> handles) {
    return CompletableFuture.allOf(handles.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new));
  }
}
