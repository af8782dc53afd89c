"""Collection benchmark: `segproof collect` against the in-process Kubernetes API test server.

    python3 benchmarks/collect.py [--pods 20000]

Prints a markdown table row: pods, namespaces, wall time of the whole `segproof collect` process
(client side: start-up, paginated lists over HTTPS, parsing, writing the snapshot) and its peak RSS.
The server runs in this process, so the time includes the transfer from a real HTTPS endpoint.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from tests.support.kube_api_server import KubeApiServer  # noqa: E402


def measure(pods: int) -> tuple[int, int, float, float]:
    """(pods, namespaces, seconds, peak MB) of one collection."""
    cluster = generate(pods)
    namespaces = sum(1 for o in cluster.live if o["kind"] == "Namespace")
    with KubeApiServer(cluster.live, token="bench") as server, tempfile.TemporaryDirectory() as scratch:
        kubeconfig = server.write_kubeconfig(Path(scratch) / "kubeconfig")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "compliance.cli", "collect", "--kubeconfig", str(kubeconfig),
                        "--out", str(Path(scratch) / "snapshot.json"), "-q"], check=True, cwd=ROOT)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return cluster.pods, namespaces, seconds, peak


def main() -> None:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=20_000)
    args = parser.parse_args()
    pods, namespaces, seconds, peak = measure(args.pods)
    print("| stage | pods | namespaces | wall s | peak MB |")
    print("|---|---:|---:|---:|---:|")
    print(f"| collect (API, paginated 500) | {pods:,} | {namespaces:,} | {seconds:.2f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
