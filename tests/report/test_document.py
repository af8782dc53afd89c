"""The report as HTML and as a real PDF read back: content, escaping, strictness, attachments, PDF/A, determinism."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import zlib
from pathlib import Path

import jinja2
import pypdf
import pytest

from compliance.report import document
from compliance.report.inputs import ReportInput
from compliance.report.tables import csv_files, report_tables

from .builders import (
    CHANGES,
    DRIFT,
    GIT_SOURCE,
    HOSTILE_LABEL,
    PACK_ID,
    calico_snapshot,
    guarded_snapshot,
    report_input,
    sample_snapshot,
)

COVER_FIELDS = ("Organisation", "Assessed system", "Assessment period", "Generated at", "Tool version",
                "Evidence pack", "Signed by")
SECTIONS = ("Executive summary", "Scope, zones and assumptions", "Policies and tiers", "Zone reachability", "Controls",
            "Approved and actual flows", "Exceptions", "Change provenance", "Drift between git and the cluster",
            "Appendix: files, verification and re-performance")


@pytest.fixture(scope="module")
def pack() -> tuple[ReportInput, dict[str, bytes]]:
    """A report input with git rows, and the CSVs it is rendered with (hashed into its appendix)."""
    data = report_input(CHANGES, DRIFT, git_source=GIT_SOURCE)
    attachments = csv_files(report_tables(data))
    files = {**attachments, "snapshot.json": b'{"format": "segproof.snapshot/v1"}\n', "scope.yaml": b"kind: Scope\n"}
    return report_input(CHANGES, DRIFT, files, GIT_SOURCE), attachments


@pytest.fixture(scope="module")
def pdf(pack: tuple[ReportInput, dict[str, bytes]]) -> bytes:
    data, attachments = pack
    return document.render_pdf(data, attachments)


@pytest.fixture(scope="module")
def reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


@pytest.fixture(scope="module")
def pages(reader: pypdf.PdfReader) -> list[str]:
    """The text of each page, whitespace collapsed."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


@pytest.fixture(scope="module")
def html(sample: ReportInput) -> str:
    return document.render_html(sample)


@pytest.fixture(scope="module")
def guarded_pages() -> list[str]:
    """The pages of the report on the sample with cluster policies of both tiers and a tie, read back from its PDF."""
    data = report_input(snapshot=guarded_snapshot())
    reader = pypdf.PdfReader(io.BytesIO(document.render_pdf(data, csv_files(report_tables(data)))))
    assert {"data/cluster_policies.csv", "data/cluster_policy_rules.csv"} <= set(reader.attachments)
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def unwrapped(text: str) -> str:
    """Text without whitespace, so that phrases a table cell wraps still match."""
    return re.sub(r"\s+", "", text)


def test_html_escapes_hostile_labels(html: str) -> None:
    assert HOSTILE_LABEL not in html
    assert "<script" not in html.lower()
    assert "note=&lt;script&gt;alert(1)&lt;/script&gt;" in html.replace("\u200b", "")


def test_html_escapes_scope_text() -> None:
    from .builders import sample_scope

    scope = dataclasses.replace(sample_scope(), organization="ACME <b>Payments</b> & Co")
    html = document.render_html(report_input(scope=scope))
    assert "ACME <b>" not in html
    assert "ACME &lt;b&gt;Payments&lt;/b&gt; &amp; Co" in html


def test_strict_undefined_raises_on_a_missing_name(html: str) -> None:
    environment = document.template_environment()
    with pytest.raises(jinja2.UndefinedError):
        environment.from_string("{{ missing }}").render()
    with pytest.raises(jinja2.UndefinedError):
        document.render_context({"title": "x"})
    assert environment.autoescape is True


def test_html_says_when_git_is_missing_and_when_analysis_is_incomplete(html: str) -> None:
    assert html.count("No git history was provided.") == 2
    assert "INCOMPLETE ANALYSIS" not in html
    snapshot = dataclasses.replace(sample_snapshot(), unmodelled={"CiliumNetworkPolicy": 3})
    incomplete = document.render_html(report_input(snapshot=snapshot))
    assert incomplete.count("INCOMPLETE ANALYSIS") == 2
    assert "CiliumNetworkPolicy (3)" in incomplete


def test_pdf_has_many_pages_with_running_footer(reader: pypdf.PdfReader, pages: list[str]) -> None:
    assert len(reader.pages) > 5
    assert f"Page 1 of {len(reader.pages)}" in pages[0]
    assert f"Page 2 of {len(reader.pages)}" in pages[1]
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in pages[-1]
    assert f"Pack {PACK_ID}" in pages[2] and "segproof 0.1.0" in pages[2]


def test_pdf_cover_shows_identity_of_the_assessment(pages: list[str]) -> None:
    cover = pages[0]
    for field in COVER_FIELDS:
        assert field.upper() in cover.upper(), field
    for value in ("ACME Payments Ltd", "prod-eu-1", "2026-01-01 to 2026-03-31", "2026-09-30 12:00:00 UTC",
                  "segproof 0.1.0", PACK_ID, "CN=ACME Compliance Signing,O=ACME Payments Ltd"):
        assert value in cover, value


