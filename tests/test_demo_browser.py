"""The demo page end to end: Debian's headless chromium, driven by Selenium through chromium-driver,
against a real `newsdesk serve` (the `live_server` fixture). Screenshots go to tests/artifacts/.

`make test` installs chromium and chromium-driver where they are missing; where they cannot be had,
this module skips and says why. Selenium Manager is never asked for anything: the driver's path is
given, so nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from contract import GERMAN

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra)")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CONFLICT = "medtop:16000000"
LAUNCH_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                # Offline, as the service runs: a page that needs another host fails here too.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
DESKTOP, PHONE = (1280, 1100), (390, 844)
WAIT_S = 120  # an analysis takes well under a second alone, but CI shares two cores with other work

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER} (Debian packages chromium, chromium-driver; "
           "`make test` installs them when it runs as root)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in LAUNCH_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: WebDriver):
    return WebDriverWait(driver, WAIT_S)


def texts(driver: WebDriver, css: str) -> list[str]:
    return [e.get_attribute("textContent") for e in driver.find_elements(By.CSS_SELECTOR, css)]


def screenshot(driver: WebDriver, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under tests/artifacts/: the whole page (the window grown to the document), or what
    the window shows now."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(driver.get_window_size()["width"], height + 140)
    assert driver.save_screenshot(str(path))
    return path


def fill(driver: WebDriver, values: dict[str, str]) -> None:
    for field_id, value in values.items():
        field = driver.find_element(By.ID, field_id)
        field.clear()
        field.send_keys(value)


def analyze(driver: WebDriver, base_url: str, text: str, options: dict) -> dict:
    """Press Analyze, wait for the page to finish, and return what the API answers to the same request
    (the page asks for `sentences` too, to place the evidence)."""
    driver.find_element(By.ID, "analyze").click()  # the status says "Analyzing…" once the click returns
    wait(driver).until(ec.text_to_be_present_in_element((By.ID, "status"), "Done"))
    r = httpx.post(f"{base_url}/v1/analyze", json={"text": text, "options": {**options, "sentences": True}},
                   timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def nested_order(tags: list[dict]) -> list[str]:
    """The codes as the page lists them: the API's score order, each child moved under its parent."""
    codes = {t["code"] for t in tags}
    roots = [t for t in tags if t["parent"] not in codes]
    return [c for r in roots for c in [r["code"], *(t["code"] for t in tags if t["parent"] == r["code"])]]


