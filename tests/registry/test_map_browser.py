"""The /map page in headless Chromium: projects render, a click shows the eight categories."""

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium, screenshot

RENDERED = """
const map = window.registryMap;
if (!map || !map.loaded()) return null;
const layers = ["project-points", "project-lines", "project-areas"];
const features = map.queryRenderedFeatures({layers});
const point = features.find(f => f.layer.id === "project-points");
if (!point) return null;
const at = map.project(point.geometry.type === "Point" ? point.geometry.coordinates : point.geometry.coordinates[0]);
return {count: features.length, types: [...new Set(features.map(f => f.geometry.type))],
        code: point.properties.code, x: at.x, y: at.y,
        canvas: [map.getCanvas().clientWidth, map.getCanvas().clientHeight]};
"""


def test_the_map_renders_projects_and_a_click_opens_the_categories(live_server, demo_data):
    base = f"http://127.0.0.1:{live_server}"
    with chromium(1200, 800, webgl=True) as browser:
        browser.get(f"{base}/map")
        found = WebDriverWait(browser, 60).until(lambda b: b.execute_script(RENDERED))
        assert found["count"] > 10 and {"Point", "LineString", "Polygon"} <= set(found["types"])
        assert browser.find_element(By.CSS_SELECTOR, ".synthetic").is_displayed()
        canvas = browser.find_element(By.CSS_SELECTOR, "#map canvas")
        width, height = found["canvas"]
        ActionChains(browser).move_to_element_with_offset(
            canvas, int(found["x"] - width / 2), int(found["y"] - height / 2)
        ).click().perform()
        popup = WebDriverWait(browser, 30).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, ".maplibregl-popup .project")
        )[0]
        # textContent, not .text: rows scrolled out of the popup are there but not "displayed"
        WebDriverWait(browser, 10).until(
            lambda b: "竣工有关信息" in popup.get_attribute("textContent")
        )
        text = popup.get_attribute("textContent")
        link = popup.find_element(By.TAG_NAME, "a").get_attribute("href")
        requests = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        screenshot(browser, "map.png")
    for category in (
        "批准服务信息",
        "批准结果信息",
        "招标投标信息",
        "征收土地信息",
        "重大设计变更信息",
        "施工有关信息",
        "质量安全监督信息",
        "竣工有关信息",
    ):
        assert category in text
    assert "/graphql?query=" in link
    assert all(r.startswith(base) for r in requests), [
        r for r in requests if not r.startswith(base)
    ]
