"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, for tests
where a page is the point. `make test` installs both where missing."""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@contextmanager
def chromium(width: int = 1280, height: int = 800, webgl: bool = False):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "install Debian's chromium and chromium-driver (make test does)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    profile = tempfile.mkdtemp(prefix="chromium-")
    # WebGL (for maps) comes from SwiftShader, the software renderer, in headless Chromium.
    graphics = (
        ("--use-angle=swiftshader", "--enable-unsafe-swiftshader") if webgl else ("--disable-gpu",)
    )
    for flag in (
        "--headless=new",
        "--no-sandbox",
        *graphics,
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for tests
    browser = webdriver.Chrome(service=Service(driver), options=options)
    # every document records what its Content-Security-Policy blocked (csp_violations)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_WATCH})
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
   sample: e.sample}));
"""


def csp_violations(browser) -> list[dict]:
    """What the page's Content-Security-Policy blocked since it was loaded."""
    return browser.execute_script("return window.__cspViolations || []")


def screenshot(browser, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    browser.save_screenshot(str(path))
    return path


AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(result => done(result.violations.map(
  v => ({id: v.id, impact: v.impact, help: v.help,
         targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))));
"""


def accessibility_violations(browser) -> list[dict]:
    """What axe-core (from npm, installed by `make assets`) finds on the page shown."""
    assert AXE.exists(), "npm ci installs axe-core (make assets does)"
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    browser.set_script_timeout(60)
    return browser.execute_async_script(AXE_RUN)


def console_errors(browser) -> list[dict]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