def console_errors(driver: WebDriver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_analyze_the_example_then_show_errors(browser: WebDriver, live_server: str, seed_text: str,
                                              tmp_path: Path):
    browser.get(f"{live_server}/")
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "model-status"), "ready"))

    # Opening a .txt file fills the text (the same code path as dropping one); anything else is refused.
    article = tmp_path / "article.txt"
    article.write_text("Rain fell on Paris. ✈ Flights were delayed.\n", encoding="utf-8")
    browser.find_element(By.ID, "file").send_keys(str(article))
    wait(browser).until(lambda d: d.find_element(By.ID, "text").get_property("value"))
    assert browser.find_element(By.ID, "text").get_property("value") == article.read_text(encoding="utf-8")
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    browser.find_element(By.ID, "file").send_keys(str(picture))
    error = wait(browser).until(ec.visibility_of_element_located((By.ID, "error")))
    assert "Only plain-text files can be opened here." in error.text and "photo.png" in error.text

    browser.find_element(By.ID, "example").click()
    wait(browser).until(lambda d: d.find_element(By.ID, "text").get_property("value"))
    assert browser.find_element(By.ID, "text").get_property("value") == seed_text
    assert not browser.find_element(By.ID, "error").is_displayed()

    # Default options: the conflict tag with its code, and three summary sentences highlighted in place,
    # exactly the API's at its offsets.
    expected = analyze(browser, live_server, seed_text, {})
    tag_codes = [b.get_attribute("data-code") for b in browser.find_elements(By.CSS_SELECTOR, ".tag")]
    assert tag_codes == nested_order(expected["tags"]) and CONFLICT in tag_codes
    conflict_button = browser.find_element(By.CSS_SELECTOR, f'.tag[data-code="{CONFLICT}"]')
    assert "conflict" in conflict_button.text.lower() and CONFLICT in conflict_button.text
    marked = texts(browser, "#article mark.summary-sentence")
    assert len(marked) == 3
    assert marked == [s["text"] for s in expected["summary"]["sentences"]] == texts(browser, "#summary li")
    assert browser.find_element(By.ID, "article").get_attribute("textContent") == seed_text

    # Entities grouped by type with counts, keywords, model and timing.
    groups = browser.find_elements(By.CSS_SELECTOR, "#entities .entity-group")
    assert len(groups) == len({e["type"] for e in expected["entities"]})
    iraq = next(e for e in expected["entities"] if e["text"] == "Iraq")
    assert f"Iraq×{iraq['count']}" in texts(browser, "#entities li")
    assert len(texts(browser, "#keywords li")) == len(expected["keywords"]) > 0
    meta = browser.find_element(By.ID, "meta").text
    assert f"{expected['model']['name']} {expected['model']['version']}" in meta and " ms" in meta

    # The options reach the API: every tag above 0, four of them, a two-sentence summary.
    browser.find_element(By.CSS_SELECTOR, ".options summary").click()
    fill(browser, {"max-tags": "4", "min-score": "0", "summary-sentences": "2"})
    options = {"max_tags": 4, "min_score": 0, "summary_sentences": 2}
    expected = analyze(browser, live_server, seed_text, options)
    tags = expected["tags"]
    assert [b.get_attribute("data-code") for b in browser.find_elements(By.CSS_SELECTOR, ".tag")] == (
        nested_order(tags))
    assert len(tags) == 4 and tags[0]["code"] == CONFLICT
    assert len(texts(browser, "#article mark.summary-sentence")) == 2
    for tag in tags:  # each bar is as long as its confidence
        filled = browser.execute_script(
            "const bar = document.querySelector(`.tag[data-code='${arguments[0]}'] .bar`);"
            "return bar.firstChild.getBoundingClientRect().width / bar.getBoundingClientRect().width;",
            tag["code"])
        assert filled == pytest.approx(tag["score"], abs=0.01), tag

    # Selecting a tag highlights its evidence sentences; hovering another shows that one's meanwhile.
    spans = {s["index"]: seed_text[s["start"] : s["end"]] for s in expected["sentences"]}

    def evidence_of(tag: dict) -> list[str]:
        return [spans[i] for i in sorted(tag["evidence"])]

    def button(tag: dict) -> WebElement:
        return browser.find_element(By.CSS_SELECTOR, f'.tag[data-code="{tag["code"]}"]')

    conflict, other = tags[0], next(t for t in tags if evidence_of(t) != evidence_of(tags[0]))
    button(conflict).click()
    assert button(conflict).get_attribute("aria-pressed") == "true"
    assert texts(browser, "#article .evidence") == evidence_of(conflict)
    ActionChains(browser).move_to_element(button(other)).perform()
    assert texts(browser, "#article .evidence") == evidence_of(other)
    ActionChains(browser).move_to_element(browser.find_element(By.TAG_NAME, "h1")).perform()
    assert texts(browser, "#article .evidence") == evidence_of(conflict)

    # Keyboard: a tag is a button; Space selects it, and only it.
    button(other).send_keys(Keys.SPACE)
    assert button(other).get_attribute("aria-pressed") == "true"
    assert button(conflict).get_attribute("aria-pressed") == "false"
    button(conflict).send_keys(Keys.SPACE)  # back to the conflict tag for the screenshot
    browser.find_element(By.TAG_NAME, "h1").click()

    assert console_errors(browser) == [], "the page logged errors (a CSP violation, a script error)"
    browser.execute_script("document.getElementById('results').scrollIntoView()")
    screenshot(browser, "demo-page-results.png", full_page=False)  # the one in docs/
    screenshot(browser, "demo-page.png")

    # Readable on a phone: nothing wider than the screen.
    browser.set_window_size(*PHONE)
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a {PHONE[0]} px screen"
    screenshot(browser, "demo-page-phone-form.png", full_page=False)
    browser.execute_script("document.getElementById('results').scrollIntoView()")
    screenshot(browser, "demo-page-phone-results.png", full_page=False)
    browser.set_window_size(*DESKTOP)

    # Custom labels typed by the user replace the IPTC topics.
    fill(browser, {"labels": "military, diplomacy\nfootball"})
    labels = ["military", "diplomacy", "football"]
    expected = analyze(browser, live_server, seed_text, {**options, "labels": labels})
    codes = [b.get_attribute("data-code") for b in browser.find_elements(By.CSS_SELECTOR, ".tag")]
    assert codes == [t["code"] for t in expected["tags"]] and set(codes) == set(labels)

    # An error from the API is a readable message, not a blank page; stale results are hidden.
    browser.find_element(By.ID, "text").clear()
    browser.find_element(By.ID, "analyze").click()
    error = wait(browser).until(ec.visibility_of_element_located((By.ID, "error")))
    assert "The article could not be analysed as given." in error.text
    assert "Text is empty or only whitespace." in error.text and "HTTP 422" in error.text
    assert not browser.find_element(By.ID, "results").is_displayed()
    screenshot(browser, "demo-page-error.png")

    # Too long: the server's body limit (1 MB by default) comes back as a 413 with its message.
    browser.execute_script("document.getElementById('text').value = 'word '.repeat(300000);")
    browser.find_element(By.ID, "analyze").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "error"), "too long"))
    assert "HTTP 413" in browser.find_element(By.ID, "error").text


