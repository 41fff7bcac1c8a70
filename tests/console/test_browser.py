"""The console in headless Chromium: log in, open a campaign, dismiss an account, see the label stored.

Screenshots of each step are kept under the test's tmp dir, and copied to
``$DISTILLSHIELD_ARTIFACTS`` when that is set (CI uploads it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.console.conftest import Console

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install -y chromium chromium-driver"
)


def _shot(page: object, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def _keep(shots: list[Path]) -> None:
    target = os.environ.get("DISTILLSHIELD_ARTIFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy2(shot, Path(target) / f"console-{shot.name}")


def test_login_open_campaign_dismiss_and_see_the_label(console: Console, served: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots: list[Path] = []
    account = console.members[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            response = page.goto(served + "/")
            assert response is not None and response.status == 401
            expect(page.locator("#login")).to_be_visible()
            shots.append(_shot(page, tmp_path, "1-login"))

            page.fill("#token", "wrong-token")
            page.click("#sign-in")
            expect(page.locator("#login-error")).to_contain_text("not valid")
            page.fill("#token", console.token)
            page.click("#sign-in")
            expect(page.locator("#analyst")).to_have_text("alice")
            expect(page.locator("#campaigns")).to_contain_text(console.campaign)
            shots.append(_shot(page, tmp_path, "2-campaigns"))

            page.click(f"a.campaign-link:text-is('{console.campaign}')")
            expect(page.locator("h1")).to_contain_text(f"Campaign {console.campaign}")
            expect(page.locator("#graph svg")).to_be_visible()
            expect(page.locator("#timeline svg")).to_be_visible()
            shots.append(_shot(page, tmp_path, "3-campaign"))

            row = page.locator(f'tr[data-account="{account}"]')
            row.locator("button.dismiss").click()
            expect(page.locator(f'tr[data-account="{account}"] td.decision')).to_contain_text("dismiss by alice")
            shots.append(_shot(page, tmp_path, "4-dismissed"))

            labels = page.request.get(served + "/labels.csv")  # the page's cookie travels with it
            assert labels.status == 200
            assert labels.text().splitlines() == [
                "account_id,label,campaign_id,archetype",
                f"{account},benign,,analyst-dismiss:alice",
            ]
            page.goto(served + f"/accounts/{account}")
            expect(page.locator("#history")).to_contain_text("dismiss")
            shots.append(_shot(page, tmp_path, "5-account"))
        finally:
            browser.close()
    decision = console.store.decisions()[account]
    assert (decision.analyst, decision.action, decision.campaign_id) == ("alice", "dismiss", console.campaign)
    assert all(shot.stat().st_size > 1000 for shot in shots)
    _keep(shots)
