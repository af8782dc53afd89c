"""Renderers of git provenance: the history JSON contract, CSV, terminal tables and provenance outputs."""

from __future__ import annotations

import csv
import io
import json

from compliance.analysis.approvals import Approval
from compliance.analysis.history_effects import AssessedHistory, ChangeEffects, Provenance
from compliance.model.history import Change, Commit, History, ObjectContent, TrackedObject
from compliance.model.parse import parse_network_policy
from compliance.netpol.connections import Connection
from compliance.report.history_output import (
    HISTORY_CSV_HEADER,
    history_csv,
    history_json,
    history_table,
    provenance_csv,
    provenance_json,
    provenance_table,
)
from tests.netpol.builders import policy, ports

COMMIT = Commit("1" * 40, ("0" * 40,), "Dave Ruiz", "dave@example.com", "2026-02-12T21:10:00Z", "Dave Ruiz",
                "dave@example.com", "2026-02-12T21:10:00Z", "N", "", "Allow partner webhooks", "")
DOCUMENT = policy("api/webhooks", {"egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})
WEBHOOKS = TrackedObject("NetworkPolicy", "api", "webhooks", "p/api/webhooks.yaml",
                         ObjectContent(parse_network_policy(DOCUMENT), DOCUMENT))
REFUSED = Approval((), False, "no pull request")
OPENED = Connection("api/gateway[Deployment]", "0.0.0.0-255.255.255.255[External]", ports("all"))
ADDED = ChangeEffects(Change(COMMIT, 4, "added", WEBHOOKS.path, after=WEBHOOKS), REFUSED, opened=(OPENED,),
                      closed=())
BROKEN = ChangeEffects(Change(COMMIT, 4, "modified", "p/x.yaml", error="p/x.yaml: document 1: invalid YAML"),
                       REFUSED)


def history(*changes: ChangeEffects) -> AssessedHistory:
    """A history of the given changes on main, with their connections computed."""
    read = History("/srv/netpol", "main", "f" * 40, ("p",), None, None, tuple(e.change for e in changes), (),
                   (WEBHOOKS,), ("a warning",))
    return AssessedHistory(read, changes, "workload", {"complete": True})


def test_history_json_follows_the_contract() -> None:
    document = json.loads(history_json(history(BROKEN, ADDED)))
    assert document["format"] == "segproof.history/v1"
    assert document["git"] == {"repository": "/srv/netpol", "rev": "main", "commit": "f" * 40, "paths": ["p"],
                               "since": None, "until": None}
    change = document["changes"][1]
    assert {"commit", "author", "authored_at", "committer", "committed_at", "object", "change", "path", "signature",
            "approval", "approved", "opened", "closed"} <= set(change)
    assert change["object"] == "NetworkPolicy api/webhooks"
    assert change["signature"] == {"status": "N", "description": "none", "signer": ""}
    assert (change["approved"], change["approval"]) == (False, {"evidence": [], "reason": "no pull request"})
    assert change["opened"] == [{"src": "api/gateway[Deployment]", "dst": "0.0.0.0-255.255.255.255[External]",
                                 "ports": [{"protocol": p, "from": 1, "to": 65535} for p in ("TCP", "UDP", "SCTP")],
                                 "ambiguous": []}]
    assert (change["closed"], change["opened_zones"], change["error"]) == ([], None, None)
    assert (document["changes"][0]["object"], document["changes"][0]["opened"]) == (None, None)


def test_history_csv_and_table() -> None:
    rows = list(csv.reader(io.StringIO(history_csv(history(ADDED)))))
    assert tuple(rows[0]) == HISTORY_CSV_HEADER
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["object"], row["approved"], row["opened"]) == (
        "NetworkPolicy api/webhooks", "no", "api/gateway[Deployment] -> 0.0.0.0-255.255.255.255[External] all ports")
    table = history_table(history(BROKEN, ADDED))
    assert "(unreadable)" in table
    assert "    + api/gateway[Deployment] -> 0.0.0.0-255.255.255.255[External]  all ports" in table
    assert "Not approved:\n  1111111111 Dave Ruiz: Allow partner webhooks: no pull request\n" in table
    assert "warning: a warning" in table


def test_provenance_outputs() -> None:
    records = (Provenance(WEBHOOKS, ADDED), Provenance(WEBHOOKS, None))
    document = json.loads(provenance_json(history(ADDED).history, records))
    assert document["format"] == "segproof.provenance/v1"
    assert document["objects"][0]["commit"] == "1" * 40 and document["objects"][1]["commit"] is None
    rows = list(csv.reader(io.StringIO(provenance_csv(records))))
    assert rows[1][:3] == ["NetworkPolicy api/webhooks", "p/api/webhooks.yaml", "1" * 40]
    assert rows[2][2:] == [""] * 10
    assert "(before the history read)" in provenance_table(records)
