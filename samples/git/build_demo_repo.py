"""Build the demo policy repository: the sample cluster's NetworkPolicies with a story told in git history.

    python3 samples/git/build_demo_repo.py OUTDIR

The policies come from samples/cluster/*.yaml. Names, emails, dates and the order of commits are fixed and
git runs without the user's configuration, so two builds give the same commit ids. See README.md here
for what each commit does.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

CLUSTER = Path(__file__).resolve().parent.parent / "cluster"
POLICIES = "clusters/prod/policies"

ALICE = ("Alice Ng", "alice@acme-payments.example")
BOB = ("Bob Okafor", "bob@acme-payments.example")
CAROL = ("Carol Diaz", "carol@acme-payments.example")
DAVE = ("Dave Ruiz", "dave@acme-payments.example")
ERIN = ("Erin Park", "erin@acme-payments.example")
GRACE = ("Grace Liu", "grace@acme-payments.example")
GITHUB = ("GitHub", "noreply@github.com")

README = """# acme-payments/netpol

NetworkPolicies of the prod cluster, one file per policy under clusters/prod/policies/<namespace>/.
Changes go through pull requests reviewed by security (Carol Diaz).
"""


def sample_policies() -> dict[tuple[str, str], dict[str, Any]]:
    """The sample cluster's NetworkPolicies by (namespace, name)."""
    found = {}
    for file in sorted(CLUSTER.glob("*.yaml")):
        for document in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            if isinstance(document, dict) and document.get("kind") == "NetworkPolicy":
                found[(document["metadata"]["namespace"], document["metadata"]["name"])] = document
    return found


def policy_path(namespace: str, name: str) -> str:
    """Where one policy lives in the repository."""
    return f"{POLICIES}/{namespace}/{name}.yaml"


class DemoRepository:
    """A git repository written with fixed identities and dates, isolated from the user's git configuration."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "LC_ALL": "C",
                         "TZ": "UTC", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        self.git("init", "-q", "-b", "main")

    def git(self, *arguments: str, author: tuple[str, str] = ALICE, committer: tuple[str, str] | None = None,
            when: str = "2026-01-01T00:00:00+00:00") -> str:
        """Run git with the given author, committer (default: the author) and date."""
        committer = committer or author
        env = {**self.base_env, "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": when,
               "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1], "GIT_COMMITTER_DATE": when}
        result = subprocess.run(["git", *arguments], cwd=self.root, env=env, check=True, capture_output=True,
                                text=True)
        return result.stdout.strip()

    def write(self, path: str, *documents: dict[str, Any]) -> None:
        """Write one or more YAML documents to a file and stage it."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump_all(documents, sort_keys=False, explicit_start=len(documents) > 1),
                          encoding="utf-8")
        self.git("add", path)

    def commit(self, message: str, author: tuple[str, str], when: str, committer: tuple[str, str] | None = None) -> str:
        """Commit what is staged; the new commit id."""
        self.git("commit", "-q", "-m", message, author=author, committer=committer, when=when)
        return self.git("rev-parse", "HEAD")

    def pull_request(self, number: int, branch: str, commits: list[tuple[str, tuple[str, str], str, Any]],
                     merger: tuple[str, str], when: str, title: str) -> str:
        """A branch of commits (message, author, date, function staging the change) merged as GitHub does."""
        self.git("checkout", "-q", "-b", branch)
        for message, author, date, stage in commits:
            stage()
            self.commit(message, author, date)
        self.git("checkout", "-q", "main")
        self.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{number} from acme/{branch}\n\n{title}", branch,
                 author=merger, committer=GITHUB, when=when)
        self.git("branch", "-q", "-D", branch)
        return self.git("rev-parse", "HEAD")


