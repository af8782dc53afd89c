"""Benchmarks: wall time and peak memory per stage on synthetic clusters, and the best Python peer.

    python3 benchmarks/run.py [--sizes 1000,10000,50000,150000] [--admin-policies 0,50] [--with-nca]

Each size runs in a fresh process: the cluster is generated (benchmarks/generate.py) and written as
YAML manifests (with each count of --admin-policies cluster-scoped admin policies added), then timed stage by
stage: load (read and validate the YAML), analyse (reachability),
zone matrix, evaluate PCI DSS, pack (CSVs, PDF and manifest, unsigned). Peak memory is the process's
peak RSS at the end of each stage. The `reachability` row times the whole `segproof reachability`
process as a user runs it. With --with-nca, network-config-analyzer 2.1.0 is installed into its own
virtual environment (~/.cache/segproof-bench/nca) and its connectivity query is timed on the same
YAML (up to --nca-max-pods); the table shows the ratio measured in this run.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NCA_VERSION = "2.1.0"
NCA_VENV = Path.home() / ".cache" / "segproof-bench" / "nca"
STAGES = ("load", "analyse", "zone matrix", "evaluate PCI", "pack")


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(pods: int, manifests: str, out: str) -> None:
    """Run the stages in this process (collector tuned as the CLI tunes it), printing one JSON line per stage."""
    sys.path.insert(0, str(ROOT))
    from compliance.cli.main import COLLECTOR_THRESHOLDS

    gc.set_threshold(*COLLECTOR_THRESHOLDS)

    def report(stage: str, started: float) -> None:
        print(json.dumps({"stage": stage, "seconds": time.perf_counter() - started, "peak_mb": peak_mb()}),
              flush=True)

    started = time.perf_counter()
    from compliance.sources.manifests import load_manifests
    snapshot = load_manifests([manifests], "2026-09-30T12:00:00Z")
    report("load", started)
    from compliance.analysis.system import AssessedSystem
    from compliance.netpol.options import AnalysisOptions
    from compliance.scope import parse_scope
    scope_path = ROOT / "benchmarks" / "scope.yaml"
    scope = parse_scope(scope_path.read_text(), str(scope_path))
    system = AssessedSystem(snapshot, scope, AnalysisOptions(), datetime.date(2026, 9, 30))
    started = time.perf_counter()
    _ = system.reach
    report("analyse", started)
    started = time.perf_counter()
    _ = system.matrix
    report("zone matrix", started)
    from compliance.controls import evaluate_controls, load_framework
    started = time.perf_counter()
    assessment = evaluate_controls(system, [load_framework("pci-dss-4.0.1")])
    report("evaluate PCI", started)
    started = time.perf_counter()
    from compliance.workflows.publish import PackRequest, publish
    publish(system, assessment, PackRequest(scope_path.read_text(), "2026-09-30T12:00:00Z", ("pci-dss-4.0.1",)), out)
    report("pack", started)


def measure(pods: int, admin_policies: int, scratch: Path) -> tuple[dict[str, dict], float, str, int]:
    """Stage timings of one size, the `segproof reachability` process time, the manifests path and policy count."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from benchmarks.generate import generate

    cluster = generate(pods, admin_policies=admin_policies)
    manifests = scratch / f"cluster-{pods}-{admin_policies}.yaml"
    manifests.write_text(yaml.dump({"apiVersion": "v1", "kind": "List", "items": cluster.manifests},
                                   Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False))
    process = subprocess.run([sys.executable, __file__, "--child", str(pods), str(manifests),
                              str(scratch / f"pack-{pods}-{admin_policies}")], capture_output=True, text=True, cwd=ROOT)
    stages = {}
    for line in process.stdout.splitlines():
        record = json.loads(line)
        stages[record["stage"]] = record
    if process.returncode != 0:
        print(process.stderr, file=sys.stderr)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "compliance.cli", "reachability", "--manifests", str(manifests),
                    "-o", "json", "-q"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return stages, time.perf_counter() - started, str(manifests), cluster.policies


def nca_seconds(manifests: str) -> float:
    """Wall time of NCA's connectivity query on the manifests (installing NCA first if needed)."""
    nca = NCA_VENV / "bin" / "nca"
    if not nca.exists():
        subprocess.run([sys.executable, "-m", "venv", str(NCA_VENV)], check=True)
        subprocess.run([str(NCA_VENV / "bin" / "pip"), "install", "-q", f"network-config-analyzer=={NCA_VERSION}"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        subprocess.run([str(nca), "--connectivity", manifests, "--resource_list", manifests, "--output_format",
                        "txt", "--file_out", str(Path(scratch) / "out.txt")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started


def main() -> None:
    """Print the results table (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000,150000")
    parser.add_argument("--admin-policies", default="0", help="counts of admin policies to add, e.g. 0,50")
    parser.add_argument("--with-nca", action="store_true")
    parser.add_argument("--nca-max-pods", type=int, default=10_000,
                        help="largest size NCA is timed at (it grows about as namespaces^2.35)")
    parser.add_argument("--child", nargs=3, metavar=("PODS", "MANIFESTS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1], args.child[2])
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    admin_counts = [int(count) for count in args.admin_policies.split(",")]
    print(f"segproof benchmarks, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| pods | policies | admin policies | " + " | ".join(f"{stage} s (peak MB)" for stage in STAGES) +
          " | `segproof reachability` s |" + (" NCA s | ratio |" if args.with_nca else ""))
    print("|---:|---:|---:|" + "---:|" * len(STAGES) + "---:|" + ("---:|---:|" if args.with_nca else ""))
    with tempfile.TemporaryDirectory() as scratch:
        for pods, admin in ((pods, admin) for pods in sizes for admin in admin_counts):
            stages, whole, manifests, policies = measure(pods, admin, Path(scratch))
            cells = [f"{stages[s]['seconds']:.2f} ({stages[s]['peak_mb']:,.0f})" if s in stages else "n/a"
                     for s in STAGES]
            row = f"| {pods:,} | {policies:,} | {admin} | " + " | ".join(cells) + f" | {whole:.2f} |"
            if args.with_nca and pods <= args.nca_max_pods and not admin:
                nca = nca_seconds(manifests)
                row += f" {nca:.1f} | {nca / whole:.0f}x |"
            elif args.with_nca:
                row += " not run | |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
