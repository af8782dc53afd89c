"""The NetworkPolicy semantics engine: pure functions from a snapshot's objects to reachability."""
