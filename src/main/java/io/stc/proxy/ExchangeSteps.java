package io.stc.proxy;

import io.stc.limit.RateLimiter;
import io.stc.pool.Backend;
import io.stc.session.StickySessions;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps every exchange goes through, in order, as small hooks (vertx-http-proxy's
 * interceptors are the model): checks and limits before a backend is picked, additions to the
 * response head on its way to the client.
 */
final class ExchangeSteps {
  /** One step; each hook does nothing unless overridden. */
  interface Step {
    /** Before a backend is picked: null lets the request on, or the failure it is answered with. */
    default ProxyFailure onRequest(Exchange e) {
      return null;
    }

    /** The response head from {@code b} goes to the client: a Set-Cookie value to add, or null. */
    default String setCookie(Exchange e, Backend b) {
      return null;
    }
  }

  private final Step[] steps;

  private ExchangeSteps(List<Step> steps) {
    this.steps = steps.toArray(Step[]::new);
  }

  /** The proxy's steps: who may send requests, HTTP/2 requests checked, the rate limit, sticky sessions (when on). */
  static ExchangeSteps of(ProxyServer proxy, StickySessions sticky) {
    List<Step> steps = new ArrayList<>();
    steps.add(new Step() {
      @Override
      public ProxyFailure onRequest(Exchange e) {
        return e.settings().access().admits(e.request.clientIp()) ? null : ProxyFailure.FORBIDDEN;
      }
    });
    steps.add(new Step() {
      @Override
      public ProxyFailure onRequest(Exchange e) {
        // HTTP/1 requests were checked as they were decoded; HTTP/2 streams are checked here.
        return e.request.fromHttp2() ? e.settings().validator().check(e.request.head) : null;
      }
    });
    steps.add(new Step() {
      @Override
      public ProxyFailure onRequest(Exchange e) {
        RateLimiter limiter = proxy.rateLimiter;
        if (limiter == RateLimiter.NONE) {
          return null;
        }
        long retryAfter = limiter.tryAcquire(e.request);
        if (retryAfter <= 0) {
          return null;
        }
        e.retryAfter(retryAfter);
        return ProxyFailure.RATE_LIMITED;
      }
    });
    if (sticky != StickySessions.NONE) {
      steps.add(new Step() {
        @Override
        public String setCookie(Exchange e, Backend b) {
          String cookie = sticky.pin(e.request, b, e.attempts.pinned());
          // A client on https (here, or at a trusted balancer in front) sends it back on https only.
          return cookie != null && "https".equals(e.request.scheme()) ? cookie + "; Secure" : cookie;
        }
      });
    }
    return new ExchangeSteps(steps);
  }

  ProxyFailure admit(Exchange e) {
    for (Step s : steps) {
      ProxyFailure f = s.onRequest(e);
      if (f != null) {
        return f;
      }
    }
    return null;
  }

  String responseCookie(Exchange e, Backend b) {
    for (Step s : steps) {
      String c = s.setCookie(e, b);
      if (c != null) {
        return c;
      }
    }
    return null;
  }
}
