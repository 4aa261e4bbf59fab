"""A synthetic but realistic Nanchang register (演示数据，非真实信息).

Every department, project and disclosure here is invented and flagged ``is_synthetic``;
project descriptions start with 【演示数据】. The places are real (districts, the Gan
River, lakes), the projects and documents are not. Everything is written through the
public publishing functions, so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from shapely.geometry import LineString, MultiPoint, Point, Polygon
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from registry import publishing as pub
from registry.audit import Actor
from registry.catalog import get_catalog
from registry.models import Project
from registry.responsibility import responsible_for

SYNTHETIC = "【演示数据】"
CST = dt.timezone(dt.timedelta(hours=8))

# code, name, kind, region, roles, 18-char USCC prefix (check character computed)
DEPARTMENTS = [
    ("NCFGW", "南昌市发展和改革委员会", "government_department", "360100", ["development_reform", "bidding_supervision"]),
    ("NCXZSP", "南昌市行政审批局", "government_department", "360100", ["administrative_approval"]),
    ("NCZRZY", "南昌市自然资源和规划局", "government_department", "360100", ["natural_resources"]),
    ("NCSTHJ", "南昌市生态环境局", "government_department", "360100", ["ecology_environment"]),
    ("NCJSJ", "南昌市建设局", "government_department", "360100", ["housing_construction"]),
    ("NCCGJ", "南昌市城市管理局", "government_department", "360100", ["urban_management"]),
    ("NCLYJ", "南昌市林业局", "government_department", "360100", []),
    ("NCSLJ", "南昌市水利局", "government_department", "360100", []),
    ("NCFGJ", "南昌市住房保障和房产管理局", "government_department", "360100", []),
    ("NCSJ", "南昌市审计局", "government_department", "360100", ["audit"]),
    ("NCGOV", "南昌市人民政府", "district_government", "360100", ["district_government"]),
    ("DHQ", "东湖区人民政府", "district_government", "360102", ["district_government"]),
    ("XHQ", "西湖区人民政府", "district_government", "360103", ["district_government"]),
    ("QYPQ", "青云谱区人民政府", "district_government", "360104", ["district_government"]),
    ("QSHQ", "青山湖区人民政府", "district_government", "360111", ["district_government"]),
    ("XJQ", "新建区人民政府", "district_government", "360112", ["district_government"]),
    ("HGTQ", "红谷滩区人民政府", "district_government", "360113", ["district_government"]),
    ("NCX", "南昌县人民政府", "district_government", "360121", ["district_government"]),
    ("AYX", "安义县人民政府", "district_government", "360123", ["district_government"]),
    ("JXX", "进贤县人民政府", "district_government", "360124", ["district_government"]),
    ("NCMETRO", "南昌轨道交通集团有限公司", "enterprise", "360100", []),
    ("NCMUNI", "南昌市政公用集团有限公司", "enterprise", "360100", []),
    ("NCCT", "南昌城市建设投资发展有限公司", "enterprise", "360100", []),
]


@dataclass(frozen=True)
class DemoProject:
    name: str
    industry: str
    region: str
    geometry: str          # "line", "polygon", "point", "stations"
    coords: tuple
    project_type: str = "approval"
    status: str = "under_construction"
    owner: str = "NCCT"
    investment: float = 100000.0


# Coordinates are WGS 84 longitude, latitude around real places in Nanchang.
PROJECTS = [
    DemoProject("南昌地铁4号线", "城市轨道交通", "360100", "stations",
                ((115.772, 28.640), (115.830, 28.672), (115.862, 28.690), (115.905, 28.675),
                 (115.935, 28.650), (115.972, 28.622)), owner="NCMETRO", investment=2400000, status="completed"),
    DemoProject("南昌地铁5号线一期", "城市轨道交通", "360100", "stations",
                ((115.812, 28.742), (115.845, 28.712), (115.880, 28.700), (115.918, 28.690),
                 (115.958, 28.705)), owner="NCMETRO", investment=2800000),
    DemoProject("南昌地铁1号线北延", "城市轨道交通", "360100", "stations",
                ((115.868, 28.762), (115.878, 28.800), (115.890, 28.835), (115.902, 28.862)),
                owner="NCMETRO", investment=900000, status="approved"),
    DemoProject("南昌地铁2号线东延", "城市轨道交通", "360111", "stations",
                ((115.955, 28.660), (115.985, 28.668), (116.018, 28.672)), owner="NCMETRO",
                investment=650000),
    DemoProject("洪都大道快速化改造工程", "市政道路", "360104", "line",
                ((115.915, 28.705), (115.921, 28.670), (115.926, 28.635), (115.930, 28.600))),
    DemoProject("昌南大道拓宽改造工程", "市政道路", "360121", "line",
                ((115.880, 28.585), (115.920, 28.580), (115.965, 28.576)), status="completed"),
    DemoProject("九龙湖大道北延工程", "市政道路", "360113", "line",
                ((115.805, 28.640), (115.812, 28.675), (115.818, 28.712))),
    DemoProject("青山湖大道综合改造", "市政道路", "360111", "line",
                ((115.945, 28.700), (115.952, 28.675), (115.958, 28.650)), owner="NCMUNI"),
    DemoProject("赣江新洲大桥", "桥梁", "360100", "line",
                ((115.870, 28.705), (115.885, 28.708), (115.897, 28.709)), investment=450000),
    DemoProject("抚河南大桥改建工程", "桥梁", "360104", "line",
                ((115.900, 28.615), (115.907, 28.612), (115.913, 28.609)), status="completed"),
    DemoProject("艾溪湖隧道工程", "市政道路", "360111", "line",
                ((115.960, 28.690), (115.980, 28.688), (116.000, 28.686)), status="approved"),
    DemoProject("南昌市第一医院九龙湖院区", "医疗卫生", "360113", "polygon",
                ((115.780, 28.620), (115.786, 28.620), (115.786, 28.625), (115.780, 28.625)),
                investment=320000),
    DemoProject("南昌市儿童医院红谷滩院区", "医疗卫生", "360113", "polygon",
                ((115.842, 28.690), (115.847, 28.690), (115.847, 28.694), (115.842, 28.694)),
                status="completed", investment=210000),
    DemoProject("青山湖区人民医院迁建", "医疗卫生", "360111", "polygon",
                ((115.962, 28.640), (115.966, 28.640), (115.966, 28.643), (115.962, 28.643)),
                status="planning", investment=85000),
    DemoProject("红谷滩区实验学校新建", "教育", "360113", "polygon",
                ((115.852, 28.705), (115.856, 28.705), (115.856, 28.708), (115.852, 28.708)),
                investment=42000),
    DemoProject("青山湖区第二中学扩建", "教育", "360111", "polygon",
                ((115.975, 28.676), (115.978, 28.676), (115.978, 28.679), (115.975, 28.679)),
                status="completed", investment=18000),
    DemoProject("南昌县莲塘第三小学", "教育", "360121", "point", ((115.943, 28.548),), investment=12000),
    DemoProject("新建区长堎中学扩建", "教育", "360112", "point", ((115.815, 28.695),),
                status="approved", investment=15000),
    DemoProject("进贤县民和第二中学", "教育", "360124", "point", ((116.245, 28.378),), investment=16000),
    DemoProject("东湖区滨江小学改扩建", "教育", "360102", "point", ((115.896, 28.690),),
                status="completed", investment=8000),
    DemoProject("象湖公园提升改造", "园林绿化", "360104", "polygon",
                ((115.880, 28.615), (115.895, 28.615), (115.895, 28.630), (115.880, 28.630)),
                owner="NCMUNI", investment=26000),
    DemoProject("艾溪湖湿地公园二期", "园林绿化", "360111", "polygon",
                ((115.965, 28.690), (115.982, 28.690), (115.982, 28.705), (115.965, 28.705)),
                owner="NCMUNI", status="completed", investment=31000),
    DemoProject("赣江市民公园南段", "园林绿化", "360113", "polygon",
                ((115.868, 28.660), (115.874, 28.660), (115.874, 28.682), (115.868, 28.682)),
                owner="NCMUNI", investment=22000),
    DemoProject("青山湖水系综合治理工程", "水利", "360111", "polygon",
                ((115.935, 28.685), (115.950, 28.685), (115.950, 28.700), (115.935, 28.700)),
                investment=58000),
    DemoProject("南昌县赣江东岸堤防加固", "水利", "360121", "line",
                ((115.860, 28.560), (115.870, 28.520), (115.885, 28.480)), investment=76000),
    DemoProject("安义县城南污水处理厂", "环保", "360123", "point", ((115.553, 28.830),),
                project_type="authorization", owner="NCMUNI", investment=24000),
    DemoProject("安义县古村群旅游公路", "公路", "360123", "line",
                ((115.500, 28.850), (115.530, 28.870), (115.560, 28.880)), status="approved",
                investment=34000),
    DemoProject("梅岭森林防火通道工程", "林业", "360100", "line",
                ((115.720, 28.760), (115.735, 28.780), (115.752, 28.792)), investment=9000),
    DemoProject("西湖区朝阳片区棚户区改造", "保障性住房", "360103", "polygon",
                ((115.870, 28.640), (115.880, 28.640), (115.880, 28.650), (115.870, 28.650)),
                investment=150000),
    DemoProject("泉岭生活垃圾焚烧发电厂二期", "环保", "360121", "point", ((116.015, 28.560),),
                project_type="authorization", owner="NCMUNI", investment=98000),
    DemoProject("进贤县医疗器械产业园标准厂房", "工业", "360124", "polygon",
                ((116.200, 28.400), (116.210, 28.400), (116.210, 28.408), (116.200, 28.408)),
                project_type="filing", owner=None, investment=60000),
    DemoProject("南昌西站综合交通枢纽东广场", "交通枢纽", "360112", "polygon",
                ((115.790, 28.622), (115.800, 28.622), (115.800, 28.630), (115.790, 28.630)),
                investment=120000, status="completed"),
]

# Reassignments that show responsibility following the body that holds the information.
REASSIGNMENTS = {
    "水利": [("construction", "NCSLJ"), ("quality_safety", "NCSLJ")],
    "林业": [("construction", "NCLYJ"), ("quality_safety", "NCLYJ")],
    "园林绿化": [("quality_safety", "NCCGJ")],
    "保障性住房": [("land_acquisition", "NCFGJ")],
}


def synthetic_uscc(index: int) -> str:
    """A well-formed, check-character-valid, invented code for a government body (11...)."""
    body = f"11360100{index:08d}"
    for filler in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        candidate = body + filler + "0"
        check = uscc.calc_check_digit(candidate)
        code = candidate[:-1] + check
        if uscc.is_valid(code):
            return code
    raise AssertionError("no valid synthetic code")


def project_code(index: int, project: DemoProject, approved: dt.date) -> str:
    # Current YYMM codes for projects from November 2020 on, legacy YYYY codes before.
    time_code = approved.strftime("%y%m") if approved >= dt.date(2020, 11, 1) else approved.strftime("%Y")
    kind = {"approval": "01", "authorization": "02", "filing": "03"}[project.project_type]
    return f"{time_code}-{project.region}-48-{kind}-{100000 + index * 7919 % 900000:06d}"


def site_for(project: DemoProject) -> list[pub.SiteInput]:
    coords = project.coords
    if project.geometry == "point":
        return [pub.SiteInput(Point(coords[0]), name="项目位置", kind="location")]
    if project.geometry == "polygon":
        return [pub.SiteInput(Polygon(coords), name="用地范围", kind="boundary")]
    if project.geometry == "line":
        return [pub.SiteInput(LineString(coords), name="线位", kind="alignment")]
    return [pub.SiteInput(LineString(coords), name="线路", kind="alignment"),
            pub.SiteInput(MultiPoint(coords), name="车站", kind="stations")]


def load_demo(session: Session, actor: Actor | None = None) -> dict[str, int]:
    """Load the synthetic data set; returns counts of what each write did."""
    actor = actor or Actor(path="cli:demo")
    counts: dict[str, int] = {}

    def count(outcome: pub.Outcome) -> None:
        counts[outcome.action] = counts.get(outcome.action, 0) + 1

    for index, (code, name, kind, region, roles) in enumerate(DEPARTMENTS):
        uscc_code = synthetic_uscc(index + 1) if kind != "enterprise" else None
        count(pub.upsert_department(session, actor, pub.DepartmentInput(
            code=code, name=name, kind=kind, region_code=region, roles=roles, uscc=uscc_code,
            is_synthetic=True)))
    for index, project in enumerate(PROJECTS):
        for outcome in _load_project(session, actor, index, project):
            count(outcome)
    return counts


def _load_project(session: Session, actor: Actor, index: int, project: DemoProject):
    rng = random.Random(index)
    approved = dt.date(2019, 3, 1) + dt.timedelta(days=62 * index + rng.randint(0, 40))
    started = approved + dt.timedelta(days=rng.randint(90, 200))
    completed = started + dt.timedelta(days=rng.randint(400, 700))
    status = project.status
    if status == "completed" and completed > dt.date(2026, 6, 30):
        completed = dt.date(2026, 6, 30)
    code = project_code(index, project, approved)
    yield pub.upsert_project(session, actor, pub.ProjectInput(
        code=code, name=project.name, project_type=project.project_type, region_code=project.region,
        industry=project.industry,
        description=f"{SYNTHETIC}{project.name}，位于南昌市，用于演示重大建设项目全链条信息公开。",
        owner=dict((d[0], d[1]) for d in DEPARTMENTS).get(project.owner, "江西某产业发展有限公司"),
        owner_department=project.owner, investment=project.investment, status=status,
        approved_on=approved if status != "planning" else None,
        started_on=started if status in ("under_construction", "completed") else None,
        completed_on=completed if status == "completed" else None,
        sites=site_for(project), is_synthetic=True))
    for category, department in REASSIGNMENTS.get(project.industry, []):
        yield pub.assign_responsibility(session, actor, code, category, department)
    for item, formed, elements, extra in _disclosures(project, approved, started, completed, rng):
        if formed > dt.date(2026, 11, 1):
            continue
        delay = rng.choice([2, 5, 8, 12, 15, 20, 45]) if item != "service_guide" else 0
        publisher = _responsible(session, code, item)
        yield pub.publish_disclosure(session, actor, pub.DisclosureInput(
            project_code=code, item=item, formed_on=formed, elements=elements,
            publisher=publisher, is_synthetic=True,
            published_at=dt.datetime.combine(formed + dt.timedelta(days=delay), dt.time(10),
                                              tzinfo=CST), **extra))


def _responsible(session: Session, code: str, item_key: str) -> str:
    item = get_catalog().item(item_key)
    project = session.scalars(select(Project).where(Project.code == code)).one()
    return responsible_for(session, project.id, item.category.value, item_key)[0].code


def _disclosures(project: DemoProject, approved: dt.date, started: dt.date, completed: dt.date,
                 rng: random.Random):
    status = project.status
    short = project.name[:6]
    approval = lambda day, no, authority: {  # noqa: E731
        "approval_result": "同意", "approval_date": day, "approval_doc_no": no,
        "approving_authority": authority}
    yield "service_guide", approved - dt.timedelta(days=120), {
        "required_materials_list": "项目申请报告；用地预审意见；规划选址意见；环评批复",
        "approval_process": "受理—审查—决定—送达", "processing_time_limit": "5个工作日",
        "accepting_agency_contact": "南昌市政务服务中心（0791-12345）",
        "application_requirements": "材料齐全、符合法定形式"}, {}
    yield "consultation_supervision", approved - dt.timedelta(days=120), {
        "consultation_phone": "0791-83881234", "complaint_phone": "12345"}, {}
    if status == "planning":
        yield "gov_project_proposal_approval", dt.date(2026, 9, 10), approval(
            dt.date(2026, 9, 10), f"洪发改投资〔2026〕{rng.randint(100, 400)}号", "南昌市发展和改革委员会"), {}
        return
    doc = rng.randint(10, 500)
    year = approved.year
    if project.project_type == "approval":
        yield "gov_project_proposal_approval", approved - dt.timedelta(days=90), approval(
            approved - dt.timedelta(days=90), f"洪发改投资〔{year}〕{doc}号", "南昌市发展和改革委员会"), {}
        yield "gov_feasibility_study_approval", approved, approval(
            approved, f"洪发改投资〔{year}〕{doc + 40}号", "南昌市发展和改革委员会"), {}
    elif project.project_type == "authorization":
        yield "enterprise_project_approval", approved, approval(
            approved, f"洪发改核准〔{year}〕{doc}号", "南昌市发展和改革委员会"), {}
    else:
        yield "enterprise_project_filing", approved, {
            "filing_no": f"备案〔{year}〕{doc:04d}", "filing_date": approved,
            "filing_authority": "进贤县发展和改革委员会"}, {}
    yield "land_use_pre_review", approved - dt.timedelta(days=60), {
        "pre_review_result": "通过", "approval_date": approved - dt.timedelta(days=60),
        "approval_doc_no": f"洪自然资预审〔{year}〕{doc}号"}, {}
    yield "eia_approval", approved - dt.timedelta(days=30), approval(
        approved - dt.timedelta(days=30), f"洪环评字〔{year}〕{doc}号", "南昌市生态环境局"), {}
    if project.geometry in ("polygon", "line", "stations"):
        parcel = _parcel(project)
        yield "acquisition_announcement", approved + dt.timedelta(days=20), {
            "approving_authority": "江西省人民政府", "approval_doc_no": f"赣府土字〔{year}〕{doc}号",
            "approval_date": approved + dt.timedelta(days=15), "approved_use": "公共设施用地",
            "acquisition_scope": f"{short}项目红线范围内集体土地", "acquisition_area_mu": round(parcel.area * 1.2e6, 1),
            "implementation_arrangement": "由属地政府组织实施", "remedy_channels": "行政复议或行政诉讼"
        }, {"geometry": parcel}
        yield "status_survey_results", approved + dt.timedelta(days=5), {
            "owners_and_users": "某村民小组（演示）", "land_class_and_area": "耕地 12.5亩",
            "houses_attachments_crops": "附着物清单见村公示栏", "survey_maps": "经技术处理的勘测定界图"}, {}
    if status == "approved":
        yield "tender_notice", approved + dt.timedelta(days=30), _tender(project, approved), {}
        return
    yield "tender_notice", approved + dt.timedelta(days=30), _tender(project, approved), {}
    yield "award_result_publicity", approved + dt.timedelta(days=70), {
        "bid_section": "施工总承包", "winning_bidder": "中国某建设集团有限公司（演示）",
        "winning_bid_amount": round(project.investment * 0.62, 2),
        "award_date": approved + dt.timedelta(days=70)}, {}
    yield "construction_permit", started - dt.timedelta(days=10), {
        "review_result": "准予许可", "construction_permit_no": f"360100{started:%Y%m%d}0101",
        "permit_date": started - dt.timedelta(days=10), "issuing_authority": "南昌市建设局"}, {}
    yield "construction_management", started, {
        "drawing_review_agency": "江西某施工图审查中心（演示）", "drawing_review_result": "合格",
        "project_legal_entity_and_head": f"{dict((d[0], d[1]) for d in DEPARTMENTS).get(project.owner, '项目单位')}",
        "design_construction_supervision_units_and_heads": "设计：某设计院；施工：某建设集团；监理：某监理公司"}, {}
    yield "quality_safety_supervision", started + dt.timedelta(days=3), {
        "supervision_agency": "南昌市建设工程质量安全监督站", "supervision_agency_contact": "0791-86661234"}, {}
    if rng.random() < 0.3:
        yield "major_design_change", started + dt.timedelta(days=200), {
            "change_reason": "地质条件变化", "main_change_content": "调整基础形式及局部线位",
            "change_basis": "初步设计变更审查意见", "approving_authority": "南昌市发展和改革委员会",
            "change_result": "同意变更", "change_approval_date": started + dt.timedelta(days=200),
            "investment_change": round(project.investment * 0.03, 2)}, {}
    if status == "completed":
        yield "completion_acceptance_filing", completed, {
            "acceptance_date": completed, "quality_acceptance_result": "合格",
            "acceptance_filing_date": completed + dt.timedelta(days=10),
            "acceptance_filing_no": f"JB{completed:%Y%m%d}01", "acceptance_filing_authority": "南昌市建设局"}, {}
        audit_day = completed + dt.timedelta(days=150)
        yield "completion_final_accounts_audit", audit_day, {
            "handover_date": completed + dt.timedelta(days=20), "final_accounts_audit_unit": "南昌市审计局",
            "audit_conclusion": "决算真实、合规", "final_accounts_amount": round(project.investment * 0.97, 2)}, {}


def _tender(project: DemoProject, approved: dt.date) -> dict:
    return {"tenderer": dict((d[0], d[1]) for d in DEPARTMENTS).get(project.owner, "项目单位"),
            "bid_section": "施工总承包", "tender_method": "公开招标",
            "tender_scope": f"{project.name}施工总承包", "bid_deadline": approved + dt.timedelta(days=55),
            "notice_date": approved + dt.timedelta(days=30), "trading_platform": "江西省公共资源交易网"}


def _parcel(project: DemoProject) -> Polygon:
    """The land to acquire: a buffer around the project's first coordinates."""
    geom = Polygon(project.coords) if project.geometry == "polygon" else LineString(project.coords[:2])
    return geom.buffer(0.0015, quad_segs=2).simplify(0.0002)
