"""Frozen dataclasses for the cluster state segproof analyses."""
