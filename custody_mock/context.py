"""What every broker operation works with: one database transaction and the simulated time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from custody_mock.models import BrokerState
from custody_mock.settings import Settings
from servicekit.calendar import SettlementCalendar, local_date


@dataclass
class Ctx:
    db: Session
    settings: Settings
    calendar: SettlementCalendar
    state: BrokerState
    #: Per-transaction memo (the armed fault rules, read once per request).
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def now(self) -> dt.datetime:
        return self.state.now

    @property
    def today(self) -> dt.date:
        """The New York date of the simulated clock."""
        return local_date(self.state.now)
