"""Which live cluster to read, and how long to wait for it: the values the command line and run configuration
give, kept apart from the client so that naming a cluster loads nothing of it."""

from __future__ import annotations

from dataclasses import dataclass

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
REQUEST_TIMEOUT = 120  # seconds: the API server's own limit on a request (60 s), and room for retries
COLLECT_TIMEOUT = 900  # seconds: many times what the largest clusters take


@dataclass(frozen=True)
class Timeouts:
    """Wall-clock bounds in seconds: one request (its retries and its body), and the whole collection."""

    request: float = REQUEST_TIMEOUT
    collection: float = COLLECT_TIMEOUT


@dataclass(frozen=True)
class ClusterTarget:
    """Which cluster to read, how to authenticate, and how long to wait for it.

    in_cluster None means: the pod's service account when running in a pod, else the kubeconfig.
    """

    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool | None = None
    namespaces: tuple[str, ...] = ()
    service_account_dir: str = SERVICE_ACCOUNT_DIR
    timeouts: Timeouts = Timeouts()
