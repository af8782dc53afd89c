"""A cheap stand-in for the report renderer, for tests of ledgers, chains, retention and comparisons that never
read the PDF: a small real PDF (so it can be signed), rendered once by WeasyPrint, in place of the full report."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from typing import Any


@functools.cache
def small_pdf() -> bytes:
    """A small report rendered by WeasyPrint, with a CSV attached as the report module attaches its data."""
    import weasyprint

    moment = datetime.datetime(2026, 9, 30, 12, tzinfo=datetime.timezone.utc)
    html = ('<html><head><meta name="dcterms.created" content="2026-09-30T12:00:00Z"></head>'
            "<body><h1>Segmentation report</h1><p>Cardholder data zone is isolated.</p></body></html>")
    attachment = weasyprint.Attachment(string=b"control,status\n1.3.2,pass\n", name="findings.csv",
                                       relationship="Data", created=moment, modified=moment)
    return weasyprint.HTML(string=html).write_pdf(attachments=[attachment])


def placeholder_report(data: Any, attachments: Mapping[str, bytes], flows: Any, tables: Any) -> bytes:
    """The small PDF in place of the report of `data` (a `workflows.publish.Renderer`)."""
    return small_pdf()
