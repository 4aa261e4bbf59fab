"""The tables every reader names, declared once: projects ``P``, sites ``S``, disclosures
``D``, responsibilities ``R``, departments ``DEP``, lists ``L`` and their entries ``E``,
designations ``DES``, declarations ``DEC``, the change stream's events ``CE`` and
commits ``CC`` (SQLAlchemy Core tables of the models),
and how precisely GeoJSON is written."""

from __future__ import annotations

from registry.models import (
    ChangeCommit,
    ChangeEvent,
    Declaration,
    Department,
    Disclosure,
    ListEntry,
    Project,
    ProjectList,
    Responsibility,
    ScopeDesignation,
    Site,
)

P = Project.__table__
S = Site.__table__
D = Disclosure.__table__
R = Responsibility.__table__
DEP = Department.__table__
L = ProjectList.__table__
E = ListEntry.__table__
DES = ScopeDesignation.__table__
DEC = Declaration.__table__
CE = ChangeEvent.__table__
CC = ChangeCommit.__table__
GEOJSON_DIGITS = 7  # about a centimetre

__all__ = ["CC", "CE", "DEC", "DEP", "DES", "D", "E", "GEOJSON_DIGITS", "L", "P", "R", "S"]
