import datetime as _dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.identifiers import (
    PROVINCE_PREFIXES,
    RESIDENT_ID_CHECK,
    RESIDENT_ID_WEIGHTS,
    is_resident_id,
    personal_identifiers,
    project_code_problem,
    region_code_problem,
    region_prefix,
    uscc_problem,
)
from registry.language import phrase


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
        phrase("a resident ID number")
    ]
    assert list(personal_identifiers("11010519491231002Y")) == []
    assert list(personal_identifiers("110105194912310021")) == []  # wrong check digit


def test_mobile_numbers_but_not_landlines_or_longer_numbers():
    assert list(personal_identifiers("联系 138 1234 5678")) == [phrase("a mobile phone number")]
    assert list(personal_identifiers("+86-13812345678")) == [phrase("a mobile phone number")]
    assert list(personal_identifiers("0791-86661234 或 12345")) == []
    assert list(personal_identifiers("编号 3601002019051001011")) == []


def test_permit_numbers_can_skip_the_resident_id_scan():
    permit = "360100202311020002"  # region + date + sequence: passes the GB 11643 check
    assert list(personal_identifiers(permit))
    assert list(personal_identifiers(permit, resident_ids=False)) == []


# --- resident ID numbers by the standard's rules, whatever the district's history -------------


def with_check(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return first17 + RESIDENT_ID_CHECK[total % 11]


@st.composite
def resident_id(draw) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_PREFIXES)))
    district = f"{draw(st.integers(0, 9999)):04d}"  # any: existing or not, then or now
    born = draw(st.dates(_dt.date(1930, 1, 1), _dt.date(2025, 12, 31)))
    sequence = f"{draw(st.integers(0, 999)):03d}"
    return with_check(f"{province}{district}{born:%Y%m%d}{sequence}")


@settings(max_examples=500)
@given(number=resident_id(), before=st.sampled_from(["", "经办人", "身份证号：", "张三 "]),
       after=st.sampled_from(["", "，联系人", "。", " 已核实"]), lower=st.booleans())  # fmt: skip
def test_every_well_formed_resident_id_is_found(number, before, after, lower):
    text = f"{before}{number.lower() if lower else number}{after}"
    assert phrase("a resident ID number") in list(personal_identifiers(text))


@settings(max_examples=300)
@given(number=resident_id())
def test_a_wrong_check_character_or_day_is_not_an_id(number):
    wrong = number[:17] + next(c for c in RESIDENT_ID_CHECK if c != number[17])
    assert not is_resident_id(wrong)
    no_day = with_check(number[:10] + "1332" + number[14:17])  # month 13
    assert not is_resident_id(no_day)
    assert not is_resident_id(with_check("99" + number[2:17]))  # no province 99


def test_the_numbers_stdnum_lets_through_are_caught():
    # region 360102 (东湖区) in 1975: python-stdnum's is_valid also wants the district to have
    # existed in the birth year, which made this real-looking number publishable
    number = with_check("36010219750315123")
    assert is_resident_id(number) and list(personal_identifiers(f"联系人{number}"))


@given(st.text(max_size=12))
def test_digits_are_what_int_reads(text):
    """``digits`` says yes only to what ``int`` reads as a plain number ("¹" and "٣" are
    digits to ``str.isdigit``, and a 500 to ``int`` or a surprise)."""
    from registry.identifiers import digits

    if digits(text):
        assert int(text) >= 0 and text.isascii()
    assert not digits("¹") and not digits("٣") and not digits("") and digits("0042")
