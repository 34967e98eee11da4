"""Default processing choices for in situ Li spectra (every value can be overridden).

Windows follow science.md section 3: Li metal Knight shift ~245-275 ppm (window 200-300 ppm),
electrolyte / LLZO lines within a few ppm of 0 (window -30 to 30 ppm).
"""

from __future__ import annotations

#: named integration regions, ppm
LI_REGIONS: dict[str, tuple[float, float]] = {
    "metal": (200.0, 300.0),
    "electrolyte": (-30.0, 30.0),
}
#: signal-free reference region for the noise estimate, ppm (between the two lines)
LI_NOISE_REGION: tuple[float, float] = (100.0, 180.0)
#: signal-free regions for the polynomial baseline, ppm
LI_BASELINE_REGIONS: list[tuple[float, float]] = [(-200.0, -60.0), (60.0, 180.0), (320.0, 450.0)]
#: exponential line broadening, Hz
LB_HZ: float = 50.0
#: nuclei for which the Li defaults apply
LI_NUCLEI = ("6Li", "7Li")
