"""The eight disclosure categories, fixed by national policy (国办发〔2017〕94号).

Only the keys live in code; their names (Chinese and English) are catalog data
(``registry/data/catalog.yaml``): ``get_catalog().category(c).name_zh``.
"""

from enum import StrEnum


class Category(StrEnum):
    APPROVAL_SERVICE = "approval_service"
    APPROVAL_RESULT = "approval_result"
    BIDDING = "bidding"
    LAND_ACQUISITION = "land_acquisition"
    DESIGN_CHANGE = "design_change"
    CONSTRUCTION = "construction"
    QUALITY_SAFETY = "quality_safety"
    COMPLETION = "completion"
