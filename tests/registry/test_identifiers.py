import pytest

from registry.identifiers import (
    personal_identifiers,
    project_code_problem,
    region_code_problem,
    region_prefix,
    uscc_problem,
)


@pytest.mark.parametrize(
    "code",
    [
        "2309-341100-04-01-989338",
        "2412-640106-17-01-140662",
        "2019-611102-48-01-068707",
        "2020-321203-48-01-569192",
    ],
)
def test_current_and_legacy_project_codes_are_valid(code):
    assert project_code_problem(code) is None


@pytest.mark.parametrize(
    "code, reason",
    [
        ("2021-36010-04-01-1", "24 characters"),
        ("2513-360100-04-01-000001", "time segment 2513"),
        ("2009-360100-04-01-000001", None),  # a legacy year
        ("2001-990100-04-01-000001", "region segment 990100"),
        ("２０２１-360100-04-01-000001", "24 characters"),
    ],
)
def test_bad_project_codes_say_why(code, reason):
    problem = project_code_problem(code)
    if reason is None:
        assert problem is None
    else:
        assert reason in problem


def test_uscc_check_character():
    assert uscc_problem("91110000600037341L") is None
    assert "check" in uscc_problem("91110000600037341X")
    assert uscc_problem("123") is not None


def test_region_codes_and_prefixes():
    assert region_code_problem("360111") is None
    assert region_code_problem("990100") is not None
    assert region_prefix("360100") == "3601"
    assert region_prefix("360000") == "36"
    assert region_prefix("360111") == "360111"


def test_resident_id_needs_a_valid_check_character():
    assert list(personal_identifiers("身份证 11010519491231002X")) == [
        "a resident ID number (居民身份证号码)"
    ]
    assert list(personal_identifiers("11010519491231002Y")) == []
    assert list(personal_identifiers("110105194912310021")) == []  # wrong check digit


def test_mobile_numbers_but_not_landlines_or_longer_numbers():
    assert list(personal_identifiers("联系 138 1234 5678")) == ["a mobile phone number (手机号码)"]
    assert list(personal_identifiers("+86-13812345678")) == ["a mobile phone number (手机号码)"]
    assert list(personal_identifiers("0791-86661234 或 12345")) == []
    assert list(personal_identifiers("编号 3601002019051001011")) == []


def test_permit_numbers_can_skip_the_resident_id_scan():
    permit = "360100202311020002"  # region + date + sequence: passes the GB 11643 check
    assert list(personal_identifiers(permit))
    assert list(personal_identifiers(permit, resident_ids=False)) == []
