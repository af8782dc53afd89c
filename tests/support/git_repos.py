"""Real git repositories for tests: commits with fixed identities and dates, merges, and GPG signing keys."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from compliance.scope import ChangeApproval

ROOT = Path(__file__).resolve().parents[2]
DEMO_SCRIPT = ROOT / "samples" / "git" / "build_demo_repo.py"
ALICE = ("Alice Ng", "alice@example.com")
BOB = ("Bob Okafor", "bob@example.com")
GITHUB = ("GitHub", "noreply@github.com")
RULE = ChangeApproval()


def netpol(ref: str, spec: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A NetworkPolicy manifest; ref is `ns/name`; deny-all ingress unless `spec` says otherwise."""
    namespace, name = ref.split("/")
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace, **extra},
            "spec": spec if spec is not None else {"podSelector": {}}}


def admin_policy(name: str, spec: dict[str, Any], kind: str = "AdminNetworkPolicy", **extra: Any) -> dict[str, Any]:
    """A cluster-scoped policy manifest: AdminNetworkPolicy or BaselineAdminNetworkPolicy (v1alpha1), or
    ClusterNetworkPolicy (v1alpha2)."""
    version = "v1alpha2" if kind == "ClusterNetworkPolicy" else "v1alpha1"
    return {"apiVersion": f"policy.networking.k8s.io/{version}", "kind": kind, "metadata": {"name": name, **extra},
            "spec": spec}


def namespaces_named(*names: str) -> dict[str, Any]:
    """A selector of namespaces by name."""
    return {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(names)}]}


def guard(target: str, source: str, action: str = "Deny", priority: int | None = 10) -> dict[str, Any]:
    """A cluster policy's spec: ingress into namespace `target` from namespace `source` gets `action` (priority
    None for a BaselineAdminNetworkPolicy, which has none)."""
    spec = {"subject": {"namespaces": namespaces_named(target)},
            "ingress": [{"name": f"{action.lower()}-{source}", "action": action,
                         "from": [{"namespaces": namespaces_named(source)}]}]}
    return spec if priority is None else {"priority": priority, **spec}


# The BaselineAdminNetworkPolicy (a singleton named default): ingress into pay from shop is denied.
BASELINE = admin_policy("default", guard("pay", "shop", priority=None), kind="BaselineAdminNetworkPolicy")


def ingress_on(app: str, port: int, source: str) -> dict[str, Any]:
    """Spec: pods `app` accept TCP `port` from pods `app=source` of the namespace."""
    return {"podSelector": {"matchLabels": {"app": app}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": source}}}], "ports": [{"port": port}]}]}


class GitRepo:
    """A repository in a directory, written by git with fixed identities and dates and no user configuration."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "LC_ALL": "C",
                    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        if "GNUPGHOME" in os.environ:
            self.env["GNUPGHOME"] = os.environ["GNUPGHOME"]
        self.git("init", "-q", "-b", "main")

    @property
    def path(self) -> str:
        """The repository's directory as a string."""
        return str(self.root)

    def git(self, *arguments: str, author: tuple[str, str] = ALICE, committer: tuple[str, str] | None = None,
            when: str = "2026-01-01T12:00:00+00:00") -> str:
        """Run git as `author` (committing as `committer`, default the author) at `when`; its output."""
        committer = committer or author
        env = {**self.env, "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": when,
               "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1], "GIT_COMMITTER_DATE": when}
        return subprocess.run(["git", *arguments], cwd=self.root, env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    def write(self, path: str, *documents: dict[str, Any], text: str | None = None) -> None:
        """Write YAML documents (or raw text) to a file and stage it."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text if text is not None else yaml.safe_dump_all(documents, sort_keys=False),
                          encoding="utf-8")
        self.git("add", path)

    def commit(self, message: str, author: tuple[str, str] = ALICE, when: str = "2026-01-01T12:00:00+00:00",
               committer: tuple[str, str] | None = None, signing_key: str | None = None) -> str:
        """Commit what is staged (signed with `signing_key` when given); the commit id."""
        signing = ["-c", f"user.signingkey={signing_key}", "-c", "gpg.program=gpg"] if signing_key else []
        self.git(*signing, "commit", "-q", "--allow-empty", *(["-S"] if signing_key else []), "-m", message,
                 author=author, committer=committer, when=when)
        return self.git("rev-parse", "HEAD")

    def commit_stamped(self, message: str, stamp: str) -> str:
        """Commit what is staged on top of HEAD, written as a raw object with author and committer time `stamp`
        (`<seconds> <+hhmm>`, as git stores it): any time git accepts, also ones `git commit` would rewrite."""
        identity = f"{ALICE[0]} <{ALICE[1]}> {stamp}"
        raw = self.root / ".git" / "raw-commit"
        raw.write_text(f"tree {self.git('write-tree')}\nparent {self.git('rev-parse', 'HEAD')}\n"
                       f"author {identity}\ncommitter {identity}\n\n{message}\n", encoding="utf-8")
        commit = self.git("hash-object", "-t", "commit", "-w", str(raw))
        self.git("update-ref", "HEAD", commit)
        return commit

    @contextmanager
    def branch(self, name: str) -> Iterator[None]:
        """Work on a new branch, then go back to main."""
        self.git("checkout", "-q", "-b", name)
        yield
        self.git("checkout", "-q", "main")

    def merge(self, branch: str, message: str, when: str, author: tuple[str, str] = BOB) -> str:
        """Merge a branch into main with a merge commit (as a hosting platform does); the commit id."""
        self.git("merge", "-q", "--no-ff", "-m", message, branch, author=author, committer=GITHUB, when=when)
        return self.git("rev-parse", "HEAD")


def make_signing_key() -> str:
    """A throwaway ed25519 signing key in $GNUPGHOME; its fingerprint."""
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Test Signer <signer@example.com>",
                    "ed25519", "sign", "never"], check=True, capture_output=True)
    listing = subprocess.run(["gpg", "--list-secret-keys", "--with-colons"], check=True, capture_output=True,
                             text=True).stdout
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def build_demo(target: Path) -> str:
    """Build the demo policy repository with samples/git/build_demo_repo.py; the HEAD commit id it printed."""
    result = subprocess.run([sys.executable, str(DEMO_SCRIPT), str(target)], check=True, capture_output=True,
                            text=True)
    return result.stdout.split()[-1]
