"""Writes the demo lists of major projects (registry/data/demo/lists/): the city's 2024 list
as its notice attaches it (title, two-row header, sections, 亿元, no project codes, names
as a clerk typed them, one project not registered), its mid-year adjustment, and the
province's list of the city's projects (with codes). All invented (演示数据).

    .venv/bin/python scripts/make_demo_lists.py
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

OUT = Path(__file__).parents[1] / "registry" / "data" / "demo" / "lists"
DOCS = Path(__file__).parents[1] / "docs" / "examples"
HEADER = ["序号", "项目名称", "建设性质", "建设规模及内容", "建设起止年限", "投资（亿元）", None,
          "责任单位", "所在地"]  # fmt: skip
# (name as the list writes it, 建设规模及内容, 起止年限, 总投资 亿元, 2024 计划 亿元, 责任单位, 所在地)
NEW = [
    (
        "南昌县赣江东岸堤防加固工程",
        "加固堤防12.6公里，新建穿堤建筑物4座",
        "2024-2026",
        7.6,
        2.1,
        "南昌县人民政府",
        "南昌县",
    ),
    (
        "泉岭生活垃圾焚烧发电厂（二期）",
        "新增日处理生活垃圾1500吨焚烧线",
        "2024-2026",
        9.8,
        3.0,
        "南昌市政公用集团",
        "南昌县",
    ),
    (
        "进贤县医疗器械产业园标准厂房项目",
        "建设标准厂房28万平方米",
        "2024-2025",
        6.0,
        2.5,
        "进贤县人民政府",
        "进贤县",
    ),
    (
        "南昌西站综合交通枢纽东广场",
        "建设东广场、公交首末站及配套道路",
        "2024-2026",
        12.0,
        3.5,
        "南昌城投公司",
        "新建区",
    ),
    (
        "南昌市城市生命线安全工程（一期）",
        "燃气、供水、桥梁监测物联网",
        "2024-2025",
        3.2,
        1.6,
        "南昌市城市管理局",
        "南昌市",
    ),
]
CONTINUING = [
    ("南昌地铁5号线（一期）工程", "线路长32.1公里，车站26座", "2019-2026", 280.0, 45.0, "南昌轨道交通集团", "南昌市"),
    ("南昌地铁1号线北延", "线路长12.6公里", "2019-2025", 90.0, 12.0, "南昌轨道交通集团", "南昌市"),
    ("南昌地铁2号线东延工程", "线路长9.8公里", "2019-2025", 65.0, 10.0, "南昌轨道交通集团", "青山湖区"),
    ("昌南大道拓宽改造", "道路拓宽6.8公里", "2020-2024", 10.0, 2.0, "南昌城投公司", "南昌县"),
    ("九龙湖大道北延工程", "新建道路3.2公里", "2020-2024", 10.0, 1.5, "南昌城投公司", "红谷滩区"),
    ("赣江新洲大桥工程", "大桥全长3.9公里", "2020-2025", 45.0, 8.0, "南昌城投公司", "南昌市"),
    ("南昌市第一医院九龙湖院区建设项目", "床位2000张", "2021-2025", 32.0, 6.0, "南昌城投公司", "红谷滩区"),
    ("儿童医院红谷滩院区", "床位1200张", "2021-2025", 21.0, 4.0, "南昌城投公司", "红谷滩区"),
    ("青山湖区人民医院迁建工程", "床位800张", "2021-2024", 8.5, 2.0, "青山湖区人民政府", "青山湖区"),
    ("艾溪湖湿地公园（二期）", "湿地修复与游步道", "2022-2024", 3.1, 1.0, "南昌市政公用集团", "青山湖区"),
    ("青山湖水系综合治理", "清淤、截污与岸线整治", "2023-2025", 5.8, 2.2, "南昌城投公司", "青山湖区"),
    ("安义县古村群旅游公路", "新建旅游公路18公里", "2023-2025", 3.4, 1.2, "安义县人民政府", "安义县"),
    ("西湖区朝阳片区棚户区改造项目", "征收改造棚户区住房3200户", "2023-2026", 15.0, 4.0, "西湖区人民政府", "西湖区"),
]  # fmt: skip


def title(sheet, text: str, width: int) -> None:
    sheet.append([text])
    sheet.merge_cells(
        start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width
    )
    cell = sheet.cell(sheet.max_row, 1)
    cell.font, cell.alignment = Font(bold=True, size=16), Alignment(horizontal="center")


def city_list() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "附件"
    sheet.append(["附件"])
    title(sheet, "南昌市2024年重大建设项目名单", len(HEADER))
    sheet.append(HEADER)
    sheet.append([None, None, None, None, None, "总投资", "2024年计划投资", None, None])
    top = sheet.max_row - 1
    sheet.merge_cells(start_row=top, start_column=6, end_row=top, end_column=7)
    for column in (1, 2, 3, 4, 5, 8, 9):
        sheet.merge_cells(start_row=top, start_column=column, end_row=top + 1, end_column=column)
    total = 0.0
    for section, nature, rows in (
        ("（一）新开工项目", "新开工", NEW),
        ("（二）续建项目", "续建", CONTINUING),
    ):
        subtotal = round(sum(r[3] for r in rows), 2)
        total += subtotal
        sheet.append(
            [f"{section}（{len(rows)}个）", None, None, None, None, subtotal, None, None, None]
        )
        for number, (name, scale, period, invest, plan, unit, place) in enumerate(rows, start=1):
            sheet.append([number, name, nature, scale, period, invest, plan, unit, place])
    sheet.append(["合计", None, None, None, None, round(total, 2), None, None, None])
    book.save(OUT / "南昌市2024年重大建设项目名单.xlsx")


def adjustment() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "调整名单"
    title(sheet, "南昌市2024年重大建设项目调整名单", 5)
    sheet.append(["序号", "项目名称", "总投资（万元）", "责任单位", "调整原因"])
    sheet.append(["一、增补项目"])
    sheet.append([1, "梅岭森林防火通道工程", 9000, "南昌市林业局", "列入年度森林防火重点工程"])
    sheet.append(["二、调出项目"])
    sheet.append(
        [1, "安义县古村群旅游公路", 34000, "安义县人民政府", "前期工作未完成，调整为预备项目"]
    )
    book.save(OUT / "南昌市2024年重大建设项目调整名单.xlsx")


def province_list() -> None:
    rows = [
        ("1", "2019-360100-48-01-107919", "南昌地铁5号线一期", "续建", "2800000", "南昌轨道交通集团有限公司"),
        ("2", "2020-360100-48-01-163352", "赣江新洲大桥", "续建", "450000", "南昌城市建设投资发展有限公司"),
        ("3", "2406-360112-48-01-345489", "南昌西站综合交通枢纽东广场", "新开工", "120000",
         "南昌城市建设投资发展有限公司"),
        ("4", "2403-360121-48-02-329651", "泉岭生活垃圾焚烧发电厂二期", "新开工", "98000", "南昌市政公用集团有限公司"),
    ]  # fmt: skip
    lines = ["江西省2026年省重点建设项目名单（南昌市）",
             "序号,项目代码,项目名称,建设性质,总投资（万元）,项目单位"]  # fmt: skip
    lines += [",".join(row) for row in rows]
    (OUT / "江西省2026年省重点建设项目名单（南昌市）.csv").write_text(
        "\n".join(lines) + "\n", encoding="gbk"
    )


def docs_example() -> None:
    """docs/lists.md's walkthrough: the city's 2025 list, four rows a clerk typed, two of
    them for the review (a name shortened too far, a phase not registered)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "附件"
    title(sheet, "南昌市2025年重大建设项目名单", 6)
    sheet.append(["序号", "项目名称", "建设性质", "总投资（亿元）", "责任单位", "所在地"])
    sheet.append(["一、续建项目（3个）"])
    sheet.append([1, "南昌地铁5号线（一期）", "续建", 280, "南昌轨道交通集团", "南昌市"])
    sheet.append([2, "赣江新洲大桥项目", "续建", 45, "南昌城投公司", "南昌市"])
    sheet.append([3, "红谷滩区实验学校", "续建", 4.2, "红谷滩区人民政府", "红谷滩区"])
    sheet.append(["二、新开工项目（1个）"])
    sheet.append(
        [1, "南昌市城市生命线安全工程（二期）", "新开工", 4.5, "南昌市城市管理局", "南昌市"]
    )
    sheet.append(["合计", None, None, 333.7])
    book.save(DOCS / "南昌市2025年重大建设项目名单.xlsx")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    city_list()
    adjustment()
    province_list()
    docs_example()
