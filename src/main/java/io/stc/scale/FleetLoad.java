package io.stc.scale;

/**
 * The load that the other stc replicas of a fleet put on the same instances, so that the one
 * replica that scales decides on the whole fleet's demand rather than its own share. Numbers may
 * be a few seconds old; implementations must be thread-safe.
 */
public interface FleetLoad {
  /** A single stc: nobody else sends requests to its instances. */
  FleetLoad NONE = new FleetLoad() {
    @Override
    public int inFlight() {
      return 0;
    }

    @Override
    public int queueDepth() {
      return 0;
    }

    @Override
    public int load(String instance) {
      return 0;
    }
  };

  /** Requests the other replicas have in flight at instances. */
  int inFlight();

  /** Requests waiting in the other replicas' queues for an instance. */
  int queueDepth();

  /** What the other replicas have on one instance (by name): requests in flight plus sticky sessions. */
  int load(String instance);
}
