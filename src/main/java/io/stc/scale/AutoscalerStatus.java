package io.stc.scale;

/**
 * The autoscaler at a glance.
 *
 * @param current instances counted: ready plus pending
 * @param desired what the policy wanted at the last decision, within [min, max]
 * @param pending instances started but not yet in rotation
 * @param draining instances on their way out, finishing their requests
 * @param lastEvent the latest event, or null before the first
 */
public record AutoscalerStatus(
    String policy, int min, int max, int current, int desired, int pending, int draining, ScaleEvent lastEvent) {}
