"""Projects, their categories and responsible bodies, as the public sees them."""

import json

import pytest
from shapely.geometry import shape
from sqlalchemy import text

CODES = "{ projects(first: 100) { totalCount nodes { code } } }"


def codes(gql, args: str, variables=None) -> set[str]:
    data = gql.data(
        f"query($v: ProjectFilter) {{ projects({args}, first: 100) {{ totalCount "
        f"nodes {{ code }} }} }}"
        if "$v" in args
        else f"{{ projects({args}, first: 100) {{ totalCount nodes {{ code }} }} }}",
        variables,
    )
    nodes = data["projects"]["nodes"]
    assert data["projects"]["totalCount"] == len(nodes)
    return {n["code"] for n in nodes}


def db_codes(engine, where: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(text(f"SELECT code FROM projects p WHERE {where}")))


def test_chinese_substring_search(gql, demo_data):
    found = codes(gql, 'filter: {text: "地铁"}')
    assert found == db_codes(demo_data, "name LIKE '%地铁%'") and len(found) == 4
    assert codes(gql, 'filter: {text: "4号线"}') == db_codes(demo_data, "name = '南昌地铁4号线'")


def test_region_prefix(gql, demo_data):
    assert codes(gql, 'filter: {regionCode: "3601"}') == db_codes(demo_data, "true")
    assert codes(gql, 'filter: {regionCode: "360100"}') == db_codes(demo_data, "true")
    assert codes(gql, 'filter: {regionCode: "360111"}') == db_codes(
        demo_data, "region_code = '360111'"
    )


def test_status_type_and_industry(gql, demo_data):
    assert codes(gql, "filter: {status: [COMPLETED, APPROVED]}") == db_codes(
        demo_data, "status IN ('completed', 'approved')"
    )
    assert codes(gql, "filter: {type: [AUTHORIZATION]}") == db_codes(
        demo_data, "project_type = 'authorization'"
    )
    assert codes(gql, 'filter: {industry: ["教育"]}') == db_codes(demo_data, "industry = '教育'")


def test_responsible_department(gql, demo_data):
    assert codes(gql, 'filter: {responsibleDepartment: "NCSLJ"}') == db_codes(
        demo_data,
        "id IN (SELECT project_id FROM responsibilities r JOIN departments d "
        "ON d.id = r.department_id WHERE d.code = 'NCSLJ')",
    )


def test_has_and_lacks_category(gql, demo_data):
    public = (
        "SELECT project_id FROM disclosures WHERE status = 'published' AND "
        "audience = 'public' AND mode = 'proactive' AND category = '{}'"
    )
    assert codes(gql, "filter: {hasCategory: [COMPLETION]}") == db_codes(
        demo_data, f"id IN ({public.format('completion')})"
    )
    assert codes(gql, "filter: {lacksCategory: [DESIGN_CHANGE]}") == db_codes(
        demo_data, f"id NOT IN ({public.format('design_change')})"
    )


def test_date_ranges(gql, demo_data):
    assert codes(gql, 'filter: {approvedOn: {from: "2021-01-01", to: "2022-12-31"}}') == db_codes(
        demo_data, "approved_on BETWEEN '2021-01-01' AND '2022-12-31'"
    )
    assert codes(gql, 'filter: {completedOn: {from: "2020-01-01"}}') == db_codes(
        demo_data, "completed_on >= '2020-01-01'"
    )
    assert codes(gql, 'filter: {startedOn: {to: "2022-06-30"}}') == db_codes(
        demo_data, "started_on <= '2022-06-30'"
    )


