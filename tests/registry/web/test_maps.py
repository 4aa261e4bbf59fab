"""OGC API – Features (Core, GeoJSON) against the standard's requirements and the database,
and read by standard clients (OWSLib, GDAL/OGR's OAPIF driver)."""

import re
import shutil
import subprocess

import httpx
import pytest
from shapely.geometry import shape
from sqlalchemy import text

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


@pytest.fixture(scope="module")
def ogc(live_server, demo_data):
    return f"http://127.0.0.1:{live_server}/ogc"


def get(url, **params):
    # no params argument at all when there are none: httpx would drop the URL's own query
    return httpx.get(url, params=params, timeout=30) if params else httpx.get(url, timeout=30)


def db(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).all()


def rel(document, name):
    return next((link["href"] for link in document["links"] if link["rel"] == name), None)


def test_landing_conformance_and_collections(ogc):
    landing = get(ogc).json()
    assert rel(landing, "conformance") and rel(landing, "data")
    assert {CORE, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"} <= set(
        get(rel(landing, "conformance")).json()["conformsTo"]
    )
    collections = get(rel(landing, "data")).json()["collections"]
    assert [c["id"] for c in collections] == ["projects", "land-parcels"]
    for c in collections:
        bbox = c["extent"]["spatial"]["bbox"][0]
        assert 115.4 < bbox[0] < bbox[2] < 116.7 and 28.2 < bbox[1] < bbox[3] < 29.2
        assert (
            get(rel(c, "items"), limit=1).headers["content-type"].startswith("application/geo+json")
        )


def test_paging_by_next_links_returns_every_project_once(ogc, demo_data):
    url, seen, pages = f"{ogc}/collections/projects/items", [], 0
    page = get(url, limit=7).json()
    while True:
        pages += 1
        assert page["numberReturned"] == len(page["features"])
        seen += [f["id"] for f in page["features"]]
        if pages > 1:
            assert rel(page, "prev")
        if not rel(page, "next"):
            break
        page = get(rel(page, "next")).json()
    codes = {r[0] for r in db(demo_data, "SELECT code FROM projects")}
    assert len(seen) == len(set(seen)) == page["numberMatched"] == len(codes) and set(seen) == codes


def test_bbox_and_property_filters_match_the_database(ogc, demo_data):
    bbox = [115.85, 28.64, 115.95, 28.70]
    page = get(f"{ogc}/collections/projects/items", bbox=",".join(map(str, bbox)), limit=100).json()
    expected = {
        r[0]
        for r in db(
            demo_data,
            "SELECT DISTINCT p.code FROM projects p JOIN sites s ON "
            "s.project_id = p.id WHERE ST_Intersects(s.geom, "
            f"ST_MakeEnvelope({', '.join(map(str, bbox))}, 4326))",
        )
    }
    assert {f["id"] for f in page["features"]} == expected and page["numberMatched"] == len(
        expected
    )
    completed = get(
        f"{ogc}/collections/projects/items", status="completed", region="360111", limit=100
    ).json()
    assert {f["id"] for f in completed["features"]} == {
        r[0]
        for r in db(
            demo_data,
            "SELECT code FROM projects WHERE status = 'completed' AND region_code = '360111'",
        )
    }
    with_design = get(
        f"{ogc}/collections/projects/items", category="design_change", limit=100
    ).json()
    assert all("design_change" in f["properties"]["categories"] for f in with_design["features"])
    assert (
        with_design["numberMatched"]
        == db(
            demo_data,
            "SELECT count(DISTINCT project_id) FROM disclosures WHERE category = 'design_change'",
        )[0][0]
    )


def test_properties_say_what_is_disclosed_and_who_is_responsible(ogc):
    feature = get(f"{ogc}/collections/projects/items/2019-360100-48-01-100000").json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "GeometryCollection"
    properties = feature["properties"]
    assert properties["name"] == "南昌地铁4号线" and len(properties["categories"]) == 8
    assert properties["responsible"]["construction"] == ["南昌市建设局"]
    assert properties["is_synthetic"] is True


def test_output_for_chinese_base_maps(ogc):
    url = f"{ogc}/collections/projects/items/2112-360121-48-01-226704"
    wgs, gcj = get(url).json(), get(url, crs="gcj02")
    uri = f"{ogc}/crs/gcj02"
    assert gcj.headers["content-crs"] == f"<{uri}>"  # a URI, which says what it names
    assert get(uri).json()["name"] == "GCJ-02"
    shift = shape(gcj.json()["geometry"]).x - shape(wgs["geometry"]).x
    assert 0.003 < shift < 0.008
    assert get(url, crs=uri).json()["geometry"] == gcj.json()["geometry"]  # by URI too
    collection = get(f"{ogc}/collections/projects").json()
    assert collection["crs"][0].endswith("CRS84") and uri in collection["crs"]
    links = {link["rel"]: link for link in wgs["links"]}
    assert links["self"]["href"] == url and links["alternate"]["type"] == "text/html"


