"""Project and owner names that look like a city's (place, road or area, the works, a
phase), for the benchmark data and the lists made from it: near names are common (one
road's phases, one works in two districts), as in a real register."""

from __future__ import annotations

import random

DISTRICT_NAMES = {
    "360102": "东湖区", "360103": "西湖区", "360104": "青云谱区", "360111": "青山湖区",
    "360112": "新建区", "360113": "红谷滩区", "360121": "南昌县", "360123": "安义县",
    "360124": "进贤县",
}  # fmt: skip
AREAS = ["昌东", "象湖", "九龙湖", "瑶湖", "望城", "莲塘", "蛟桥", "长堎", "朝阳", "湾里",
         "桃花", "京东", "罗家", "塘山", "高新", "小蓝", "梅岭", "生米", "厚田", "樵舍",
         "幽兰", "三江", "武阳", "向塘", "黄马", "富山", "泾口", "南新", "塔城", "八一"]  # fmt: skip
ROADS = ["洪都", "青山", "象山", "民德", "阳明", "井冈山", "北京", "福州", "抚河", "玉带河",
         "昌南", "丰和", "赣江", "庐山", "红角洲", "学府", "前湖", "枫生", "紫阳", "艾溪湖",
         "天祥", "京东", "胡家", "顺外", "解放", "迎宾", "金沙", "火炬", "昌北", "新洲",
         "凤凰", "九洲", "江大", "广场", "站前", "绳金塔", "滕王阁", "孺子", "系马桩", "孔目湖"]  # fmt: skip
STREETS = ["路", "大道", "大街", "北路", "南路", "东路", "西路"]
WORKS = [
    "道路改造工程", "提升改造工程", "雨污分流改造工程", "道路新建工程", "综合管廊工程",
    "快速路工程", "立交工程", "桥梁工程", "排涝泵站工程", "堤防加固工程", "污水处理厂扩建工程",
    "安置房建设项目", "保障性租赁住房项目", "棚户区改造项目", "老旧小区改造项目",
    "小学新建工程", "中学新建工程", "幼儿园建设项目", "人民医院门诊楼建设项目",
    "社区卫生服务中心建设项目", "体育公园建设项目", "湿地公园建设项目", "停车场建设项目",
    "供水管网改造工程", "燃气管网改造工程", "充电站建设项目", "物流园建设项目",
    "产业园标准厂房建设项目", "文化中心建设项目", "养老服务中心建设项目",
]  # fmt: skip
PHASES = ["", "", "", "一期", "二期", "三期"]
OWNER_KINDS = ["城市建设投资发展有限公司", "建设投资集团有限公司", "城市更新投资有限公司",
               "交通投资集团有限公司", "水务集团有限公司", "教育投资有限公司",
               "产业投资集团有限公司", "人民政府", "住房和城乡建设局", "管理委员会"]  # fmt: skip


def owner_names(rng: random.Random, count: int = 300) -> list[str]:
    names: set[str] = set()
    places = [*DISTRICT_NAMES.values(), *AREAS]
    while len(names) < count:
        names.add(f"南昌市{rng.choice(places)}{rng.choice(OWNER_KINDS)}")
    return sorted(names)


def project_name(rng: random.Random, region: str) -> str:
    """One name: [district] place + works [phase], e.g. 青山湖区洪都大道雨污分流改造工程二期."""
    district = DISTRICT_NAMES.get(region, "")
    road = rng.random() < 0.5
    place = f"{rng.choice(ROADS)}{rng.choice(STREETS)}" if road else f"{rng.choice(AREAS)}片区"
    works = rng.choice(WORKS)
    phase = rng.choice(PHASES)
    prefix = district if rng.random() < 0.6 else ""
    if phase and rng.random() < 0.5:
        return f"{prefix}{place}{works}（{phase}）"
    return f"{prefix}{place}{works}{phase}"


def project_names(rng: random.Random, regions: list[str]) -> list[str]:
    """A distinct name for each region given (the project's district)."""
    seen: set[str] = set()
    names = []
    for region in regions:
        name = project_name(rng, region)
        while name in seen:
            name = project_name(rng, region)
        seen.add(name)
        names.append(name)
    return names
