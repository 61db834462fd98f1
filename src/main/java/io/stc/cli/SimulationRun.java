package io.stc.cli;

import io.stc.traffic.SimulationResult;

/** One policy's simulation result and the wall-clock seconds it took to compute. */
record SimulationRun(SimulationResult result, double wallSeconds) {
  /** The policy's config name. */
  String policy() {
    return result.options().policy().configName();
  }
}
