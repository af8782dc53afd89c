"""Benchmarks: time and peak memory per stage and per command on synthetic clusters, and the best Python peer.

    python3 benchmarks/run.py [--shapes default,dense] [--sizes 1000,10000,50000,150000] [--admin-policies 0,50]
                              [--pod-level-pods 1500] [--with-nca]

For each shape and size a cluster is generated (benchmarks/generate.py; --admin-policies applies to the
default shape) and written as YAML manifests. Two tables follow.

Stages: in a fresh process, load (read and validate the YAML), analyse (reachability), zone matrix,
evaluate PCI DSS, pack (CSVs, PDF and manifest, unsigned), each with the process's peak RSS at its end; beside
them the parse floor, reading the file and parsing it with ryaml alone (in a fresh process of its own), and load's
CPU time over the floor's; the pack's CPU time and the whole run's peak RSS (what the pack goal holds) have their
own columns.

Commands: whole processes as a user runs them, with wall time, CPU time (user + sys) and the process's
peak RSS: `segproof reachability --level workload -o json` on each cluster, and `--level pod` with
`-o json` and `-o csv` on one namespace of --pod-level-pods unisolated pods (every pod reaches every other
pod). With --with-nca, network-config-analyzer 2.1.0 is installed into its own virtual environment
(~/.cache/segproof-bench/nca) and its connectivity query is timed on the same YAML (up to --nca-max-pods);
the ratio is NCA's wall time over segproof's, both from this run (compare the CPU times when
other jobs share the machine). Each row shows its goal and whether it holds.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NCA_VERSION = "2.1.0"
NCA_VENV = Path.home() / ".cache" / "segproof-bench" / "nca"
STAGES = ("load", "analyse", "zone matrix", "evaluate PCI", "pack")


@dataclass(frozen=True)
class Goal:
    """What a row must achieve: at most `seconds` wall, at most `peak_mb`, at least `ratio` times NCA, at most
    `floor` times the parse floor's CPU time."""

    seconds: float | None = None
    peak_mb: float | None = None
    ratio: float | None = None
    floor: float | None = None

    def text(self) -> str:
        """The goal as the issue states it, e.g. `≤ 1.6 s, ≥ 100x NCA`."""
        parts = [f"≤ {self.seconds:g} s" if self.seconds is not None else "",
                 f"≤ {self.peak_mb:,.0f} MB" if self.peak_mb is not None else "",
                 f"≥ {self.ratio:g}x NCA" if self.ratio is not None else "",
                 f"≤ {self.floor:g}x parse floor" if self.floor is not None else ""]
        return ", ".join(part for part in parts if part)

    def met(self, seconds: float, peak_mb: float, ratio: float | None, of_floor: float | None = None) -> str:
        """`yes`, `no`, or `?` when a ratio it needs (to NCA, to the parse floor) was not measured."""
        if (self.ratio is not None and ratio is None) or (self.floor is not None and of_floor is None):
            return "?"
        held = ((self.seconds is None or seconds <= self.seconds) and (self.peak_mb is None or peak_mb <= self.peak_mb)
                and (self.ratio is None or (ratio is not None and ratio >= self.ratio))
                and (self.floor is None or (of_floor is not None and of_floor <= self.floor)))
        return "yes" if held else "no"


# Goals by (shape, pods) for the stages table, with the stage they bound, and by (shape, pods, command) for the
# commands table.
STAGE_GOALS = {("default", 10_000): ("load", Goal(floor=1.3)), ("dense", 10_000): ("load", Goal(floor=1.3)),
               ("default", 150_000): ("pack", Goal(seconds=15, peak_mb=1200))}
COMMAND_GOALS = {("default", 150_000, "workload, json"): Goal(seconds=8),
                 ("dense", 10_000, "workload, json"): Goal(seconds=1.6, ratio=100),
                 ("flat", 1_500, "pod, json"): Goal(seconds=15, peak_mb=500),
                 ("flat", 1_500, "pod, csv"): Goal(seconds=8, peak_mb=300)}


