"""Open-data exports: OC4IDS project packages and the Atom feed."""
