"""Reading git: the policy manifests at a revision, their history, and remote repositories fetched into a cache."""
