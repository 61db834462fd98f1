package io.stc.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class after which Netty finds a buffer that was never released: every buffer is
 * tracked (the paranoid level), and the collector is run once the class ends, so a leak in the
 * proxy shows as a red test rather than as a log line nobody reads, or as a slowly growing heap.
 *
 * <p>Registered for every test by {@code META-INF/services} (JUnit's extension autodetection).
 * A leak is reported by Netty only when the buffer has been collected and another buffer is then
 * tracked, so one class's leak can surface at the next class's end; the message carries the
 * buffer's last touches, which name the code that held it.
 */
public final class LeakGuard implements AfterAllCallback {
  private static final List<String> LEAKS = new ArrayList<>();

  static {
    // Before any buffer class takes its detector from the factory: this class is loaded when
    // JUnit starts its engine, before the first test class.
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new Factory());
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    collect();
    List<String> found;
    synchronized (LEAKS) {
      found = List.copyOf(LEAKS);
      LEAKS.clear();
    }
    if (!found.isEmpty()) {
      throw new AssertionError(found.size() + " Netty buffer(s) never released (found after "
          + context.getDisplayName() + "; the leak may be the class before's):\n" + String.join("\n\n", found));
    }
  }

  /** Collects garbage until the collector has handed a reference to its queue, then lets Netty look at its own. */
  private static void collect() throws InterruptedException {
    ReferenceQueue<Object> queue = new ReferenceQueue<>();
    WeakReference<Object> marker = new WeakReference<>(new Object(), queue);
    for (int i = 0; i < 10 && queue.poll() == null; i++) {
      System.gc();
      if (queue.remove(100) != null) {
        break;
      }
    }
    marker.clear();
    // Netty reads its queue of collected buffers when it tracks a new one.
    ByteBuf probe = UnpooledByteBufAllocator.DEFAULT.directBuffer(1);
    probe.release();
  }

  /** Every detector Netty makes reports here, as well as to its log. */
  private static final class Factory extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
      return new Recording<>(resource, samplingInterval);
    }
  }

  private static final class Recording<T> extends ResourceLeakDetector<T> {
    Recording(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected boolean needReport() {
      return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      super.reportTracedLeak(resourceType, records);
      record("LEAK: " + resourceType + records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      super.reportUntracedLeak(resourceType);
      record("LEAK: " + resourceType + " (no records)");
    }

    private static void record(String leak) {
      synchronized (LEAKS) {
        LEAKS.add(leak);
      }
    }
  }
}