def test_pdf_table_of_contents_lists_sections_with_pages(pages: list[str], reader: pypdf.PdfReader) -> None:
    contents = pages[1]
    assert "Contents" in contents
    for title in SECTIONS:
        assert title in contents, title
    for control in ("1.3.1", "11.4.5"):
        assert control in contents
    assert re.search(r"Executive summary \d+", contents)
    outline = [item["/Title"] for item in reader.outline if not isinstance(item, list)]
    assert "1 Executive summary" in outline and "A Appendix: files, verification and re-performance" in outline


def test_pdf_text_holds_controls_verdicts_and_git_sections(pages: list[str]) -> None:
    text = " ".join(pages)
    for control in ("1.2.1", "1.2.2", "1.2.5", "1.3.1", "1.3.2", "1.4.4", "11.4.5"):
        assert control in text
    assert "Out-of-scope systems can reach the CDE: 4 paths" in text
    assert "3 changes to policies in 3 commits" in text
    assert "1 without approval" in text
    assert "3 policies differ between git" in text
    assert "segproof verify PACK --trust CERT" in text
    assert "segproof verify PACK --reperform" in text
    assert "Latest segmentation penetration test report" in text


def test_pdf_without_cluster_policies_says_the_network_policies_alone_decide(pages: list[str]) -> None:
    policies = next(page for page in pages if "Cluster policies (tiers)" in page)
    assert "The cluster has no AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy" in policies
    assert "api-gateway/default-deny-all" in unwrapped(policies)
    assert "Ambiguity: equal priorities" not in " ".join(pages) and "explain excerpts" not in " ".join(pages)


def test_pdf_lists_cluster_policies_by_tier_before_the_network_policies(guarded_pages: list[str]) -> None:
    text = unwrapped(" ".join(guarded_pages))
    order = [text.index(unwrapped(phrase)) for phrase in (
        "Cluster policies (tiers)", "Admin tier evaluated first", "ClusterNetworkPolicy/block-metadata · priority 1",
        "AdminNetworkPolicy/cde-guardrail · priority 10",
        'ingress[2] “deny-everything-else” DENY all pods in namespaces {}',
        "NetworkPolicies decide, finally", "Baseline tier evaluated last", "BaselineAdminNetworkPolicy/default",
        'egress[0] “no-internet” DENY networks 0.0.0.0/0', "Rules in / out")]
    assert order == sorted(order)
    assert unwrapped("subject: all pods in namespaces pci-zone=cde · selects 7 pods in 4 workloads (cde)") in text
    assert unwrapped("6 cluster policies with 8 rules, in evaluation order") in text


def test_pdf_excerpts_name_tier_policy_priority_rule_and_ambiguous_ports(guarded_pages: list[str]) -> None:
    text = unwrapped(" ".join(guarded_pages))
    for phrase in ('ingress: Admin tier: AdminNetworkPolicy/cde-guardrail (priority 10) ingress[2] '
                   '"deny-everything-else": denies all ports',
                   'ingress: Admin tier: AdminNetworkPolicy/allow-scrape (priority 5) ingress[0] "prometheus": allows '
                   "TCP 9090,9187",
                   "no path into the CDE; pods analytics/dashboard-0 -> payments/card-vault-0",
                   "ALLOWED TCP 80 ! AMBIGUOUS TCP 80",
                   "egress: AMBIGUOUS TCP 80: AdminNetworkPolicy/marketing-allow-dashboard, "
                   "AdminNetworkPolicy/marketing-deny-analytics share a priority"):
        assert unwrapped(phrase) in text, phrase


def test_pdf_assumptions_list_the_tiers_and_the_ambiguity(guarded_pages: list[str]) -> None:
    scope = unwrapped(next(page for page in guarded_pages if "Assumptions of the analysis" in page))
    for phrase in ("tiers per direction: the Admin tier", "equal_priorities policies of one tier with one priority",
                   "networks_peers match their address ranges", "domain_names cannot be resolved statically",
                   "Ambiguity: equal priorities",
                   "Admin tier, priority 20: AdminNetworkPolicy/marketing-allow-dashboard, "
                   "AdminNetworkPolicy/marketing-deny-analytics",
                   "4 workload connections have ports that one order allows and another denies",
                   "marketing/campaigns[Deployment] -> analytics/dashboard[Deployment]: TCP 80"):
        assert unwrapped(phrase) in scope, phrase


def test_pdf_tables_are_bounded(pages: list[str]) -> None:
    text = " ".join(pages)
    assert re.search(r"\d+ more connections in data/reachability\.csv", text)


def test_pdf_appendix_lists_file_hashes(pack: tuple[ReportInput, dict[str, bytes]], pages: list[str]) -> None:
    data, _ = pack
    text = "".join(pages).replace(" ", "")
    controls = next(f for f in data.files if f.path == "data/controls.csv")
    assert controls.sha256 in text
    assert next(f for f in data.files if f.path == "snapshot.json").sha256 in text


