"""Spatial filters against independently computed truth: shapely for bbox and intersects,
pyproj geodesics (in a local azimuthal equidistant projection) for distances."""

import random

import pytest
import shapely
from pyproj import Proj
from shapely.geometry import LineString, Point, box, mapping
from sqlalchemy.orm import Session

from bench.geometries import NANCHANG, random_geometry
from registry import publishing as pub
from registry.publishing import Actor
from tests.conftest import truncate

COUNT = 150
CROSSING_CODE = "2303-360100-48-01-900001"
CROSSING = LineString([(115.80, 28.70), (115.90, 28.78)])  # crosses BOX with no vertex inside
BOX = (115.84, 28.72, 115.86, 28.74)


def code(i: int) -> str:
    return f"2303-360100-48-01-{800000 + i:06d}"


@pytest.fixture(scope="module")
def generated(engine):
    truncate(engine)
    rng = random.Random(20261125)
    truth = {CROSSING_CODE: [CROSSING]}
    actor = Actor(path="test:spatial")
    with Session(engine) as session, session.begin():
        inputs = [
            pub.ProjectInput(
                code=CROSSING_CODE,
                name="跨框线路",
                project_type="approval",
                region_code="360100",
                sites=[pub.SiteInput(CROSSING)],
            )
        ]
        for i in range(COUNT):
            geoms = [random_geometry(rng) for _ in range(rng.choice([1, 1, 1, 2]))]
            truth[code(i)] = geoms
            inputs.append(
                pub.ProjectInput(
                    code=code(i),
                    name=f"项目{i}",
                    project_type="approval",
                    region_code="360100",
                    sites=[pub.SiteInput(g) for g in geoms],
                )
            )
        for data in inputs:
            pub.upsert_project(session, actor, data)
    yield truth
    truncate(engine)


@pytest.fixture(scope="module")
def api(live_server, generated):
    from tests.schema.conftest import GraphQLClient

    client = GraphQLClient(f"http://127.0.0.1:{live_server}")
    yield client
    client.http.close()


def found(api, args: str, variables=None) -> set[str]:
    codes, after = set(), None
    while True:
        declared = ", $g: GeoJSON" if "$g" in args else ""
        page = api.data(
            f"query($a: String{declared}) {{ projects({args}, first: 100, after: $a) "
            f"{{ nodes {{ code }} pageInfo {{ hasNextPage endCursor }} }} }}",
            {"a": after, **(variables or {})},
        )["projects"]
        codes |= {n["code"] for n in page["nodes"]}
        if not page["pageInfo"]["hasNextPage"]:
            return codes
        after = page["pageInfo"]["endCursor"]


def test_a_line_crossing_the_box_without_a_vertex_in_it_is_found(api):
    assert not any(box(*BOX).contains(Point(c)) for c in CROSSING.coords)
    assert CROSSING_CODE in found(api, f"bbox: {list(BOX)}")


@pytest.mark.parametrize("seed", range(6))
def test_bbox_matches_shapely(api, generated, seed):
    rng = random.Random(seed)
    w, s, e, n = NANCHANG
    x, y = rng.uniform(w, e - 0.2), rng.uniform(s, n - 0.2)
    bbox = [x, y, x + rng.uniform(0.02, 0.2), y + rng.uniform(0.02, 0.2)]
    expected = {c for c, geoms in generated.items() if any(g.intersects(box(*bbox)) for g in geoms)}
    assert found(api, f"bbox: {bbox}") == expected


def test_intersects_matches_shapely_for_a_polygon_and_a_line(api, generated):
    shapes = [
        box(115.9, 28.6, 116.05, 28.75).buffer(0.01),
        LineString([(115.65, 28.45), (116.35, 28.95)]),
    ]
    for shape in shapes:
        expected = {c for c, geoms in generated.items() if any(g.intersects(shape) for g in geoms)}
        assert found(api, "intersects: $g", {"g": mapping(shape)}) == expected


def geodesic_distance(geom, lon: float, lat: float) -> float:
    """Metres from (lon, lat) to geom, in an azimuthal equidistant projection centred there
    (distances from the centre are true geodesic distances on the WGS 84 ellipsoid)."""
    aeqd = Proj(proj="aeqd", lat_0=lat, lon_0=lon, ellps="WGS84")
    projected = shapely.transform(
        geom, lambda xy: shapely.get_coordinates(shapely.points(*aeqd(xy[:, 0], xy[:, 1])))
    )
    return projected.distance(Point(0, 0))


def test_near_matches_geodesic_truth_and_orders_by_distance(api, generated):
    lon, lat, meters = 116.0, 28.7, 15_000
    truth = {
        c: min(geodesic_distance(g, lon, lat) for g in geoms) for c, geoms in generated.items()
    }
    data = api.data(
        f"{{ projects(near: {{lon: {lon}, lat: {lat}, meters: {meters}}}, first: 100) "
        f"{{ totalCount nodes {{ code distance }} }} }}"
    )["projects"]
    expected = {c for c, d in truth.items() if d <= meters}
    assert data["totalCount"] == len(expected)
    nodes = data["nodes"]
    assert {n["code"] for n in nodes} == set(sorted(expected, key=truth.get)[:100])
    assert [n["distance"] for n in nodes] == sorted(n["distance"] for n in nodes)
    for node in nodes:
        assert node["distance"] == pytest.approx(truth[node["code"]], abs=0.05)


def test_near_at_the_boundary(api, generated):
    lon, lat = 115.95, 28.65
    truth = sorted(
        (min(geodesic_distance(g, lon, lat) for g in geoms), c) for c, geoms in generated.items()
    )
    for distance, project in truth[:5]:
        inside = found(api, f"near: {{lon: {lon}, lat: {lat}, meters: {distance + 0.1}}}")
        outside = found(api, f"near: {{lon: {lon}, lat: {lat}, meters: {max(distance - 0.1, 0)}}}")
        assert project in inside and project not in outside
