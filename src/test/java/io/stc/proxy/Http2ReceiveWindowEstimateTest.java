package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The window a connection's round trips call for, from what arrives between a measuring PING and its acknowledgement. */
class Http2ReceiveWindowEstimateTest {
  /** One round trip: DATA until a PING goes out, then {@code bytes} in all before its acknowledgement. */
  private static boolean roundTrip(Http2ReceiveWindow w, long bytes) {
    long before = 0;
    while (!w.received(1_024)) {
      before += 1_024;
    }
    // No PING for each small message: half a window came first.
    assertThat(before + 1_024).isGreaterThanOrEqualTo(w.window() / 2);
    for (long sent = 1_024; sent < bytes; sent += 1_024) {
      assertThat(w.received(1_024)).isFalse();
    }
    return w.acknowledged();
  }

  @Test
  void aPeerHeldBackByItsWindowDoublesItUpToTheLimit() {
    Http2ReceiveWindow w = new Http2ReceiveWindow();
    assertThat(w.window()).isEqualTo(65_535);
    int before = w.window();
    while (w.window() < Http2ReceiveWindow.MAX) {
      // Three quarters of a window a round trip: what a peer with stc's window updates keeps in flight.
      assertThat(roundTrip(w, before * 3L / 4)).isTrue();
      assertThat(w.window()).isEqualTo(Math.min(Http2ReceiveWindow.MAX, before * 2));
      before = w.window();
    }
    // At the limit no PING goes out any more.
    assertThat(w.received(Http2ReceiveWindow.MAX)).isFalse();
    assertThat(w.acknowledged()).isFalse();
  }

  @Test
  void aPeerThatSendsLessThanHalfAWindowARoundTripKeepsItsWindow() {
    Http2ReceiveWindow w = new Http2ReceiveWindow();
    for (int i = 0; i < 20; i++) {
      assertThat(roundTrip(w, 16_384)).isFalse();
    }
    assertThat(w.window()).isEqualTo(65_535);
  }

  @Test
  void anAcknowledgementWithNoPingOutChangesNothing() {
    Http2ReceiveWindow w = new Http2ReceiveWindow();
    assertThat(w.acknowledged()).isFalse();
    assertThat(w.window()).isEqualTo(65_535);
  }

  @Test
  void theBudgetGivesAtMostHalfOfWhatIsLeftAndTakesItBack() {
    Http2WindowBudget b = new Http2WindowBudget(100, new ProxyStats());
    assertThat(b.take(80)).isEqualTo(50);
    assertThat(b.take(10)).isEqualTo(10);
    assertThat(b.take(100)).isEqualTo(20);
    assertThat(b.held()).isEqualTo(80);
    b.give(50);
    assertThat(b.left()).isEqualTo(70);
    assertThat(new Http2WindowBudget(0, new ProxyStats()).take(5)).isZero();
  }

  @Test
  void theProcessGetsASixteenthOfTheHeapWithinItsBoundsSplitOverItsLoops() {
    assertThat(Http2WindowBudget.perLoop(6L << 30, 2, new ProxyStats()).left()).isEqualTo(192 << 20);
    assertThat(Http2WindowBudget.perLoop(256L << 20, 2, new ProxyStats()).left()).isEqualTo(16 << 20);
    assertThat(Http2WindowBudget.perLoop(64L << 30, 1, new ProxyStats()).left()).isEqualTo(1 << 30);
  }
}
