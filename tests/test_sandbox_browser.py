"""The sandbox page in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium; nothing downloads a browser): the whole loop of README "The sandbox page".

Skipped, with the reason, where no Chromium is installed; CI (.ci/run) installs it and sets
EMULATOR_BROWSER_TESTS=required, so there a missing browser fails instead. SANDBOX_SCREENSHOT=path
saves the README's screenshot of a conversation there (docs/sandbox-conversation.png)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from emulator import scenarios
from emulator.settings import Settings
from emulator.testing import EmulatorServer, WebhookReceiver, twilio_client

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
DRIVER = shutil.which("chromedriver")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the test extra brings it; a bare install may not have it
    webdriver = None  # type: ignore[assignment]

MISSING = [name for name, found in (("chromium", CHROMIUM), ("chromedriver", DRIVER), ("selenium", webdriver)) if not found]
REQUIRED = os.environ.get("EMULATOR_BROWSER_TESTS") == "required"
if MISSING and REQUIRED:
    raise RuntimeError(f"EMULATOR_BROWSER_TESTS=required but {', '.join(MISSING)} is missing")
HINTS = {"chromium": "apt-get install chromium", "chromedriver": "apt-get install chromium-driver",
         "selenium": "pip install -e '.[test]'"}
pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"browser tests of the sandbox page need {' and '.join(MISSING)} "
    f"({'; '.join(HINTS[m] for m in MISSING)})",
)

ACCOUNT, TOKEN = "AC" + "d4" * 16, "d" * 32
NUMBER, HANDSET = "+15557650001", "+15551230001"
STOP_REPLY = "You have successfully been unsubscribed."
WAIT = 10  # seconds a page may take to show a change (it takes milliseconds)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="sandbox-chromium-")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1100,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, css: str, text: str | None = None):
    condition = (ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text) if text
                 else ec.presence_of_element_located((By.CSS_SELECTOR, css)))
    WebDriverWait(driver, WAIT).until(condition, f"{css} {text or ''} did not show")
    return driver.find_element(By.CSS_SELECTOR, css)


def test_send_open_stop_refused_webhook_and_export(browser, tmp_path):
    with EmulatorServer() as server, WebhookReceiver() as hooks:
        hooks.respond("/sms", "<Response/>")
        fixtures = {"accounts": [{"sid": ACCOUNT, "auth_token": TOKEN,
                                  "numbers": [{"phone_number": NUMBER, "sms_url": hooks.url("/sms")}]}]}
        assert requests.post(f"{server.url}/_emulator/fixtures", json=fixtures, timeout=5).status_code == 204
        client = twilio_client(server.url, ACCOUNT, TOKEN)

        # Sent from the API, listed, opened.
        client.messages.create(to=HANDSET, from_=NUMBER, body="Your code is 1234")
        browser.get(f"{server.url}/_emulator/")
        wait_for(browser, "#live-status", "live")
        link = wait_for(browser, f'a[data-conversation="{HANDSET}|{NUMBER}"]')
        assert "Your code is 1234" in link.text and not link.find_elements(By.CSS_SELECTOR, ".opted-out")
        link.click()
        wait_for(browser, "#live-status", "live")
        wait_for(browser, ".bubble.out.status-delivered .body", "Your code is 1234")
        browser.execute_script("window.notReloaded = true")
        assert browser.current_url.endswith(f"/_emulator/ui/conversations/{ACCOUNT}/{NUMBER}/{HANDSET}")

        # STOP as the handset: the opt-out badge and Twilio's auto-reply appear.
        browser.find_element(By.CSS_SELECTOR, '.keywords button[value="STOP"]').click()
        wait_for(browser, ".thread-head .badge.opted-out", f"Opted out of {NUMBER}")
        wait_for(browser, '.bubble[data-kind="auto_reply"] .body', STOP_REPLY)
        stop = next(m for m in server.control.messages(ACCOUNT) if m["body"] == "STOP")
        assert browser.find_element(By.ID, stop["sid"]).get_attribute("class").startswith("bubble in")

        # Sent again from the API: refused, and the page shows it by itself (the event stream).
        with pytest.raises(TwilioRestException) as refused:
            client.messages.create(to=HANDSET, from_=NUMBER, body="We miss you")
        assert refused.value.code == 21610
        refusal = wait_for(browser, '.bubble[data-kind="refusal"]', "21610")
        assert "We miss you" in refusal.text and "Attempt to send to unsubscribed recipient" in refusal.text
        cause = refusal.find_element(By.LINK_TEXT, "the STOP that caused it")
        assert cause.get_attribute("href").endswith(f"#{stop['sid']}")
        assert browser.execute_script("return window.notReloaded") is True  # updated in place
        if os.environ.get("SANDBOX_SCREENSHOT"):
            browser.set_window_size(520, 1250)
            browser.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
            browser.save_screenshot(os.environ["SANDBOX_SCREENSHOT"])
            browser.set_window_size(1100, 900)

        # The webhook log: the STOP's delivery, its signature valid with the account's token.
        server.control.wait_for_webhooks()
        (delivery,) = server.control.webhooks(ACCOUNT)
        assert RequestValidator(TOKEN).validate(delivery["url"], delivery["params"],
                                                delivery["headers"]["X-Twilio-Signature"])
        browser.get(f"{server.url}/_emulator/ui/webhooks")
        article = wait_for(browser, f"#webhook-{delivery['id']}")
        assert "incoming-message" in article.text.lower() and hooks.url("/sms") in article.text
        signed = article.find_element(By.CSS_SELECTOR, "[data-signature]")
        assert signed.get_attribute("data-signature") == "valid" and "twilio's RequestValidator" in signed.text

        # Export the conversation as a scenario, from the page.
        browser.get(f"{server.url}/_emulator/ui/conversations/{ACCOUNT}/{NUMBER}/{HANDSET}")
        wait_for(browser, '.bubble[data-kind="refusal"]')
        browser.find_element(By.XPATH, '//button[text()="Scenario (TOML)"]').click()
        exported = wait_for(browser, "#export-output", "[[steps]]").text
        scenario_file = tmp_path / "exported.toml"
        scenario_file.write_text(exported + "\n", encoding="utf-8")

        # The ledger: the record, the send it refused; removed from the page, sends go through.
        browser.get(f"{server.url}/_emulator/ui/opt-outs")
        row = wait_for(browser, f'tr[data-opt-out="{HANDSET}"]')
        assert "keyword" in row.text and "1 send" in row.text
        row.find_element(By.XPATH, './/button[text()="Remove"]').click()
        wait_for(browser, "#flash", "Done.")
        WebDriverWait(browser, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "tr[data-opt-out]"))
        assert client.messages.create(to=HANDSET, from_=NUMBER, body="Welcome back").status == "queued"

        # The harness runs the export green, in an account of its own (the numbers freed first).
        server.control.reset()
        result = scenarios.run(scenarios.load(scenario_file), server.url, receiver=hooks)
        assert result.passed, result.report()


def test_with_a_control_token_the_page_asks_once_and_sends_it(browser):
    """The real --control-token guard: the page's shells load without the token; its data, its event
    stream (?token=) and its changes (JSON, Authorization: Bearer) need it."""
    with EmulatorServer(Settings(control_token="s3cret")) as server:
        server.control.load_fixtures({"accounts": [{"sid": ACCOUNT, "auth_token": TOKEN,
                                                    "numbers": [{"phone_number": NUMBER}]}]})
        browser.get(f"{server.url}/_emulator/")
        dialog = wait_for(browser, "#token-dialog[open]")
        dialog.find_element(By.ID, "token-input").send_keys("wrong")
        dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(browser, "#token-error", "refused")  # asked again, saying why
        browser.find_element(By.ID, "token-input").clear()
        browser.find_element(By.ID, "token-input").send_keys("s3cret")
        browser.find_element(By.CSS_SELECTOR, "#token-dialog button[type=submit]").click()
        wait_for(browser, "#live-status", "live")
        wait_for(browser, "section[data-part] .empty", "No conversations yet")

        # A change from the page passes the guard, and its event (on the ?token= stream) shows it.
        browser.find_element(By.CSS_SELECTOR, "details.panel summary").click()
        browser.find_element(By.ID, "new-from").send_keys(HANDSET)
        browser.find_element(By.ID, "new-to").send_keys(NUMBER)
        browser.find_element(By.ID, "new-body").send_keys("STOP")
        browser.find_element(By.XPATH, '//button[text()="Send as the handset"]').click()
        wait_for(browser, "details.panel output", "Sent (STOP).")
        wait_for(browser, f'a[data-conversation="{HANDSET}|{NUMBER}"] .opted-out')
        assert [r["recipient"] for r in server.control.opt_outs(ACCOUNT)] == [HANDSET]

        browser.refresh()  # the tab keeps it: not asked again
        wait_for(browser, "#live-status", "live")
        wait_for(browser, f'a[data-conversation="{HANDSET}|{NUMBER}"]')
        assert not browser.find_elements(By.CSS_SELECTOR, "#token-dialog[open]")
        assert browser.execute_script("return sessionStorage.getItem('twilio-emulator-control-token')") == "s3cret"

        # A link with the token hands it over: no question, and the address bar loses it.
        browser.execute_script("sessionStorage.clear()")
        browser.get(f"{server.url}/_emulator/ui/opt-outs?token=s3cret")
        wait_for(browser, "#live-status", "live")
        wait_for(browser, f'tr[data-opt-out="{HANDSET}"]')
        assert browser.current_url == f"{server.url}/_emulator/ui/opt-outs"
        assert not browser.find_elements(By.CSS_SELECTOR, "#token-dialog[open]")
        browser.execute_script("sessionStorage.clear()")
