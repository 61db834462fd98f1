package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The queue's bookkeeping: what its waiters hold, and the bounds it keeps. */
class RequestQueueBoundsTest {
  /** A waiter that remembers being woken. */
  private static final class Waiter implements RequestQueue.Waiter {
    final long bytes;
    boolean woken;

    Waiter(long bytes) {
      this.bytes = bytes;
    }

    @Override
    public void wake() {
      woken = true;
    }

    @Override
    public long bytes() {
      return bytes;
    }
  }

  @Test
  void memoryIsTheBoundAndEveryWayOutGivesItBack() {
    RequestQueue q = new RequestQueue(0, 10_000);
    List<Waiter> in = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Waiter w = new Waiter(2_000);
      assertThat(q.offer(w)).isTrue();
      in.add(w);
    }
    assertThat(q.bytes()).isEqualTo(8_000);
    assertThat(q.offer(new Waiter(3_000))).as("over 10,000 bytes").isFalse();
    assertThat(q.offer(new Waiter(2_000))).as("exactly 10,000").isTrue();
    assertThat(q.size()).isEqualTo(5);

    assertThat(q.remove(in.get(1))).isTrue();
    q.wake(1);
    assertThat(in.get(0).woken).isTrue();
    assertThat(q.bytes()).isEqualTo(6_000);
    q.putBack(in.get(0));
    assertThat(q.bytes()).isEqualTo(8_000);
    q.settled();
    q.wake(10);
    assertThat(q.bytes()).isZero();
    assertThat(q.size()).isZero();
  }

  @Test
  void aCountBoundAppliesOnlyWhenSet() {
    RequestQueue unbounded = new RequestQueue(0, Long.MAX_VALUE);
    for (int i = 0; i < 100_000; i++) {
      assertThat(unbounded.offer(new Waiter(1))).isTrue();
    }
    RequestQueue two = new RequestQueue(2, Long.MAX_VALUE);
    assertThat(two.offer(new Waiter(1))).isTrue();
    assertThat(two.offer(new Waiter(1))).isTrue();
    assertThat(two.offer(new Waiter(1))).isFalse();
    assertThat(two.size()).isEqualTo(2);
  }

  @Test
  void aWaiterCountsItsHeadTheBodyItMayHoldAndItsConnection() {
    HttpRequest get = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/items?page=2");
    get.headers().set("Host", "shop.example").set("Accept", "*/*");
    long small = QueuePlace.footprint(get);
    assertThat(small).isBetween(QueuePlace.CONNECTION_BYTES + 40, QueuePlace.CONNECTION_BYTES + 200);

    HttpRequest upload = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
    upload.headers().set("Content-Length", "100000");
    assertThat(QueuePlace.footprint(upload)).isGreaterThan(QueuePlace.CONNECTION_BYTES + 100_000);

    HttpRequest huge = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
    huge.headers().set("Content-Length", "10000000000");
    HttpRequest chunked = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
    chunked.headers().set("Transfer-Encoding", "chunked");
    // It stops reading the client beyond what it buffers: that, not the declared length, is the cost.
    assertThat(QueuePlace.footprint(huge)).isLessThan(QueuePlace.CONNECTION_BYTES + RequestBody.HOLD_LIMIT + 200);
    assertThat(QueuePlace.footprint(chunked)).isLessThan(QueuePlace.CONNECTION_BYTES + RequestBody.HOLD_LIMIT + 200);
  }
}
