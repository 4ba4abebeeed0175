"""``python -m toolchain.settings_table``: the table of every setting of both services, as
``SETTINGS.md`` holds it (``--write`` rewrites that file, ``--check`` fails when it differs)."""

from __future__ import annotations

import sys
from pathlib import Path

from custody_mock.settings import Settings as BrokerSettings
from issuer.config import Settings as IssuerSettings
from servicekit.settings import table

PATH = Path(__file__).resolve().parent.parent / "SETTINGS.md"
HEADER = """# Settings

Every setting of both services, generated from their declarations by
`python -m toolchain.settings_table --write` (a test fails when this file and the code differ).
Each is read from its environment variable and validated when the service starts: a bad value
stops the service with one line per setting, naming the variable. Secrets never appear in logs,
errors or `repr`. Logging: `LOG_FORMAT` (`console` or `json`) and `LOG_LEVEL` (default `INFO`).

## Issuer (`ISSUER_`) and mock broker (`CUSTODY_MOCK_`)

"""


def render() -> str:
    return HEADER + table(IssuerSettings, BrokerSettings)


def main() -> None:
    if "--write" in sys.argv[1:]:
        PATH.write_text(render())
        print(f"wrote {PATH}")
    elif "--check" in sys.argv[1:]:   # the pre-commit hook
        if PATH.read_text() != render():
            sys.exit(f"{PATH.name} differs from the settings: run "
                     "`python -m toolchain.settings_table --write`")
    else:
        sys.stdout.write(render())


if __name__ == "__main__":
    main()
