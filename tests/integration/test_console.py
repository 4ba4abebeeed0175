"""The operator console in a real browser (headless Debian chromium driven by Playwright),
against a stack started the way ``make up`` starts it (``python -m devstack --keep-running
--no-story``), with no script enabled: every page and form works without JavaScript.

The walk of issue 28: an operator signs in and requests a large creation, which waits for
approval; their own attempt to approve it is refused on screen with the reason; an approver,
in a second browser context, approves it after the confirmation step; the creation page then
shows its steps through to minted while the test moves the broker's clock. A form posted
without its CSRF token gets 403 and changes nothing; a revoked key's session ends at once; the
overview's figures equal ``/v1/reserves`` and the chain.

``CONSOLE_SCREENSHOTS=<folder>`` saves the pages the README shows (``make console-screenshots``).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from custody_mock.client import BrokerClient
from issuer.chain import Chain
from issuer.config import Settings
from issuer.units import raw_to_shares
from tests.integration.test_devstack import Running, env_file
from tests.support import database_url, free_port

pytestmark = pytest.mark.stack

CHROMIUM = shutil.which("chromium")
D = Decimal
SHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


class Desk:
    """The running stack: its URLs, the demo keys, REST and broker clients."""

    def __init__(self, run_dir: Path, ports: dict[str, int]) -> None:
        self.env = env_file(run_dir / "env")
        self.url = self.env["ISSUER_API_URL"]
        self.console = self.url + "/console"
        self.ports = ports
        self.admin = httpx.Client(base_url=self.url, timeout=30,
                                  headers={"X-API-Key": self.env["ISSUER_ADMIN_KEY"]})
        self.broker = BrokerClient(f"http://127.0.0.1:{ports['--broker-port']}")
        manifest = next(run_dir.glob("*.json"))
        self.chain = Chain(Settings(rpc_url=f"http://127.0.0.1:{ports['--chain-port']}",
                                    manifest=manifest))

    def next_day(self) -> None:
        """The broker's end of day, and the chain's clock moved as far (as the story does)."""
        before = self.broker.clock().now
        after = self.broker.end_of_day().now
        w3 = self.chain.w3
        w3.provider.make_request("evm_increaseTime", [int((after - before).total_seconds())])
        w3.provider.make_request("evm_mine", [])

    def close(self) -> None:
        self.admin.close()
        self.broker.close()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("console")
    ports = {name: free_port() for name in (
        "--chain-port", "--broker-port", "--issuer-port", "--issuer-metrics-port",
        "--broker-metrics-port")}
    flags = [str(x) for pair in ports.items() for x in pair]
    run_dir = tmp / "run"
    # a creation of more than 50 shares waits for a second approver (10,000 by default)
    os.environ["ISSUER_LARGE_MINT_SHARES"] = "50"
    try:
        with database_url(tmp) as db_url, Running(
                "--keep-running", "--no-story", *flags, "--run-dir", str(run_dir),
                "--database-url", db_url) as stack:
            stack.until("The stack stays up", timeout=240)
            running = Desk(run_dir, ports)
            try:
                yield running
            finally:
                running.close()
                stack.stop(signal.SIGINT)
    finally:
        del os.environ["ISSUER_LARGE_MINT_SHARES"]


@pytest.fixture(scope="module")
def browser(desk: Desk) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None, "no chromium: toolchain/setup.sh installs Debian's (as root)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield launched
        finally:
            launched.close()


def signed_in(browser, desk: Desk, key: str):  # noqa: ANN001, ANN201
    """A fresh browser context (its own cookies), without JavaScript, signed in with ``key``."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280,
                                                                       "height": 900})
    page = context.new_page()
    page.goto(desk.console + "/overview")
    assert page.url.startswith(desk.console + "/sign-in")   # no session: to the sign-in page
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    assert page.url == desk.console + "/overview", page.content()[:2000]
    return context, page


def shot(page, name: str) -> None:  # noqa: ANN001
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"console-{name}.png"), full_page=True)


