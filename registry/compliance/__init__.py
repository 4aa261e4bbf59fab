"""Compliance: deadlines in official working days, timeliness, completeness, scores."""