def test_text_in_another_language_says_why_it_has_no_tags(browser: WebDriver, live_server: str):
    browser.get(f"{live_server}/")
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "model-status"), "ready"))
    fill(browser, {"text": GERMAN})
    assert analyze(browser, live_server, GERMAN, {})["tags"] == []
    assert "not in a language the models read" in texts(browser, "#tags li.empty")[0]


def test_the_api_docs_render_offline(browser: WebDriver, live_server: str):
    """Swagger UI draws the API from /openapi.json with its script and styles from this server (the
    browser resolves no other host: with a CDN's script the page stays blank)."""
    console_errors(browser)  # reading the log empties it: what earlier tests left is not this page's
    browser.get(f"{live_server}/docs")
    path = (By.CSS_SELECTOR, ".swagger-ui .opblock-summary-path")
    wait(browser).until(ec.presence_of_element_located(path))
    assert "/v1/analyze" in texts(browser, ".swagger-ui .opblock-summary-path")
    assert "newsdesk" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    assert not console_errors(browser)


# Markup a caller can put in what the page shows: labels (tag names), the article (shown with its sentences
# marked, and its entities, keywords and summary are its words), a file's name (quoted in an error).
XSS = ['<img src=x onerror="window.pwned=1">', '"><svg onload="window.pwned=2">',
       "<script>window.pwned=3</script>"]


def test_markup_in_the_request_and_the_answer_is_shown_as_text_never_run(browser: WebDriver, live_server: str,
                                                                         tmp_path: Path):
    """Everything from the article, the labels or the server is set as text. Were markup parsed, its
    elements would be in the page and the CSP's refusal of their inline handlers a console error."""
    console_errors(browser)  # reading the log empties it: what earlier tests left is not this page's
    browser.get(f"{live_server}/")
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "model-status"), "ready"))
    named = tmp_path / '<img src=x onerror="window.pwned=4">.png'
    named.write_bytes(b"\x89PNG\r\n\x1a\n")
    browser.find_element(By.ID, "file").send_keys(str(named))
    error = wait(browser).until(ec.visibility_of_element_located((By.ID, "error")))
    assert named.name in error.text

    text = ("Flood <b>defences</b> failed in Riverside on Monday, said Jane O'Brien of the \"River Trust\". "
            f"Residents posted {XSS[0]} and {XSS[1]} on the council's site about the flood.\n"
            f"The council said {XSS[2]} had been removed and the river was falling by Tuesday evening.")
    browser.execute_script("document.getElementById('text').value = arguments[0];", text)
    browser.find_element(By.CSS_SELECTOR, ".options summary").click()
    fill(browser, {"labels": "\n".join(XSS), "min-score": "0"})
    expected = analyze(browser, live_server, text, {"labels": XSS, "min_score": 0})
    assert sorted(t["label"] for t in expected["tags"]) == sorted(XSS)
    assert sorted(texts(browser, ".tag .tag-name")) == sorted(XSS)
    assert browser.find_element(By.ID, "article").get_attribute("textContent") == text
    assert texts(browser, "#summary li") == [s["text"] for s in expected["summary"]["sentences"]]
    assert len(texts(browser, "#entities li")) == len(expected["entities"])
    assert browser.find_elements(By.CSS_SELECTOR, "main img, main svg, main script") == []
    assert browser.execute_script("return window.pwned") is None
    assert console_errors(browser) == []
