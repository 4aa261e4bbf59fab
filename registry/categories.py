"""The eight disclosure categories, fixed by national policy (国办发〔2017〕94号)."""

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

    @property
    def name_zh(self) -> str:
        return NAMES_ZH[self]


NAMES_ZH = {
    Category.APPROVAL_SERVICE: "批准服务信息",
    Category.APPROVAL_RESULT: "批准结果信息",
    Category.BIDDING: "招标投标信息",
    Category.LAND_ACQUISITION: "征收土地信息",
    Category.DESIGN_CHANGE: "重大设计变更信息",
    Category.CONSTRUCTION: "施工有关信息",
    Category.QUALITY_SAFETY: "质量安全监督信息",
    Category.COMPLETION: "竣工有关信息",
}
