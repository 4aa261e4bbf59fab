"""GraphiQL works in a real browser from the registry's own assets (no CDN)."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium, csp_violations, screenshot


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
        blocked = csp_violations(browser)
    assert blocked == []  # GraphiQL runs under the page's Content-Security-Policy
    assert '"distance"' in result and "南昌" in result
    assert requests and all(r.startswith(base.rsplit("/", 1)[0]) for r in requests), requests
    assert path.stat().st_size > 10_000


def test_graphiql_s_docs_explorer_and_completion_work(gql):
    """Both come from introspection: the explorer opened on Project lists its fields with
    their descriptions, and typing in the editor offers the fields of the type there."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    with chromium() as browser:
        browser.get(gql.url)
        wait = WebDriverWait(browser, 30)
        wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR,
            '.graphiql-sidebar button[aria-label="Show Documentation Explorer"]'))).click()  # fmt: skip
        wait.until(lambda b: any(
            a.text == "Project"
            for a in b.find_elements(By.CSS_SELECTOR, "a.graphiql-doc-explorer-type-name")
        ))  # fmt: skip
        next(
            a
            for a in browser.find_elements(By.CSS_SELECTOR, "a.graphiql-doc-explorer-type-name")
            if a.text == "Project"
        ).click()
        wait.until(
            lambda b: (
                b.find_element(By.CSS_SELECTOR, ".graphiql-doc-explorer-title").text == "Project"
            )
        )
        explorer = browser.find_element(By.CSS_SELECTOR, ".graphiql-doc-explorer-content").text
        browser.find_element(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror").click()
        keys = ActionChains(browser).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL)
        keys.send_keys(Keys.DELETE).send_keys("{ projects { nodes { appr").perform()
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li"))
        offered = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li")]
        screenshot(browser, "graphiql-completion.png")
    assert "项目统一代码" in explorer and "approvalResults" in explorer
    assert {"approvedOn", "approvalService", "approvalResults"} <= set(offered), offered
