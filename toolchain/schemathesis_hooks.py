"""schemathesis hooks for our two services (loaded with ``SCHEMATHESIS_HOOKS``, in
``.venv-schemathesis``; see ``toolchain/schemathesis_check.py``).

- Formats the documents name and JSON Schema cannot describe get generators that write valid
  values: ``eth-address`` (lower-case hex needs no EIP-55 checksum) and ``issuer-cursor`` (the
  base64url of ``<ISO time>|<row id>``, the shape of the cursors the issuer returns).
- ``positive_data_acceptance_beyond_schema`` replaces schemathesis' ``positive_data_acceptance``:
  a schema-valid request must still be accepted, except for a 422 (or the tokenization
  network's 400) whose problem ``code`` the document itself lists under
  ``x-refusals-beyond-schema`` (an EIP-55 checksum, a cursor the
  API did not return, a block not indexed yet...). Any other refusal of valid data fails.
"""

from __future__ import annotations

import base64
import datetime as dt

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

schemathesis.openapi.format("eth-address", st.from_regex(r"\A0x[0-9a-f]{40}\Z"))


def _cursor(at: dt.datetime, key: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{key}".encode()).decode()


schemathesis.openapi.format("issuer-cursor", st.builds(
    _cursor,
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                 timezones=st.just(dt.UTC)),
    st.uuids().map(str)))


def _declared(case: schemathesis.Case) -> dict:
    return case.operation.schema.raw_schema.get("x-refusals-beyond-schema", {})


@schemathesis.check
def positive_data_acceptance_beyond_schema(ctx: schemathesis.CheckContext,
                                           response: schemathesis.Response,
                                           case: schemathesis.Case) -> bool | None:
    # 422: a named rule JSON Schema cannot express; 400: the tokenization network's refusals,
    # which the protocol answers as 400 with a reason (both listed in the document)
    if response.status_code in (400, 422):
        try:
            code = response.json().get("code")
        except (ValueError, AttributeError):
            code = None
        if code in _declared(case):
            return None
    return positive_data_acceptance(ctx, response, case)
