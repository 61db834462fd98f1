package io.stc.limit;

import io.stc.Clock;
import io.stc.balance.Request;
import io.stc.config.StcConfig.RateLimit;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Limits each client to {@code rps} requests a second with bursts of up to {@code burst}, keyed by
 * the client's IP address or by the value of a request header. Requests that do not carry the
 * header (or whose address is unknown) all share one anonymous bucket, so leaving the key out
 * never escapes the limit.
 */
public final class TokenBucketLimiter implements RateLimiter {
  /** The key of the shared anonymous bucket; real keys are never empty. */
  static final String ANONYMOUS = "";
  // Longer keys are replaced by their digest, so a client cannot make each table entry cost kilobytes.
  static final int MAX_KEY_LENGTH = 64;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final boolean byHeader;
  private final String header;
  private final BucketTable table;
  private final Clock clock;

  public TokenBucketLimiter(RateLimit config, Clock clock) {
    this(config, clock, new BucketTable(config.rps(), config.burst(), config.maxClients()));
  }

  TokenBucketLimiter(RateLimit config, Clock clock, BucketTable table) {
    if (!config.enabled()) {
      throw new IllegalArgumentException("rate limiting is off in this configuration");
    }
    this.byHeader = config.per() == RateLimit.Per.HEADER;
    this.header = config.header();
    this.table = table;
    this.clock = clock;
  }

  @Override
  public long tryAcquire(Request request) {
    long wait = table.take(keyOf(request), clock.nanos());
    if (wait == 0) {
      return 0;
    }
    // Whole seconds, rounded up so a client that waits as told finds a token.
    return Math.max(1, (wait + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND);
  }

  /** How many client buckets are held now. */
  public int clients() {
    return table.size();
  }

  String keyOf(Request request) {
    String key = byHeader ? request.header(header) : request.clientIp();
    if (key == null || key.isEmpty()) {
      return ANONYMOUS;
    }
    return key.length() <= MAX_KEY_LENGTH ? key : digest(key);
  }

  private static String digest(String key) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().withoutPadding().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
