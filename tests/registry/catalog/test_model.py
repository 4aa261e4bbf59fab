import subprocess
import sys

import pytest
import yaml

from registry.catalog import SHIPPED_CATALOG, Category, get_catalog, load_catalog
from registry.errors import CatalogError


def write_variant(tmp_path, change):
    raw = yaml.safe_load(SHIPPED_CATALOG.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_catalog_has_the_eight_categories_in_order():
    catalog = get_catalog()
    assert [c.category for c in catalog.categories] == list(Category)
    assert all(entry.items for entry in catalog.categories)


def test_bidding_is_split_into_its_notice_types():
    keys = [i.key for i in get_catalog().category(Category.BIDDING).items]
    assert keys == [
        "prequalification_notice",
        "tender_notice",
        "winning_candidates_publicity",
        "award_result_publicity",
        "contract_conclusion_and_performance",
        "bidding_violation_penalty",
    ]


def test_every_item_has_elements_and_previously_empty_items_are_filled():
    catalog = get_catalog()
    for key in ("enterprise_project_approval", "planning_permits", "eia_approval"):
        assert catalog.item(key).elements, key
    assert all(item.elements for item in catalog.items())


def test_one_definition_per_element_is_shared_between_items():
    catalog = get_catalog()
    proposal = catalog.item("gov_project_proposal_approval").element("approval_date").element
    pre_review = catalog.item("land_use_pre_review").element("approval_date").element
    assert proposal is catalog.elements["approval_date"] is pre_review


def test_time_limits_audience_and_mode_are_kept():
    catalog = get_catalog()
    assert catalog.item("service_guide").time_limit.kind == "realtime"
    assert catalog.item("construction_permit").decision == "licensing"
    assert catalog.item("construction_permit").time_limit.days == 7
    assert catalog.item("gov_feasibility_study_approval").time_limit.days == 20
    survey = catalog.item("status_survey_results")
    assert (survey.audience, survey.is_public) == ("specific_groups", False)
    assert catalog.item("processing_progress").mode == "on_request"


def test_unknown_element_is_refused_with_its_path(tmp_path):
    def change(raw):
        raw["categories"][0]["items"][0]["elements"].append("no_such_element")

    with pytest.raises(CatalogError) as err:
        load_catalog(write_variant(tmp_path, change))
    assert err.value.problems[0].path == "categories[0].items[0].elements"
    assert "no_such_element" in err.value.message


def test_a_missing_category_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="exactly the eight categories"):
        load_catalog(write_variant(tmp_path, lambda raw: raw["categories"].pop()))


def test_unknown_role_and_bad_time_limit_are_refused(tmp_path):
    def change(raw):
        raw["categories"][1]["items"][0]["publisher_role"] = "mayor"
        raw["categories"][2]["items"][0]["time_limit"] = {"kind": "working_days"}

    with pytest.raises(CatalogError) as err:
        load_catalog(write_variant(tmp_path, change))
    assert "role 'mayor' is not defined" in err.value.message
    assert "categories[2].items[0].time_limit" in err.value.message


def test_catalog_check_command_fails_on_a_bad_catalog(tmp_path):
    path = write_variant(tmp_path, lambda raw: raw["elements"]["approval_date"].update(type="when"))
    bad = subprocess.run(
        [sys.executable, "-m", "registry.cli", "catalog", "check", str(path)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "approval_date" in bad.stderr
    good = subprocess.run(
        [sys.executable, "-m", "registry.cli", "catalog", "check"], capture_output=True, text=True
    )
    assert good.returncode == 0, good.stderr
    assert "8 categories" in good.stdout