@pytest.mark.parametrize(
    "path",
    ["", "/conformance", "/collections", "/collections/projects", "/collections/projects/items",
     "/collections/land-parcels/items", "/collections/projects/items/2112-360121-48-01-226704",
     "/api"],
)  # fmt: skip
def test_every_ogc_resource_is_also_a_page(ogc, path):
    by_f = get(f"{ogc}{path}", f="html")
    by_accept = httpx.get(f"{ogc}{path}", headers={"Accept": "text/html"}, timeout=30)
    for page in (by_f, by_accept):
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<main id="main">' in page.text and "f=json" in page.text  # and its JSON
    assert get(f"{ogc}{path}").headers["content-type"].startswith("application/")  # JSON stays
    assert get(f"{ogc}{path}", f="xml").status_code == 400


def test_land_parcels_are_the_public_land_acquisition_geometries(ogc, demo_data):
    page = get(f"{ogc}/collections/land-parcels/items", limit=1000).json()
    expected = db(
        demo_data,
        "SELECT count(*) FROM disclosures WHERE category = 'land_acquisition' "
        "AND geom IS NOT NULL AND status = 'published' AND audience = 'public'",
    )[0][0]
    assert page["numberMatched"] == len(page["features"]) == expected > 0
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in page["features"])


@pytest.mark.parametrize(
    "path, params, status",
    [
        ("/collections/roads/items", {}, 404),
        ("/collections/projects/items/2099-360100-48-01-000000", {}, 404),
        ("/collections/land-parcels/items/not-a-number", {}, 404),
        ("/collections/projects/items", {"colour": "red"}, 400),
        ("/collections/projects/items", {"bbox": "116,28,115,29"}, 400),
        ("/collections/projects/items", {"limit": "0"}, 400),
        ("/collections/projects/items", {"crs": "EPSG:3857"}, 400),
    ],
)
def test_refusals_carry_a_status_and_a_code(ogc, path, params, status):
    response = get(ogc + path, **params)
    assert response.status_code == status and response.json()["code"]


def test_owslib_lists_and_reads_the_collections(ogc):
    from owslib.ogcapi.features import Features

    api = Features(ogc)
    assert {c["id"] for c in api.collections()["collections"]} == {"projects", "land-parcels"}
    items = api.collection_items("projects", limit=5)
    assert len(items["features"]) == 5 and items["numberMatched"] >= 30
    definition = api.api()  # the landing page's service-desc (/req/core/root-success)
    assert definition["openapi"].startswith("3.0")


def test_the_api_definition_describes_every_route_and_parameter_the_server_takes(ogc):
    from registry.reading.layers import COLLECTIONS
    from registry.reading.ogc_params import COMMON_PARAMS

    landing = get(ogc).json()
    (desc,) = [link for link in landing["links"] if link["rel"] == "service-desc"]
    response = get(desc["href"])
    assert response.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    for coll in COLLECTIONS.values():
        items = paths[f"/ogc/collections/{coll.id}/items"]["get"]
        named = {p["name"] for p in items["parameters"]}
        assert named == set(COMMON_PARAMS | coll.filters)
        # every parameter it names is one the server accepts, with a value it accepts
        assert get(f"{ogc}/collections/{coll.id}/items", limit="1").status_code == 200
    server = response.json()["servers"][0]["url"]
    for path in paths:
        if "{" not in path:
            assert get(server + path).status_code == 200, path
    assert "oas30" in " ".join(get(f"{ogc}/conformance").json()["conformsTo"])


@pytest.mark.skipif(not shutil.which("ogrinfo"), reason="make test installs gdal-bin")
def test_gdal_ogr_reads_the_collections(ogc):
    listing = subprocess.run(
        ["ogrinfo", "-ro", "-q", f"OAPIF:{ogc}"], capture_output=True, text=True, timeout=120
    )
    assert listing.returncode == 0, listing.stderr
    assert "projects" in listing.stdout and "land-parcels" in listing.stdout
    summary = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{ogc}", "projects"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert summary.returncode == 0, summary.stderr
    count = int(re.search(r"Feature Count: (\d+)", summary.stdout).group(1))
    assert count >= 30 and "name: String" in summary.stdout
    features = subprocess.run(
        ["ogrinfo", "-ro", "-q", f"OAPIF:{ogc}", "land-parcels"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert features.returncode == 0 and "POLYGON" in features.stdout
