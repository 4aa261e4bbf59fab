"""Random but plausible project geometries around Nanchang, for tests and benchmarks."""

from __future__ import annotations

import math
import random

from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

NANCHANG = (115.60, 28.40, 116.40, 29.00)  # lon/lat box of the generated data


def random_point(rng: random.Random) -> tuple[float, float]:
    w, s, e, n = NANCHANG
    return (round(rng.uniform(w, e), 6), round(rng.uniform(s, n), 6))


def random_line(rng: random.Random) -> LineString:
    """A road or metro alignment: a random walk of 2–8 vertices, steps of 200 m to 2 km."""
    x, y = random_point(rng)
    heading = rng.uniform(0, 2 * math.pi)
    coords = [(x, y)]
    for _ in range(rng.randint(1, 7)):
        heading += rng.uniform(-0.6, 0.6)
        step = rng.uniform(0.002, 0.02)
        x, y = x + step * math.cos(heading), y + step * math.sin(heading)
        coords.append((round(x, 6), round(y, 6)))
    return LineString(coords)


def random_polygon(rng: random.Random) -> Polygon:
    """A parcel: a rotated rectangle of 100 m to 1 km a side."""
    cx, cy = random_point(rng)
    half_w, half_h = rng.uniform(0.0005, 0.005), rng.uniform(0.0005, 0.005)
    angle = rng.uniform(0, math.pi)
    cos, sin = math.cos(angle), math.sin(angle)
    corners = [(-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)]
    ring = [
        (round(cx + dx * cos - dy * sin, 6), round(cy + dx * sin + dy * cos, 6))
        for dx, dy in corners
    ]
    return Polygon(ring)


def random_geometry(rng: random.Random) -> BaseGeometry:
    roll = rng.random()
    if roll < 0.4:
        return Point(random_point(rng))
    if roll < 0.7:
        return random_line(rng)
    if roll < 0.95:
        return random_polygon(rng)
    return MultiPoint([random_point(rng) for _ in range(rng.randint(2, 5))])
