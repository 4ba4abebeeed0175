"""The broker port's ticker translation (:mod:`issuer.broker.tickers`), against the in-memory
broker: a listing renamed twice (FB -> META on 10/17, META -> MVRS on 10/22)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from issuer.broker.fake import FakeBroker
from issuer.broker.tickers import Rename, TickerBroker, Tickers
from issuer.broker.types import Announcement

D = Decimal
RENAMES = [Rename("FB", "FB", "META", dt.date(2024, 10, 17)),
           Rename("FB", "META", "MVRS", dt.date(2024, 10, 22))]


def test_a_listing_has_one_ticker_a_day_and_every_ticker_names_the_listing():
    tickers = Tickers(RENAMES)
    days = [dt.date(2024, 10, d) for d in (16, 17, 21, 22, 30)]
    assert [tickers.ticker("FB", d) for d in days] == ["FB", "META", "META", "MVRS", "MVRS"]
    assert [tickers.listing(s) for s in ("FB", "META", "mvrs", "AAPL")] == [
        "FB", "FB", "FB", "AAPL"]
    assert tickers.ticker("AAPL", dt.date(2024, 10, 30)) == "AAPL"


def test_the_port_sends_the_ticker_of_the_day_and_reads_answers_back_as_the_listing():
    fake = FakeBroker(dt.datetime(2024, 10, 18, 15, tzinfo=dt.UTC), prices={"META": D(500)})
    fake.open_account("custody", cash=D(0), shares={"META": D(7)})
    loads = []
    broker = TickerBroker(fake, lambda: loads.append(1) or RENAMES, ttl=3600)
    position = broker.position("custody", "FB")              # asked as the listing
    assert position is not None and (position.symbol, position.qty) == ("FB", D(7))
    order = broker.submit_order("custody", symbol="FB", side="buy", qty=D(1))
    assert order.symbol == "FB" and fake.orders_[order.id].symbol == "META"
    fake.announce(Announcement(id="a", corporate_action_id="ca", ca_type="dividend",
                               ca_sub_type="cash", initiating_symbol="META",
                               ex_date=dt.date(2024, 11, 1), cash=D(1)))
    assert [a.initiating_symbol for a in broker.announcements()] == ["FB"]
    assert broker.position("custody", "AAPL") is None        # other listings untouched
    assert len(loads) == 1                                   # read once within the ttl
    broker.forget()
    broker.position("custody", "FB")
    assert len(loads) == 2
