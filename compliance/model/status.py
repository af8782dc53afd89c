"""The verdicts of checks and controls, worst first, and the statuses `--fail-on` stops at."""

from __future__ import annotations

from compliance.model.values import TextEnum


class Status(TextEnum):
    """A check's or a control's verdict, worst first: a control takes the worst of its checks'."""

    ERROR = "error"
    FAIL = "fail"
    WARNING = "warning"
    MANUAL = "manual"
    EXCEPTED = "excepted"
    PASS = "pass"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        """How reports name it: `Not applicable`."""
        return self.value.replace("_", " ").capitalize()

    @property
    def rank(self) -> int:
        """Its place from the worst (0)."""
        return STATUS_ORDER.index(self)


STATUS_ORDER = tuple(Status)


# The statuses `--fail-on` stops at, for each threshold.
FAILING_STATUSES = {"fail": frozenset({Status.FAIL, Status.ERROR}),
                    "warning": frozenset({Status.FAIL, Status.ERROR, Status.WARNING}), "never": frozenset()}