def test_a_large_creation_asked_refused_to_its_maker_approved_and_minted(desk, browser):
    operator, page = signed_in(browser, desk, desk.env["ISSUER_API_KEY"])
    cookie = next(c for c in operator.cookies() if c["name"] == "issuer_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"

    page.goto(desk.console + "/creations")
    page.get_by_label("Participant").select_option(label="Authorized Participant")
    page.get_by_label("Symbol").first.select_option("AAPL")
    page.get_by_label("Shares").fill("60")
    page.get_by_role("button", name="Request").click()
    assert "/console/creations/" in page.url
    creation_id = page.url.rsplit("/", 1)[-1].split("?")[0]
    assert page.locator("[data-field=status]").inner_text() == "awaiting_approval"
    assert "Waiting for approval" in page.content()
    shot(page, "creation-waiting")

    # the maker's own attempt: refused on screen, with the reason in words
    page.goto(desk.console + "/approvals")
    row = page.locator("tr", has=page.locator(f"a[href='/console/creations/{creation_id}']"))
    row.get_by_role("link", name="Approve…").click()
    page.get_by_label("I have checked this request").check()
    page.get_by_role("button", name="Approve").click()
    refusal = page.locator("[role=alert]")
    assert refusal.get_attribute("data-code") == "same_approver"
    assert "demo operator cannot decide a request of demo operator" in refusal.inner_text()
    shot(page, "refused-self-approval")
    assert desk.admin.get(f"/v1/creations/{creation_id}").json()["status"] == \
        "awaiting_approval"

    # the approver, in a browser context of their own, after the confirmation step
    approver, other = signed_in(browser, desk, desk.env["ISSUER_APPROVER_KEY"])
    other.goto(desk.console + "/approvals")
    shot(other, "approvals")
    row = other.locator("tr", has=other.locator(f"a[href='/console/creations/{creation_id}']"))
    row.get_by_role("link", name="Approve…").click()
    confirm = other.get_by_role("button", name="Approve")
    confirm.click()   # the box is not ticked: the browser does not send the form
    assert "/approve" in other.url and "Refused" not in other.content()
    other.get_by_label("I have checked this request").check()
    confirm.click()
    assert other.url.endswith("/console/approvals?notice=done"), other.url
    assert desk.admin.get(f"/v1/creations/{creation_id}").json()["status"] != \
        "awaiting_approval"

    # its steps through to minted, the broker's clock moved day by day
    deadline = time.monotonic() + 180
    while True:
        page.goto(f"{desk.console}/creations/{creation_id}")
        if page.locator("[data-field=status]").inner_text() == "completed":
            break
        assert time.monotonic() < deadline, page.locator("table").first.inner_text()
        if desk.admin.get(f"/v1/creations/{creation_id}").json()["status"] == "filled":
            desk.next_day()
        time.sleep(1)
    steps = [row.get_attribute("data-step") for row in page.locator("tr[data-step]").all()]
    for step in ("approval.approve.creation", "creation.ordered", "creation.filled",
                 "creation.settled", "creation.minting", "creation.completed"):
        assert step in steps, steps
    assert steps.index("approval.approve.creation") < steps.index("creation.ordered") < \
        steps.index("creation.minting") < steps.index("creation.completed")
    assert page.locator("td", has_text="mint:").count() >= 1   # the mint's transaction
    shot(page, "creation-minted")
    operator.close()
    approver.close()


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(desk, browser):
    context, page = signed_in(browser, desk, desk.env["ISSUER_API_KEY"])
    before = len(desk.admin.get("/v1/creations", params={"limit": 100}).json()["items"])
    participant = desk.env["PARTICIPANT_ID"]
    form = {"participant_id": participant, "symbol": "AAPL", "qty": "1", "kind": "cash",
            "idempotency_key": "csrf-test"}
    refused = context.request.post(desk.console + "/creations", form=form,
                                   max_redirects=0)
    assert refused.status == 403 and "csrf_failed" in refused.text()
    wrong = context.request.post(desk.console + "/creations", form={**form, "csrf": "x" * 43},
                                 max_redirects=0)
    assert wrong.status == 403
    assert len(desk.admin.get("/v1/creations", params={"limit": 100}).json()["items"]) == before
    context.close()


def test_a_double_submit_does_one_thing(desk, browser):
    context, page = signed_in(browser, desk, desk.env["ISSUER_API_KEY"])
    page.goto(desk.console + "/creations")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    key = page.locator("input[name=idempotency_key]").first.get_attribute("value")
    listed = desk.admin.get("/v1/creations", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    before = len(listed.json()["items"])
    form = {"participant_id": desk.env["PARTICIPANT_ID"], "symbol": "NVDA", "qty": "1",
            "kind": "cash", "csrf": csrf, "idempotency_key": key}
    first = context.request.post(desk.console + "/creations", form=form, max_redirects=0)
    again = context.request.post(desk.console + "/creations", form=form, max_redirects=0)
    assert first.status == again.status == 303
    assert first.headers["location"].split("?")[0] == again.headers["location"].split("?")[0]
    assert again.headers["location"].endswith("notice=replayed")
    assert len(desk.admin.get("/v1/creations", params={"limit": 100}).json()["items"]) == before + 1
    context.close()


def test_a_revoked_key_is_signed_out_at_once(desk, browser):
    admin, page = signed_in(browser, desk, desk.env["ISSUER_ADMIN_KEY"])
    page.goto(desk.console + "/keys")
    page.get_by_label("Name").fill("night-shift")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_label("Operator (the person)").fill("night shift")
    page.get_by_role("button", name="Issue").click()
    clear = page.locator("[data-field=new-key]").inner_text().strip()
    assert clear.startswith("isk_")
    viewer, theirs = signed_in(browser, desk, clear)
    assert [a.inner_text() for a in theirs.locator("nav a").all()][-1] == "Audit trail"
    theirs.goto(desk.console + "/keys")   # not an admin: refused, in words
    assert theirs.locator("[role=alert]").get_attribute("data-code") == "forbidden"

    page.goto(desk.console + "/keys")
    page.get_by_role("button", name="Revoke night-shift").click()
    assert page.url.endswith("notice=done")
    theirs.goto(desk.console + "/overview")
    assert "/console/sign-in" in theirs.url
    assert "Your API key was revoked" in theirs.content()
    # and the API refuses the key too
    assert httpx.get(desk.url + "/v1/reserves", headers={"X-API-Key": clear}).status_code == 401
    viewer.close()
    admin.close()


def test_the_overview_equals_the_reserves_api_and_the_chain(desk, browser):
    context, page = signed_in(browser, desk, desk.env["ISSUER_API_KEY"])
    for _ in range(30):   # a moment when nothing moves: the same figures twice over
        answer = desk.admin.get("/v1/reserves")
        assert answer.status_code == 200, answer.text
        reports = {r["symbol"]: r for r in answer.json()}
        page.goto(desk.console + "/overview")
        shown = {}
        for symbol in reports:
            row = page.locator(f"tr[data-symbol={symbol}]")
            shown[symbol] = {f: row.locator(f"[data-figure={f}]").inner_text().strip()
                             for f in ("economic_supply", "custody_settled", "custody_pending",
                                       "surplus", "block")}
        again = {r["symbol"]: r for r in desk.admin.get("/v1/reserves").json()}
        if all(again[s][f] == reports[s][f] for s in reports for f in (
                "economic_supply", "custody_settled", "custody_pending", "surplus")):
            break
        time.sleep(0.5)
    for symbol, report in reports.items():
        for figure in ("economic_supply", "custody_settled", "custody_pending", "surplus"):
            assert D(shown[symbol][figure]) == D(report[figure]), (symbol, figure)
        block = int(shown[symbol]["block"])
        raw = desk.chain.total_supply(symbol, block)
        multiplier = desk.chain.multiplier(symbol, block)
        assert raw_to_shares(raw, multiplier) == D(shown[symbol]["economic_supply"])
    assert page.locator("[data-figure=heartbeat_age]").count() == 1   # the worker runs
    shot(page, "overview")
    # every page of the navigation renders for an operator, without script
    for link in [a.get_attribute("href") for a in page.locator("nav a").all()]:
        answer = page.goto(desk.url + link)
        assert answer is not None and answer.status == 200, link
        assert page.locator("h1").count() == 1, link
    context.close()


def test_a_browser_asking_for_its_icon_is_never_a_failed_authentication(desk):
    """Every page view makes a browser ask for ``/favicon.ico``: answered without a key, it
    never counts towards the source's failed authentications (which once throttled the
    console's own operators, and the public page's visitors, to 429)."""
    with httpx.Client(base_url=desk.url, timeout=30) as http:
        for _ in range(40):   # more than ISSUER_AUTH_FAILURE_LIMIT (20)
            assert http.get("/favicon.ico").status_code == 204
        assert desk.admin.get("/v1/reserves").status_code == 200


def test_malformed_forms_are_refused_in_words_and_change_nothing(desk, browser):
    """Every form's fields, wrong in every way a hand or a script can make them: a refusal with
    a stable code (never a 5xx), and no creation, key or decision made."""
    context, page = signed_in(browser, desk, desk.env["ISSUER_ADMIN_KEY"])
    page.goto(desk.console + "/keys")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    creations = len(desk.admin.get("/v1/creations", params={"limit": 100}).json()["items"])
    keys = len(desk.admin.get("/v1/api-keys").json())
    participant = desk.env["PARTICIPANT_ID"]
    bad_qty = ["NaN", "-Infinity", "-1", "0", "1e400", "9" * 5000, "0.0000000001", "abc", "",
               "1_000", " 1 2 "]
    posts = [("/creations", {"participant_id": participant, "symbol": "AAPL", "qty": q,
                             "kind": "cash"}) for q in bad_qty]
    posts += [("/creations", {"participant_id": p, "symbol": s, "qty": "1", "kind": k})
              for p, s, k in ((participant, "ZZZZ", "cash"), (participant, "", "cash"),
                              ("nobody", "AAPL", "cash"), (participant, "AAPL", "gift"),
                              (participant, "A" * 3000, "cash"))]
    posts += [("/keys", {"name": n, "role": r, "operator": o})
              for n, r, o in (("", "viewer", ""), ("x", "root", ""), ("y" * 500, "viewer", ""),
                              ("z", "viewer", "o" * 500))]
    posts += [("/keys/not-a-key/revoke", {}), ("/halts/ZZZZ/clear", {}),
              ("/halts/AAPL/clear", {}), ("/approvals/not-an-approval/approve",
                                          {"confirmed": "yes"}),
              ("/approvals/x/explode", {"confirmed": "yes"}), ("/creations/nope/cancel", {}),
              ("/tokenization/nope/close", {"reason": "stuck"}),
              ("/tokenization/nope/close", {"reason": ""}),
              ("/tokenization/nope/force-complete", {"tx_hash": "0x" + "ab" * 32,
                                                     "reason": "burned"}),
              ("/tokenization/nope/force-complete", {"tx_hash": "0x12", "reason": "x"}),
              ("/corporate-actions/nope/apply", {}),
              ("/meetings/nope/policy", {"policy": "board"}),
              ("/meetings/nope/policy", {"policy": "everyone"})]
    for n, (path, fields) in enumerate(posts):
        answer = context.request.post(desk.console + path, max_redirects=0, form={
            **fields, "csrf": csrf, "idempotency_key": f"malformed-{n}"})
        assert 400 <= answer.status < 500, (path, fields, answer.status, answer.text()[:500])
        assert "data-code=" in answer.text(), (path, answer.text()[:500])
    # a form that is not a form
    raw = context.request.post(desk.console + "/creations", max_redirects=0,
                               headers={"Content-Type": "application/x-www-form-urlencoded"},
                               data=b"\xff\xfe" * 10)
    assert 400 <= raw.status < 500
    assert len(desk.admin.get("/v1/creations", params={"limit": 100}).json()["items"]) == \
        creations
    assert len(desk.admin.get("/v1/api-keys").json()) == keys
    context.close()


def test_the_console_is_used_from_the_keyboard_alone(desk, browser):
    """Signed in, moved between pages and a decision confirmed with keys only: the key field
    has the focus, a skip link comes first, every control is a native link, field or button."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(desk.console + "/sign-in")
    page.keyboard.type(desk.env["ISSUER_API_KEY"])   # the API key field has the focus
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == desk.console + "/overview"
    page.keyboard.press("Tab")
    assert page.locator(":focus").inner_text() == "Skip to content"
    page.keyboard.press("Tab")
    assert page.locator(":focus").inner_text() == "Overview"
    page.keyboard.press("Tab")
    assert page.locator(":focus").inner_text() == "Creations"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == desk.console + "/creations"
    # the creation form's fields are reached in order, each with its label
    focus_labels = []
    page.locator("select[name=participant_id]").focus()
    for _ in range(3):
        focus_labels.append(page.locator(":focus").get_attribute("name"))
        page.keyboard.press("Tab")
    assert focus_labels == ["participant_id", "symbol", "qty"]
    context.close()


def test_a_delisting_is_announced_in_the_console_and_approved_by_a_second_operator(desk,
                                                                                  browser):
    """Issue 30, item 6, the way an operator meets it: the form on the corporate actions page
    asks for the approval; the approver decides after the confirmation step; the calendar then
    shows NVDA's delisting holding its mints, with its final date."""
    operator, page = signed_in(browser, desk, desk.env["ISSUER_API_KEY"])
    page.goto(desk.console + "/corporate-actions")
    form = page.locator("form", has=page.get_by_role("button", name="Announce"))
    form.get_by_label("Symbol").select_option("NVDA")
    form.get_by_label("Final date").fill("2024-11-29")
    form.get_by_label("Reason").fill("moves over the counter")
    form.get_by_role("button", name="Announce").click()
    assert page.url.endswith("/console/approvals?notice=done") or \
        "/console/approvals" in page.url, page.url
    row = page.locator("tr[data-approval]", has_text="final_date=2024-11-29")
    assert "delisting" in row.inner_text() and "reason=moves over the counter" in \
        row.inner_text()
    approval_id = row.get_attribute("data-approval")

    approver, other = signed_in(browser, desk, desk.env["ISSUER_APPROVER_KEY"])
    other.goto(f"{desk.console}/approvals/{approval_id}/approve")
    other.get_by_label("I have checked this request").check()
    other.get_by_role("button", name="Approve").click()
    assert other.url.endswith("/console/approvals?notice=done"), other.url
    other.goto(desk.console + "/corporate-actions")
    listed = other.locator("tr[data-action]", has_text="delisting")
    assert "NVDA" in listed.inner_text() and "2024-11-29" in listed.inner_text()
    assert listed.locator("[data-window]").get_attribute("data-window") == "holds"
    shot(other, "delisting")
    # a malformed final date is refused in words and asks for nothing
    page.goto(desk.console + "/corporate-actions")
    form = page.locator("form", has=page.get_by_role("button", name="Announce"))
    form.get_by_label("Symbol").select_option("AAPL")
    form.get_by_label("Final date").fill("2024-10-01")
    form.get_by_label("Reason").fill("in the past")
    form.get_by_role("button", name="Announce").click()
    assert page.locator("[role=alert]").get_attribute("data-code") == "invalid_final_date"
    pending = desk.admin.get("/v1/approvals", params={"status": "pending"}).json()
    assert not [a for a in pending if a["action"] == "delisting"]
    operator.close()
    approver.close()
