"""Checks: functions of the analysed cluster, registered by id (`segmentation.inbound_restricted`, ...)."""

from compliance.checks import changes, cluster, policies, segmentation, tiers, workloads  # noqa: F401  (registration)
from compliance.checks.registry import CHECKS, CheckResult, EvidenceTable, Finding

__all__ = ["CHECKS", "CheckResult", "EvidenceTable", "Finding"]
