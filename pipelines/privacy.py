"""Last line of defence against personnummer in messages.

Error messages never quote a personnummer column's values by construction; `redact` also masks
anything shaped like a personnummer in every other message text (a value of a wrongly placed
column, a parser's exception text, a file name), so no such string reaches a reason file, the
file ledger, a log or an exception. Ingest (reason files, the ledger) and quality (check
metadata, the refresh summary) both use it, so it belongs to neither.
"""

from __future__ import annotations

import re

REDACTED = "[dolt personnummer]"

# 10 or 12 digits with an optional -/+/space before the last four: ÅÅÅÅMMDD-XXXX, ÅÅMMDDXXXX...
_PNR_LIKE = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")


def redact(text: str) -> str:
    return _PNR_LIKE.sub(REDACTED, text)


_PSEUDONYM = re.compile(r"[0-9a-f]{64}")
PSEUDONYM_SHOWN = 16  # characters: enough to find the person in warehouse.duckdb


def shown(value: object) -> str:
    """A value as reason files, check metadata and the refresh summary show it: a pseudonym cut
    to its first characters, anything shaped like a personnummer redacted."""
    text = "" if value is None else str(value)
    if _PSEUDONYM.fullmatch(text):
        return text[:PSEUDONYM_SHOWN] + "…"
    return redact(text)