@dataclass(frozen=True)
class Run:
    """One whole process: wall and CPU seconds, peak RSS, and the size of what it wrote."""

    wall: float
    cpu: float
    peak_mb: float
    output_mb: float


def run_process(command: list[str], output: Path) -> Run:
    """Run `command` with stdout to `output` (stderr beside it), measuring that process alone (its own rusage,
    from wait4)."""
    errors = output.with_name(output.name + ".stderr")
    with output.open("wb") as handle, errors.open("wb") as error_handle:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=handle, stderr=error_handle, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}: {errors.read_text()[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output.stat().st_size / 1e6)


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB: VmHWM, which belongs to this program alone (rusage's
    maxrss starts from the parent's at fork and survives exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(stage: str, started: float, started_cpu: float) -> None:
    """Print one stage's JSON line: wall and CPU seconds since the start, and the peak RSS so far."""
    print(json.dumps({"stage": stage, "seconds": time.perf_counter() - started,
                      "cpu": time.process_time() - started_cpu, "peak_mb": peak_mb()}), flush=True)


def floor_child(manifests: str) -> None:
    """The parse floor in this process: reading the file and parsing it with ryaml, nothing else (collector tuned as
    for the stages)."""
    import ryaml

    sys.path.insert(0, str(ROOT))
    from compliance.cli.main import COLLECTOR_THRESHOLDS

    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    started, started_cpu = time.perf_counter(), time.process_time()
    ryaml.loads_all(Path(manifests).read_text(encoding="utf-8"))
    report("parse floor", started, started_cpu)


def child(manifests: str, out: str) -> None:
    """Run the stages in this process (collector tuned as the CLI tunes it), printing one JSON line per stage."""
    sys.path.insert(0, str(ROOT))
    from compliance.cli.main import COLLECTOR_THRESHOLDS
    from compliance.sources.manifests import load_manifests

    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    started, started_cpu = time.perf_counter(), time.process_time()
    snapshot = load_manifests([manifests], "2026-09-30T12:00:00Z")
    report("load", started, started_cpu)
    from compliance.analysis.system import AssessedSystem
    from compliance.netpol.options import AnalysisOptions
    from compliance.scope import parse_scope
    scope_path = ROOT / "benchmarks" / "scope.yaml"
    scope = parse_scope(scope_path.read_text(), str(scope_path))
    system = AssessedSystem(snapshot, scope, AnalysisOptions(), datetime.date(2026, 9, 30))
    started, started_cpu = time.perf_counter(), time.process_time()
    _ = system.reach
    report("analyse", started, started_cpu)
    started, started_cpu = time.perf_counter(), time.process_time()
    _ = system.matrix
    report("zone matrix", started, started_cpu)
    from compliance.controls import evaluate_controls, load_framework
    started, started_cpu = time.perf_counter(), time.process_time()
    assessment = evaluate_controls(system, [load_framework("pci-dss-4.0.1")])
    report("evaluate PCI", started, started_cpu)
    started, started_cpu = time.perf_counter(), time.process_time()
    from compliance.workflows.publish import PackRequest, publish
    publish(system, assessment, PackRequest(scope_path.read_text(), "2026-09-30T12:00:00Z", ("pci-dss-4.0.1",)), out)
    report("pack", started, started_cpu)


@dataclass(frozen=True)
class Cluster:
    """A generated cluster written as YAML: its shape, counts and file."""

    shape: str
    pods: int
    namespaces: int
    policies: int
    admin_policies: int
    manifests: Path


def write_cluster(shape: str, pods: int, admin_policies: int, scratch: Path) -> Cluster:
    """Generate a cluster of `shape` and write its manifests as one YAML List, in a child process: this one stays
    small, so that the processes it measures do not start from its peak memory (maxrss is inherited at fork)."""
    process = subprocess.run([sys.executable, __file__, "--write-cluster", shape, str(pods), str(admin_policies),
                              str(scratch)], capture_output=True, text=True, cwd=ROOT, check=True)
    fields = json.loads(process.stdout)
    return Cluster(shape, pods, fields["namespaces"], fields["policies"], admin_policies, Path(fields["manifests"]))


def write_cluster_here(shape: str, pods: int, admin_policies: int, scratch: Path) -> None:
    """The child of `write_cluster`: generate and write the cluster, printing its counts and file as JSON."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from benchmarks.generate import SHAPES, generate

    cluster = generate(pods, admin_policies=admin_policies) if admin_policies else SHAPES[shape](pods, 1)
    manifests = scratch / f"cluster-{shape}-{pods}-{admin_policies}.yaml"
    manifests.write_text(yaml.dump({"apiVersion": "v1", "kind": "List", "items": cluster.manifests},
                                   Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False))
    namespaces = sum(1 for o in cluster.manifests if o["kind"] == "Namespace")
    print(json.dumps({"namespaces": namespaces, "policies": cluster.policies, "manifests": str(manifests)}))


def stages(cluster: Cluster, scratch: Path) -> dict[str, dict]:
    """The stage records of one cluster, from a fresh process, and the parse floor's, from another."""
    records: dict[str, dict] = {}
    for arguments in (["--floor", str(cluster.manifests)],
                      ["--child", str(cluster.manifests), str(scratch / f"pack-{cluster.manifests.stem}")]):
        process = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True, cwd=ROOT)
        if process.returncode != 0:
            print(process.stderr, file=sys.stderr)
        records.update((record["stage"], record) for record in map(json.loads, process.stdout.splitlines()))
    return records


def reachability(cluster: Cluster, level: str, output: str, scratch: Path) -> Run:
    """The whole `segproof reachability` process on the cluster."""
    return run_process([sys.executable, "-m", "compliance.cli", "reachability", "--manifests", str(cluster.manifests),
                        "--level", level, "-o", output, "-q"], scratch / f"{cluster.manifests.stem}-{level}.{output}")


def nca(manifests: Path, scratch: Path) -> Run:
    """NCA's connectivity query on the manifests (installing NCA first if needed)."""
    executable = NCA_VENV / "bin" / "nca"
    if not executable.exists():
        subprocess.run([sys.executable, "-m", "venv", str(NCA_VENV)], check=True)
        subprocess.run([str(NCA_VENV / "bin" / "pip"), "install", "-q", f"network-config-analyzer=={NCA_VERSION}"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return run_process([str(executable), "--connectivity", str(manifests), "--resource_list", str(manifests),
                        "--output_format", "txt", "--file_out", str(scratch / f"{manifests.stem}-nca.txt")],
                       scratch / f"{manifests.stem}-nca.log")


def of_floor(records: dict[str, dict]) -> float | None:
    """Load's CPU time over the parse floor's, when both were measured."""
    if "load" not in records or "parse floor" not in records:
        return None
    return records["load"]["cpu"] / records["parse floor"]["cpu"]


def stage_row(cluster: Cluster, records: dict[str, dict]) -> str:
    """One row of the stages table."""
    cells = [f"{records[s]['seconds']:.2f} ({records[s]['peak_mb']:,.0f})" if s in records else "n/a" for s in STAGES]
    floor = f"{records['parse floor']['seconds']:.2f}" if "parse floor" in records else "n/a"
    ratio = of_floor(records)
    stage, goal = STAGE_GOALS.get((cluster.shape, cluster.pods), ("", None))
    goal_cells = "| |"
    if goal and stage in records:  # the peak RSS at a stage's end is the process's peak up to it
        verdict = goal.met(records[stage]["seconds"], records[stage]["peak_mb"], None, ratio)
        goal_cells = f"{stage} {goal.text()} | {verdict} |"
    pack_cpu = f"{records['pack']['cpu']:.2f}" if "pack" in records else "n/a"
    run_peak = f"{max(r['peak_mb'] for r in records.values()):,.0f}" if records else "n/a"
    return (f"| {cluster.shape} | {cluster.pods:,} | {cluster.namespaces:,} | {cluster.policies:,} | "
            f"{cluster.admin_policies} | {floor} | {f'{ratio:.2f}x' if ratio else 'n/a'} | " + " | ".join(cells)
            + f" | {pack_cpu} | {run_peak} | {goal_cells}")


def command_row(cluster: Cluster, command: str, run: Run, peer: Run | None) -> str:
    """One row of the commands table."""
    ratio = peer.wall / run.wall if peer else None
    goal = COMMAND_GOALS.get((cluster.shape, cluster.pods, command))
    peer_cells = f"{peer.wall:.1f} | {peer.cpu:.1f} | {peer.peak_mb:,.0f} | {ratio:.0f}x" if peer else "| | |"
    return (f"| {cluster.shape} | {cluster.pods:,} | {command} | {run.output_mb:,.1f} | {run.wall:.2f} | "
            f"{run.cpu:.2f} | {run.peak_mb:,.0f} | {peer_cells} | {goal.text() if goal else ''} | "
            f"{goal.met(run.wall, run.peak_mb, ratio) if goal else ''} |")


def main() -> None:
    """Print the two results tables (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="default,dense", help="cluster shapes (benchmarks/generate.py)")
    parser.add_argument("--sizes", default="1000,10000,50000,150000", help="pods per cluster")
    parser.add_argument("--admin-policies", default="0", help="counts of admin policies to add, e.g. 0,50 "
                                                              "(default shape)")
    parser.add_argument("--pod-level-pods", type=int, default=1500,
                        help="pods of the unisolated namespace the pod-level rows run on (0: no such rows)")
    parser.add_argument("--with-nca", action="store_true")
    parser.add_argument("--nca-max-pods", type=int, default=10_000,
                        help="largest size NCA is timed at (it grows about as namespaces^2.35)")
    parser.add_argument("--child", nargs=2, metavar=("MANIFESTS", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--write-cluster", nargs=4, metavar=("SHAPE", "PODS", "ADMIN", "SCRATCH"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--floor", metavar="MANIFESTS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.write_cluster:
        shape, pods, admin, scratch = args.write_cluster
        write_cluster_here(shape, int(pods), int(admin), Path(scratch))
        return
    if args.floor:
        floor_child(args.floor)
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    admin_counts = [int(count) for count in args.admin_policies.split(",")]
    cases = [(shape, pods, admin) for shape in args.shapes.split(",") for pods in sizes
             for admin in (admin_counts if shape == "default" else [0])]
    commands: list[str] = []
    print(f"segproof benchmarks, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| shape | pods | namespaces | policies | admin policies | parse floor s | load CPU / floor CPU | " +
          " | ".join(f"{stage} s (peak MB)" for stage in STAGES) + " | pack CPU s | run peak MB | goal | met |")
    print("|---|---:|---:|---:|---:|---:|---:|" + "---:|" * (len(STAGES) + 2) + "---|---|")
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        for shape, pods, admin in cases:
            cluster = write_cluster(shape, pods, admin, scratch)
            print(stage_row(cluster, stages(cluster, scratch)), flush=True)
            run = reachability(cluster, "workload", "json", scratch)
            timed_peer = args.with_nca and pods <= args.nca_max_pods and not admin
            peer = nca(cluster.manifests, scratch) if timed_peer else None
            commands.append(command_row(cluster, "workload, json", run, peer))
            (scratch / f"{cluster.manifests.stem}-workload.json").unlink()
        if args.pod_level_pods:
            cluster = write_cluster("flat", args.pod_level_pods, 0, scratch)
            for output in ("json", "csv"):
                commands.append(command_row(cluster, f"pod, {output}", reachability(cluster, "pod", output, scratch),
                                            None))
        print("\n| shape | pods | level, output | output MB | wall s | CPU s | peak MB | "
              "NCA wall s | NCA CPU s | NCA peak MB | ratio | goal | met |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        print("\n".join(commands))


if __name__ == "__main__":
    main()
