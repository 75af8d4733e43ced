"""Last line of defence against personnummer in messages.

Error messages never quote a personnummer column's values by construction; `redact` also masks
anything shaped like a personnummer in every other message text (a value of a wrongly placed
column, a parser's exception text, a file name), so no such string reaches a reason file, the
file ledger, a log or an exception.
"""

from __future__ import annotations

import re

REDACTED = "[dolt personnummer]"

# 10 or 12 digits with an optional -/+/space before the last four: ÅÅÅÅMMDD-XXXX, ÅÅMMDDXXXX...
_PNR_LIKE = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")


def redact(text: str) -> str:
    return _PNR_LIKE.sub(REDACTED, text)
