package io.stc.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which backends a snapshot makes available when some are backups: the others first, backups only while none of them is. */
class PoolTiersTest {
  private static Backend backend(String id, BackendState state, boolean backup) {
    Backend b = new Backend(id, "127.0.0.1", 1000 + id.hashCode() % 1000, 1, state);
    b.backup(backup);
    return b;
  }

  private static Pool.Ejection ejecting(Backend... ejected) {
    Set<Backend> set = Set.of(ejected);
    return set::contains;
  }

  @Test
  void backupsWaitWhileAnyOtherBackendIsUp() {
    Backend a = backend("a", BackendState.UP, false);
    Backend b = backend("b", BackendState.DOWN, false);
    Backend spare = backend("spare", BackendState.UP, true);
    Pool pool = new Pool(List.of(a, b, spare), 1);
    assertThat(pool.available()).containsExactly(a);
    assertThat(pool.standby()).containsExactly(spare);
    assertThat(pool.backupsServe()).isFalse();
  }

  @Test
  void backupsServeWhenEveryOtherBackendIsDownDrainedOrWeightedZero() {
    Backend down = backend("down", BackendState.DOWN, false);
    Backend draining = backend("draining", BackendState.DRAINING, false);
    Backend zero = backend("zero", BackendState.UP, false);
    zero.weight(0);
    Backend spare1 = backend("spare1", BackendState.UP, true);
    Backend spare2 = backend("spare2", BackendState.UP, true);
    Backend spareDown = backend("spare3", BackendState.DOWN, true);
    Pool pool = new Pool(List.of(down, draining, zero, spare1, spare2, spareDown), 1);
    assertThat(pool.available()).containsExactly(spare1, spare2);
    assertThat(pool.standby()).isEmpty();
    assertThat(pool.backupsServe()).isTrue();
  }

  @Test
  void backupsServeWhenEveryOtherBackendIsEjectedRatherThanThePoolPanicking() {
    Backend a = backend("a", BackendState.UP, false);
    Backend b = backend("b", BackendState.UP, false);
    Backend spare = backend("spare", BackendState.UP, true);
    Pool pool = new Pool(List.of(a, b, spare), 1, ejecting(a, b), 50);
    assertThat(pool.available()).containsExactly(spare);
    assertThat(pool.panicking()).isFalse();
    assertThat(pool.backupsServe()).isTrue();
  }

  @Test
  void backupsFillInBesideTheOthersLeftWhenTooManyAreEjectedToEjectThemAll() {
    Backend a = backend("a", BackendState.UP, false);
    Backend b = backend("b", BackendState.UP, false);
    Backend c = backend("c", BackendState.UP, false);
    Backend spare = backend("spare", BackendState.UP, true);
    Backend ejectedSpare = backend("spare2", BackendState.UP, true);
    // Two of three ejected is past 50%: without backups the pool would panic and take a and b back.
    Pool pool = new Pool(List.of(a, b, c, spare, ejectedSpare), 1, ejecting(a, b, ejectedSpare), 50);
    assertThat(pool.available()).containsExactly(c, spare);
    assertThat(pool.panicking()).isFalse();
    assertThat(pool.backupsServe()).isTrue();
    assertThat(pool.standby()).isEmpty();
    // One of three is within 50%: the backups wait as before.
    Pool within = new Pool(List.of(a, b, c, spare), 1, ejecting(a), 50);
    assertThat(within.available()).containsExactly(b, c);
    assertThat(within.standby()).containsExactly(spare);
  }

  @Test
  void withoutBackupsEjectionsAndPanicAreAsBefore() {
    Backend a = backend("a", BackendState.UP, false);
    Backend b = backend("b", BackendState.UP, false);
    Backend c = backend("c", BackendState.UP, false);
    Backend d = backend("d", BackendState.UP, false);
    Pool one = new Pool(List.of(a, b, c, d), 1, ejecting(a), 50);
    assertThat(one.available()).containsExactly(b, c, d);
    assertThat(one.panicking()).isFalse();
    Pool three = new Pool(List.of(a, b, c, d), 2, ejecting(a, b, c), 50);
    assertThat(three.available()).containsExactly(a, b, c, d);
    assertThat(three.panicking()).isTrue();
    assertThat(three.standby()).isEmpty();
    assertThat(three.backupsServe()).isFalse();
  }

  @Test
  void whenBackupsAreEjectedTooThePoolPanicsOverTheOthers() {
    Backend a = backend("a", BackendState.UP, false);
    Backend b = backend("b", BackendState.UP, false);
    Backend spare = backend("spare", BackendState.UP, true);
    Pool pool = new Pool(List.of(a, b, spare), 1, ejecting(a, b, spare), 50);
    assertThat(pool.available()).containsExactly(a, b);
    assertThat(pool.panicking()).isTrue();
    assertThat(pool.backupsServe()).isFalse();
  }

  @Test
  void ejectedBackupsAreNoStandby() {
    Backend a = backend("a", BackendState.UP, false);
    Backend spare1 = backend("spare1", BackendState.UP, true);
    Backend spare2 = backend("spare2", BackendState.UP, true);
    Pool pool = new Pool(List.of(a, spare1, spare2), 1, ejecting(spare1), 50);
    assertThat(pool.available()).containsExactly(a);
    assertThat(pool.standby()).containsExactly(spare2);
  }

  @Test
  void aPoolOfBackupsAloneServesWithThem() {
    Backend spare = backend("spare", BackendState.UP, true);
    Pool pool = new Pool(List.of(spare), 1);
    assertThat(pool.available()).containsExactly(spare);
    assertThat(pool.backupsServe()).isTrue();
    assertThat(new Pool(List.of(backend("gone", BackendState.DOWN, true)), 2).available()).isEmpty();
  }

  @Test
  void upstreamRepublishesWhenABackendBecomesABackup() {
    Upstream upstream = new Upstream(io.stc.Clock.SYSTEM);
    Backend a = upstream.add("a:1", "127.0.0.1", 1, 1, BackendState.UP);
    Backend b = upstream.add("b:2", "127.0.0.1", 2, 1, BackendState.UP, BackendProtocol.HTTP1, true);
    assertThat(upstream.pool().available()).containsExactly(a);
    assertThat(upstream.setBackup(b, false)).isTrue();
    assertThat(upstream.pool().available()).containsExactly(a, b);
    assertThat(upstream.setBackup(b, false)).isFalse();
    assertThat(upstream.setBackup(a, true)).isTrue();
    assertThat(upstream.pool().available()).containsExactly(b);
    assertThat(upstream.pool().standby()).containsExactly(a);
  }
}
