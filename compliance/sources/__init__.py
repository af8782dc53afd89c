"""Where cluster state comes from: manifests, a live cluster, a snapshot file, git."""
