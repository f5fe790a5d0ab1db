"""Albers equal-area conic projection of China, on a sphere, in a few lines of numpy.

Equal-area, so the provinces keep their relative sizes on the report's map (an
equirectangular plot would stretch the north-east); standard parallels 25° N and 47° N and
central meridian 105° E, the parameters commonly used for maps of all China. A sphere is
exact enough for a map a few hundred pixels wide. Formulas: Snyder, *Map Projections — A
Working Manual* (USGS Professional Paper 1395, 1987), pp. 98–100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Albers:
    """The projection's parameters (degrees)."""

    lat_1: float = 25.0
    lat_2: float = 47.0
    lon_0: float = 105.0
    lat_0: float = 0.0

    def project(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Kilometres east and north of (lon_0, lat_0) for arrays of longitude and latitude."""
        phi1, phi2, phi0 = np.radians([self.lat_1, self.lat_2, self.lat_0])
        n = (np.sin(phi1) + np.sin(phi2)) / 2
        c = np.cos(phi1) ** 2 + 2 * n * np.sin(phi1)
        rho_0 = np.sqrt(c - 2 * n * np.sin(phi0)) / n
        rho = np.sqrt(c - 2 * n * np.sin(np.radians(np.asarray(lat, dtype=float)))) / n
        theta = n * np.radians(np.asarray(lon, dtype=float) - self.lon_0)
        x = EARTH_RADIUS_KM * rho * np.sin(theta)
        y = EARTH_RADIUS_KM * (rho_0 - rho * np.cos(theta))
        return x, y


@dataclass(frozen=True)
class Frame:
    """Projected kilometres to SVG user units: ``scale`` units per km, the map's top-left
    corner at (``east``, ``north``) km; SVG's y axis points down."""

    scale: float
    east: float
    north: float

    def place(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(x) - self.east) * self.scale, (self.north - np.asarray(y)) * self.scale
