package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.stc.config.TlsConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data listener's TLS: the current {@link CertificateSet}, swapped whole when certificate files
 * change (on a config reload, and by the file watch when {@code tls.watch} is on), so every
 * handshake runs on one complete set and none fails during a swap; and the session ticket keys,
 * re-read and rotated on a timer.
 */
final class ListenerTls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ListenerTls.class);
  /** As long as a TLS handler gives a handshake by default. */
  static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;
  /** How often the watch looks at the certificate files; their contents are compared every {@link #FULL_CHECK_MILLIS} in any case. */
  private static final long WATCH_TICK_MILLIS = 500;
  private static final long FULL_CHECK_MILLIS = 30_000;

  private final Path stateDir;
  private volatile TlsConfig config;
  private volatile SslProvider provider;
  private volatile CertificateSet set;
  private volatile TlsFingerprint fingerprint;
  /** Null with the JDK provider, whose ticket keys are its own. */
  private volatile TicketKeys ticketKeys;
  private ScheduledExecutorService timer;
  private CertificateWatch watch;
  private long lastFullCheck;
  private String lastWatchProblem;

  /**
   * Reads every certificate and builds the first set.
   *
   * @throws IllegalStateException naming the file or setting that cannot be used
   */
  ListenerTls(TlsConfig tls, Path stateDir) {
    this.stateDir = stateDir;
    try {
      install(tls, TlsFingerprint.of(tls));
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("tls: " + e.getMessage(), e);
    }
  }

  /** The TLS handler for a new client connection, from the set current now. */
  ChannelHandler newHandler(Channel ch) {
    CertificateSet s = set;
    SslContext only = s.single();
    if (only != null) {
      return s.newHandler(only, ch.alloc(), HANDSHAKE_TIMEOUT_MILLIS);
    }
    return new CertificateChooser(s, HANDSHAKE_TIMEOUT_MILLIS);
  }

  /** Which TLS implementation the listener uses: openssl or jdk. */
  String provider() {
    return TlsProvider.label(provider);
  }

  /** Starts the ticket key timer and, when {@code tls.watch} is on, the certificate file watch. */
  synchronized void start() {
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stc-tls");
      t.setDaemon(true);
      return t;
    });
    long rotation = config.sessions().ticketKeyRotation().toMillis();
    // Several reads per rotation, so a key another replica added is known long before it encrypts.
    long keyCheck = Math.max(1000, Math.min(60_000, rotation / 4));
    timer.scheduleWithFixedDelay(this::refreshTicketKeys, keyCheck, keyCheck, TimeUnit.MILLISECONDS);
    restartWatch();
    timer.scheduleWithFixedDelay(this::watchTick, WATCH_TICK_MILLIS, WATCH_TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * Applies a reloaded configuration's listener settings: rebuilds the certificates when a file or
   * setting changed. Turning the listener's TLS off or on needs a restart.
   *
   * @return what happened, for the reload's answer
   * @throws IllegalStateException naming what cannot be used; the running set stays
   */
  synchronized String reload(TlsConfig next) {
    if (!next.enabled()) {
      return "TLS on the listener stays on until a restart";
    }
    try {
      TlsFingerprint f = TlsFingerprint.of(next);
      if (f.equals(fingerprint)) {
        return "certificates unchanged";
      }
      install(next, f);
      restartWatch();
      log.info("TLS certificates reloaded ({} certificates)", next.certificates().size());
      return "certificates reloaded";
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("tls: " + e.getMessage(), e);
    }
  }

  private void install(TlsConfig tls, TlsFingerprint f) throws IOException {
    SslProvider p = TlsProvider.of(tls.provider());
    TicketKeys keys = null;
    if (p == SslProvider.JDK && !tls.sessions().resumption()) {
      throw new IllegalStateException("resumption: false needs the OpenSSL provider");
    }
    if (p != SslProvider.JDK && tls.sessions().resumption()) {
      Path file = tls.sessions().ticketKeys() != null
          ? Path.of(tls.sessions().ticketKeys())
          : stateDir.resolve("tls-ticket-keys");
      TicketKeys current = ticketKeys;
      keys = current != null && current.file().equals(file) ? current : new TicketKeys(file, tls.sessions().ticketKeyRotation(),
          () -> System.currentTimeMillis() / 1000);
      keys.refresh();
    }
    CertificateSet built;
    try {
      built = CertificateSet.build(tls, p, keys == null ? null : keys.forOpenSsl());
    } catch (SSLException e) {
      throw new IOException(e.getMessage(), e);
    }
    config = tls;
    provider = p;
    ticketKeys = keys;
    fingerprint = f;
    set = built;
  }

  private void refreshTicketKeys() {
    TicketKeys keys = ticketKeys;
    if (keys == null) {
      return;
    }
    try {
      if (keys.refresh()) {
        set.setTicketKeys(keys.forOpenSsl());
        log.debug("TLS session ticket keys now from {}", keys.file());
      }
    } catch (IOException | RuntimeException e) {
      log.warn("TLS session ticket keys: {} (keeping the ones in use)", e.getMessage());
    }
  }

  private synchronized void restartWatch() {
    if (timer == null) {
      return;
    }
    watch = config.watch() ? CertificateWatch.of(TlsFingerprint.files(config)) : null;
  }

  private synchronized void watchTick() {
    if (!config.watch()) {
      return;
    }
    long now = System.nanoTime();
    boolean event = watch != null && watch.changed();
    if (!event && now - lastFullCheck < TimeUnit.MILLISECONDS.toNanos(FULL_CHECK_MILLIS)) {
      return;
    }
    lastFullCheck = now;
    try {
      TlsFingerprint f = TlsFingerprint.of(config);
      if (f.equals(fingerprint)) {
        return;
      }
      install(config, f);
      lastWatchProblem = null;
      log.info("TLS certificate files changed: reloaded");
    } catch (IOException | RuntimeException e) {
      // Often a file half-written, or a certificate whose key is not there yet: the next change retries.
      String problem = e.getMessage();
      if (!java.util.Objects.equals(problem, lastWatchProblem)) {
        log.warn("TLS certificate files changed but cannot be used, keeping the ones in use: {}", problem);
        lastWatchProblem = problem;
      }
    }
  }

  /** Stops the timer and the watch. */
  @Override
  public synchronized void close() {
    watch = null;
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  /** For tests: the ticket key file in use, or null with the JDK provider. */
  Path ticketKeyFile() {
    TicketKeys k = ticketKeys;
    return k == null ? null : k.file();
  }
}
