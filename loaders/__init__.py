"""Loaders: department files (CSV, XLSX, GeoJSON, zipped Shapefiles) into the registry.

They read, map headers from the catalog's one definition of each element, convert
coordinates, and hand rows to the publishing functions in ``registry`` — the same rules
as the GraphQL mutations. A file is all-or-nothing.

    from loaders import load_file
    report = load_file(session, "disclosures.csv", department="NCFGW")
"""

from loaders.run import FileRefused, FileReport, load_file

__all__ = ["FileRefused", "FileReport", "load_file"]
