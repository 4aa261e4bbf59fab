"""GraphiQL works in a real browser from the registry's own assets (no CDN)."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium, screenshot


def test_graphiql_runs_the_default_query(gql):
    base = gql.url
    with chromium() as browser:
        browser.get(base)
        wait = WebDriverWait(browser, 30)
        wait.until(
            ready.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button"))
        ).click()
        wait.until(lambda b: "totalCount" in b.find_element(By.CSS_SELECTOR, ".result-window").text)
        result = browser.find_element(By.CSS_SELECTOR, ".result-window").text
        requests = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        path = screenshot(browser, "graphiql.png")
    assert '"distance"' in result and "南昌" in result
    assert requests and all(r.startswith(base.rsplit("/", 1)[0]) for r in requests), requests
    assert path.stat().st_size > 10_000