def test_pagination_walks_every_project_once(gql, demo_data):
    seen, after = [], None
    while True:
        page = gql.data(
            "query($a: String) { projects(first: 7, after: $a, orderBy: NAME) { "
            "totalCount edges { cursor node { code } } pageInfo { hasNextPage "
            "hasPreviousPage endCursor } } }",
            {"a": after},
        )["projects"]
        seen += [e["node"]["code"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] == len(db_codes(demo_data, "true"))


def test_bad_cursor_and_unknown_code(gql):
    error = gql.errors('{ projects(after: "bm9wZQ==") { totalCount } }')[0]
    assert error["extensions"]["problems"][0]["path"] == "after"
    assert gql.data('{ project(code: "2099-360100-48-01-000000") { name } }') == {"project": None}


def test_only_public_items_are_visible(gql, demo_data):
    data = gql.data(
        "{ projects(first: 100) { nodes { landAcquisition { item { key isPublic } } } } }"
    )
    keys = {d["item"]["key"] for n in data["projects"]["nodes"] for d in n["landAcquisition"]}
    assert "status_survey_results" not in keys and "acquisition_announcement" in keys
    listed = gql.data('{ disclosures(filter: {item: ["status_survey_results"]}) { totalCount } }')
    assert listed["disclosures"]["totalCount"] == 0
    with demo_data.connect() as conn:
        hidden = conn.scalar(text("SELECT id FROM disclosures WHERE audience <> 'public' LIMIT 1"))
    assert gql.data(f'{{ disclosure(id: "{hidden}") {{ title }} }}') == {"disclosure": None}


def test_category_types_have_typed_element_fields(gql):
    data = gql.data(
        '{ projects(filter: {text: "地铁4号线"}) { nodes { code approvalResults { '
        "__typename item { key } approvalDocNo approvalDate publisher { code } "
        "responsibleDepartment { code } deadline formedOn revision "
        "history { revision status } } bidding { ... on BiddingDisclosure { "
        "winningBidAmount tenderMethod } } } } }"
    )
    project = data["projects"]["nodes"][0]
    approvals = {a["item"]["key"]: a for a in project["approvalResults"]}
    feasibility = approvals["gov_feasibility_study_approval"]
    assert feasibility["__typename"] == "ApprovalResultDisclosure"
    assert feasibility["approvalDocNo"].startswith("洪发改投资")
    assert feasibility["publisher"] == feasibility["responsibleDepartment"] == {"code": "NCFGW"}
    assert feasibility["deadline"] > feasibility["formedOn"]
    assert feasibility["history"] == [{"revision": 1, "status": "PUBLISHED"}]
    assert approvals["eia_approval"]["publisher"] == {"code": "NCSTHJ"}
    amounts = [b["winningBidAmount"] for b in project["bidding"] if b["winningBidAmount"]]
    assert amounts and isinstance(amounts[0], float)


def test_responsibilities_list_every_category(gql):
    data = gql.data(
        '{ projects(filter: {text: "青山湖水系"}) { nodes { responsibilities { '
        "category categoryNameZh department { code } itemKeys source } } } }"
    )
    rows = data["projects"]["nodes"][0]["responsibilities"]
    assert {r["category"] for r in rows} == {
        "APPROVAL_SERVICE",
        "APPROVAL_RESULT",
        "BIDDING",
        "LAND_ACQUISITION",
        "DESIGN_CHANGE",
        "CONSTRUCTION",
        "QUALITY_SAFETY",
        "COMPLETION",
    }
    construction = [r for r in rows if r["category"] == "CONSTRUCTION"]
    assert construction == [
        {
            "category": "CONSTRUCTION",
            "categoryNameZh": "施工有关信息",
            "department": {"code": "NCSLJ"},
            "itemKeys": None,
            "source": "assigned",
        }
    ]


@pytest.mark.parametrize("crs, shift", [("GCJ02", (0.004, 0.008)), ("BD09", (0.008, 0.02))])
def test_geometry_in_chinese_base_map_coordinates(gql, crs, shift):
    data = gql.data(
        f'{{ projects(filter: {{text: "莲塘第三小学"}}) {{ nodes {{ '
        f"wgs: geometry sites {{ geometry(crs: {crs}) }} centroid(crs: {crs}) }} }} }}"
    )
    node = data["projects"]["nodes"][0]
    wgs, shifted = shape(node["wgs"]), shape(node["sites"][0]["geometry"])
    assert wgs.geom_type == "Point" and 0.001 < shifted.x - wgs.x < shift[1]
    assert shape(node["centroid"]).equals_exact(shifted, 1e-9)


def test_the_catalog_is_queryable(gql):
    data = gql.data(
        "{ categories { key nameZh items { key isPublic timeLimit { kind days } "
        "elements { key graphqlField type required } } } }"
    )
    bidding = next(c for c in data["categories"] if c["key"] == "BIDDING")
    assert bidding["nameZh"] == "招标投标信息" and len(bidding["items"]) == 6
    award = next(i for i in bidding["items"] if i["key"] == "award_result_publicity")
    assert {
        "key": "winning_bid_amount",
        "graphqlField": "winningBidAmount",
        "type": "amount",
        "required": True,
    } in award["elements"]


def test_disclosures_list_filters_and_links_back(gql, demo_data):
    data = gql.data(
        '{ disclosures(filter: {category: [COMPLETION], publisher: "NCSJ"}, first: 50) '
        "{ totalCount nodes { category publisher { code } project { code name } } } }"
    )
    nodes = data["disclosures"]["nodes"]
    with demo_data.connect() as conn:
        expected = conn.scalar(
            text(
                "SELECT count(*) FROM disclosures x JOIN departments d ON d.id = x.publisher_id "
                "WHERE d.code = 'NCSJ' AND x.status = 'published'"
            )
        )
    assert data["disclosures"]["totalCount"] == len(nodes) == expected > 0
    assert all(n["project"]["code"] for n in nodes)


def test_departments_are_listed(gql):
    data = gql.data(
        '{ departments { code name kind isSynthetic } department(code: "NCFGW") { uscc roles } }'
    )
    import csv

    from loaders.demo import DEMO

    with (DEMO / "departments.csv").open(encoding="utf-8") as handle:
        expected = list(csv.DictReader(handle))
    assert len(data["departments"]) == len(expected) > 20
    assert all(d["isSynthetic"] for d in data["departments"])
    assert data["department"]["roles"] == sorted(
        next(d for d in expected if d["部门代码"] == "NCFGW")["角色"].split(";")
    )


def test_bad_spatial_input_names_the_argument(gql):
    cases = {
        "bbox: [116.0, 28.0, 115.0, 29.0]": ("bbox", "min_greater_than_max"),
        "bbox: [115.0, 28.0, 116.0, 95.0]": ("bbox", "out_of_range"),
        "near: {lon: 115.9, lat: 28.6, meters: -1}": ("near.meters", "negative_distance"),
        "near: {lon: 115.9, lat: 91, meters: 10}": ("near.lat", "out_of_range"),
        'intersects: {type: "Polygon", coordinates: [[[115, 28], [116]]]}': (
            "intersects",
            "invalid_geojson",
        ),
        "orderBy: DISTANCE": ("orderBy", "needs_near"),
    }
    for args, (path, code) in cases.items():
        error = gql.errors(f"{{ projects({args}) {{ totalCount }} }}")[0]
        assert {"path": path, "code": code} in [
            {k: p[k] for k in ("path", "code")} for p in error["extensions"]["problems"]
        ], args


def test_intersects_accepts_a_json_string_variable(gql, demo_data):
    square = json.dumps(
        {
            "type": "Polygon",
            "coordinates": [
                [
                    [115.94, 28.64],
                    [115.96, 28.64],
                    [115.96, 28.70],
                    [115.94, 28.70],
                    [115.94, 28.64],
                ]
            ],
        }
    )
    data = gql.data(
        "query($g: GeoJSON) { projects(intersects: $g, first: 100) { nodes { code } } }",
        {"g": square},
    )
    expected = db_codes(
        demo_data,
        "EXISTS (SELECT 1 FROM sites s WHERE s.project_id = p.id AND "
        f"ST_Intersects(s.geom, ST_SetSRID(ST_GeomFromGeoJSON('{square}'), 4326)))",
    )
    assert {n["code"] for n in data["projects"]["nodes"]} == expected and expected