def build(root: Path) -> str:
    """Build the demo repository in `root` (empty or absent); the HEAD commit id."""
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise SystemExit(f"{root}: not empty")
    policies = sample_policies()
    repo = DemoRepository(root)

    (root / "README.md").write_text(README, encoding="utf-8")
    repo.git("add", "README.md")
    repo.commit("Initial commit", ALICE, "2026-01-05T09:00:00+01:00")

    later = {("payments", "tokenizer-ingress"), ("marketing", "allow-prometheus-scrape"),
             ("api-gateway", "allow-partner-webhooks")}
    monitoring = sorted(key for key in policies if key[0] == "monitoring")
    card_vault = copy.deepcopy(policies[("payments", "card-vault-ingress")])
    for rule in card_vault["spec"]["ingress"]:
        for port in rule["ports"]:
            del port["protocol"]

    def baseline() -> None:
        for key in sorted(policies):
            if key in later or key[0] == "monitoring" or key == ("kube-system", "coredns"):
                continue
            repo.write(policy_path(*key), card_vault if key == ("payments", "card-vault-ingress") else policies[key])
        repo.write(f"{POLICIES}/monitoring/policies.yaml", *(policies[key] for key in monitoring))
        repo.write(f"{POLICIES}/kube-system/dns.yaml", policies[("kube-system", "coredns")])

    repo.pull_request(1, "baseline", [("Add baseline NetworkPolicies for prod", ALICE, "2026-01-06T10:00:00+01:00",
                                       baseline)],
                      CAROL, "2026-01-07T15:00:00+01:00", "Baseline NetworkPolicies for prod")

    tokenizer = policies[("payments", "tokenizer-ingress")]
    tokenizer_first = copy.deepcopy(tokenizer)
    tokenizer_first["spec"]["ingress"] = tokenizer_first["spec"]["ingress"][:1]
    repo.pull_request(12, "tokenizer-ingress", [
        ("Allow payments-api to call the tokenizer", BOB, "2026-01-19T11:00:00+01:00",
         lambda: repo.write(policy_path("payments", "tokenizer-ingress"), tokenizer_first))],
        CAROL, "2026-01-20T09:30:00+01:00", "Tokenizer ingress from payments-api only")

    repo.write(policy_path("marketing", "allow-prometheus-scrape"), policies[("marketing", "allow-prometheus-scrape")])
    repo.commit("Let Prometheus scrape marketing workloads (#14)", ERIN, "2026-02-03T14:00:00+01:00", GITHUB)

    repo.write(policy_path("payments", "tokenizer-ingress"), tokenizer)
    repo.commit("Let the re-tokenization job reach the tokenizer (PAY-1432)\n\n"
                "Temporary, for the vault migration: the batch job runs in another namespace.\n\n"
                "Reviewed-by: Carol Diaz <carol@acme-payments.example>", BOB, "2026-02-10T17:45:00+01:00")

    webhooks = ("api-gateway", "allow-partner-webhooks")
    repo.write(policy_path(*webhooks), policies[webhooks])
    repo.commit("Allow partner webhooks from the gateway\n\n"
                "Partners stopped receiving webhooks; opening egress until we have their address ranges.\n\n"
                "Reviewed-by: Dave Ruiz <dave@acme-payments.example>", DAVE, "2026-02-12T22:10:00+01:00")

    dns = copy.deepcopy(policies[("checkout", "allow-dns-egress")])
    dns["spec"]["egress"][0]["ports"] = [p for p in dns["spec"]["egress"][0]["ports"] if p["protocol"] == "UDP"]
    repo.write(policy_path("checkout", "allow-dns-egress"), dns)
    restricted = repo.commit("Restrict checkout DNS egress to UDP (#18)", BOB, "2026-02-17T10:00:00+01:00", GITHUB)

    repo.git("revert", "--no-commit", restricted)
    repo.commit(f'Revert "Restrict checkout DNS egress to UDP (#18)"\n\nThis reverts commit {restricted}.\n\n'
                "Large DNS answers fall back to TCP; checkout lookups failed.\n\n"
                "Approved-by: Carol Diaz <carol@acme-payments.example>", ALICE, "2026-02-18T08:15:00+01:00")

    def rename() -> None:
        repo.git("mv", f"{POLICIES}/kube-system/dns.yaml", policy_path("kube-system", "coredns"))

    def split() -> None:
        repo.git("rm", "-q", f"{POLICIES}/monitoring/policies.yaml")
        for key in monitoring:
            repo.write(policy_path(*key), policies[key])

    repo.pull_request(21, "tidy-layout", [
        ("Rename kube-system/dns.yaml to coredns.yaml", ALICE, "2026-03-02T09:00:00+01:00", rename),
        ("Split the monitoring policies into one file each", ALICE, "2026-03-02T09:20:00+01:00", split)],
        CAROL, "2026-03-03T10:00:00+01:00", "One file per policy")

    deny = copy.deepcopy(policies[("marketing", "default-deny")])
    deny["spec"]["policyTypes"] = ["Ingress", "Egress"]
    repo.pull_request(23, "marketing-egress", [
        ("Default-deny egress in marketing", ERIN, "2026-03-09T13:00:00+01:00",
         lambda: repo.write(policy_path("marketing", "default-deny"), deny))],
        CAROL, "2026-03-10T09:00:00+01:00", "Marketing egress default deny")

    repo.git("rm", "-q", policy_path("checkout", "allow-legacy-frontend"))
    repo.commit("Remove dead allow-legacy-frontend rule (#25)", ALICE, "2026-03-16T11:00:00+01:00", GITHUB)

    analytics = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "default-deny-all", "namespace": "analytics"},
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    return repo.pull_request(27, "analytics-default-deny", [
        ("Default deny for analytics", GRACE, "2026-03-23T15:00:00+01:00",
         lambda: repo.write(policy_path("analytics", "default-deny-all"), analytics))],
        CAROL, "2026-03-24T09:00:00+01:00", "Analytics default deny")


def main() -> None:
    """Command line: build the repository in OUTDIR."""
    if len(sys.argv) != 2:
        raise SystemExit("usage: python3 samples/git/build_demo_repo.py OUTDIR")
    head = build(Path(sys.argv[1]))
    print(f"{sys.argv[1]}: demo policy repository, HEAD {head}")


if __name__ == "__main__":
    main()
