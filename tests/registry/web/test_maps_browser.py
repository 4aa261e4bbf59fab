"""The /map page in headless Chromium: projects, parcels and the district sketch render; a
click opens one popup with the eight categories and the project page's link; the search
finds a project and flies to it; names are drawn when zoomed in; a scale bar is shown."""

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
        assert (
            len(browser.find_elements(By.CSS_SELECTOR, ".maplibregl-popup")) == 1
        )  # one click, one
        assert browser.find_elements(By.CSS_SELECTOR, ".maplibregl-ctrl-scale")
        parcels = browser.execute_script(
            "return window.registryMap.queryRenderedFeatures({layers: ['parcel-areas']}).length"
        )
        assert parcels > 0
        assert len(browser.find_elements(By.CSS_SELECTOR, ".district")) >= 5  # district names
        search = browser.find_element(By.ID, "search-text")
        search.send_keys("地铁4号线")
        browser.find_element(By.CSS_SELECTOR, "#search button").click()
        WebDriverWait(browser, 30).until(
            lambda b: "南昌地铁4号线" in b.find_element(By.ID, "results").text
        )
        WebDriverWait(browser, 30).until(  # one result: the map flies there and opens it
            lambda b: any("南昌地铁4号线" in p.text
                          for p in b.find_elements(By.CSS_SELECTOR, ".maplibregl-popup .project"))
        )  # fmt: skip
        assert len(browser.find_elements(By.CSS_SELECTOR, ".maplibregl-popup")) == 1
        browser.execute_script(  # zoomed in, the names are drawn
            "window.registryMap.jumpTo({center: window.registryMap.getCenter(), zoom: 14})"
        )
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".label"))
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
    assert link.endswith(f"/projects/{found['code']}")
    assert all(r.startswith(base) for r in requests), [
        r for r in requests if not r.startswith(base)
    ]
