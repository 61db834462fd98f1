// How far below the oracle's lower bound any autoscaler must stay on simulate's `random` pattern,
// at simulate's defaults (capacity 2-5, 50 ms alone, max_inflight 10, 5 s start-up, 1 s interval,
// min 2, 30 minutes). Run: jshell --class-path target/stc.jar bench/random-oracle.jsh
// (RATE and SEEDS below). Computed from the pattern's rate itself, without Poisson noise.
//  - oracle: simulate's bound, each second ceil(rate x 50 ms / 3.5): instances at any
//    concurrency (at infinite latency), existing the moment they are needed;
//  - exact: each second ceil(rate / what an instance of mean capacity finishes at max_inflight),
//    the most the proxy lets it serve (10 / (50 ms x (1 + 9/c)), averaged over c = 2..5);
//  - causal +k sd: sized 6 s late (start-up + interval) for the rate then, plus k standard
//    deviations of how far the walk moves in 6 s (0.1 x rate x sqrt(6)), every instance started
//    costing its 5 s of start-up, scale-downs at once.
import io.stc.traffic.RandomWalk;

double RATE = Double.parseDouble(System.getProperty("rate", "400"));
int[] SEEDS = {1, 2, 3, 4, 5, 6};
int T = 1800;
double perInstance = 0;
for (int c = 2; c <= 5; c++) perInstance += 10 / (0.05 * (1 + 9.0 / c)) / 4;
for (int seed : SEEDS) {
  RandomWalk walk = new RandomWalk(RATE, T, seed);
  double oracle = 0, exact = 0;
  double[] causal = new double[3];
  for (int k = 0; k < 3; k++) {
    int last = 2;
    for (int t = 0; t < T; t++) {
      int need = Math.max(2, (int) Math.ceil((walk.rate(Math.max(0, t - 6) + 0.5) + k * 0.1 * RATE * Math.sqrt(6)) / perInstance));
      causal[k] += need + 5 * Math.max(0, need - last);
      last = need;
    }
  }
  for (int t = 0; t < T; t++) {
    double r = walk.rate(t + 0.5);
    oracle += Math.max(2, Math.ceil(r * 0.05 / 3.5 - 1e-9));
    exact += Math.max(2, Math.ceil(r / perInstance - 1e-9));
  }
  System.out.printf("random %.0f seed %d: exact %.2fx the oracle; causal +0 sd %.2fx, +1 sd %.2fx, +2 sd %.2fx%n",
      RATE, seed, exact / oracle, causal[0] / oracle, causal[1] / oracle, causal[2] / oracle);
}
/exit
