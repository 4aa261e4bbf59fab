"""The tables every reader names, declared once: projects ``P``, sites ``S``, disclosures
``D``, responsibilities ``R``, departments ``DEP`` (SQLAlchemy Core tables of the models),
and how precisely GeoJSON is written."""

from __future__ import annotations

from registry.models import Department, Disclosure, Project, Responsibility, Site

P = Project.__table__
S = Site.__table__
D = Disclosure.__table__
R = Responsibility.__table__
DEP = Department.__table__
GEOJSON_DIGITS = 7  # about a centimetre

__all__ = ["DEP", "D", "GEOJSON_DIGITS", "P", "R", "S"]
