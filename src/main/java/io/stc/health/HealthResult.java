package io.stc.health;

/** The outcome of one active health probe. */
public record HealthResult(long epochMillis, boolean ok, String detail) {}