def test_pdf_attaches_the_csvs_as_data(reader: pypdf.PdfReader, pack: tuple[ReportInput, dict[str, bytes]]) -> None:
    _, attachments = pack
    assert set(reader.attachments) == set(attachments)
    assert reader.attachments["data/controls.csv"] == [attachments["data/controls.csv"]]
    catalog = reader.trailer["/Root"]
    # WeasyPrint 70 lists each file specification twice in /AF; what matters is that each is there, as Data
    assert len({spec.idnum for spec in catalog["/AF"]}) == len(attachments)
    assert {spec.get_object()["/AFRelationship"] for spec in catalog["/AF"]} == {"/Data"}


def test_attached_csvs_are_deflated_at_zlib_default_level(reader: pypdf.PdfReader,
                                                         pack: tuple[ReportInput, dict[str, bytes]]) -> None:
    # Level 9 (pydyf's) costs five times the time on the ~100 MB of CSVs of a large cluster, for 11 % less size.
    _, attachments = pack
    catalog = reader.trailer["/Root"]
    for spec in {spec.idnum: spec.get_object() for spec in catalog["/AF"]}.values():
        stream = spec["/EF"]["/F"].get_object()
        assert stream["/Filter"] == "/FlateDecode"
        assert stream._data == zlib.compress(attachments[spec["/UF"]], document.ATTACHMENT_COMPRESSION)


def test_pdf_is_pdfa_3b_dated_by_the_pack(reader: pypdf.PdfReader) -> None:
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "<xmp:CreateDate>2026-09-30T12:00:00Z</xmp:CreateDate>" in xmp
    assert reader.metadata["/CreationDate"].startswith("D:20260930120000")
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_two_renders_are_byte_identical(pack: tuple[ReportInput, dict[str, bytes]], pdf: bytes) -> None:
    data, attachments = pack
    assert document.render_pdf(data, attachments) == pdf


def test_pdf_shows_bidirectional_and_control_characters_as_escapes(tmp_path: Path) -> None:
    """A right-to-left override in a pod name or the scope's system would reorder what the PDF shows
    (`web\u202eexe.txt` reads "webtxt.exe"); the PDF shows the escape instead, as pdftotext reads it back."""
    from .builders import sample_scope

    snapshot = sample_snapshot()
    hostile = "web\u202eexe.txt"
    pods = tuple(dataclasses.replace(pod, name=hostile, workload=dataclasses.replace(pod.workload, name=hostile))
                 if pod.display == "payments/debug-shell" else pod for pod in snapshot.pods)
    scope = dataclasses.replace(sample_scope(), system="prod-\u202e1-ue", organization="ACME\x1b[2J Payments")
    data = report_input(snapshot=dataclasses.replace(snapshot, pods=pods), scope=scope)
    html = document.render_html(data)
    assert not {"\u202e", "\x1b"} & set(html)
    path = tmp_path / "report.pdf"
    path.write_bytes(document.render_pdf(data, {}))
    text = unwrapped(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                                    text=True).stdout)
    assert "\u202e" not in text and "webtxt.exe" not in text
    assert "payments/web\\u202eexe.txt[Pod]" in text
    assert "prod-\\u202e1-ue" in text and "ACME\\u001b[2JPayments" in text


def test_counted_words_agree_with_their_number(html: str) -> None:
    text = re.sub(r"<[^>]+>", "", html)
    assert not re.search(r"\b1 (more )?(namespaces|workloads|pods|NetworkPolicies|connections|changes|commits|rows|"
                         r"policies|findings|rules|exceptions|approved flows)\b", text)
    assert not re.search(r"\bAll [01] ", text)
    environment = document.template_environment()
    assert environment.from_string('{{ 1 | counted("more row") }}, {{ 2 | counted("policy", "policies") }}, '
                                   '{{ 1 | agreeing("{count} uses", "{count} use") }}').render() == (
        "1 more row, 2 policies, 1 uses")


def test_breakable_marks_the_joints_with_zero_width_spaces() -> None:
    # A U+200B is what WeasyPrint shows for <wbr>, without a box per break (a tenth of the time of large tables).
    assert document.breakable("team-a/web[Deployment]") == "team-a/\u200bweb\u200b[Deployment]"
    assert document.breakable("<b>/x,y") == "&lt;b&gt;/\u200bx,\u200by"


def test_html_lists_the_calico_policies_by_tier() -> None:
    text = re.sub(r"<[^>]+>", "", document.render_html(report_input(snapshot=calico_snapshot()))).replace("\u200b", "")
    for phrase in ("Calico policies (tiers)", "4 Calico policies, by tier in evaluation order",
                   "security tier order 100 · default action Pass",
                   "default tier order 1,000,000 · default action Deny",
                   "GlobalNetworkPolicy/security.cde-ingress-guard", "The cluster has no AdminNetworkPolicy, "
                   "BaselineAdminNetworkPolicy or ClusterNetworkPolicy."):
        assert phrase in " ".join(text.split()), phrase
    assert "the NetworkPolicies alone decide" not in " ".join(text.split())
