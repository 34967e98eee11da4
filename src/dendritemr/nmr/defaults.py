"""Default processing choices for in situ Li spectra: the ONE place for the windows.

Every other module (processing, fit, quantification) imports these names; every value can be
overridden by the caller. Windows follow science.md section 3: the Li metal Knight shift is
~245-275 ppm (bulk electrode ~245-250, microstructure/dendrites up to ~275), so the metal window
is 200-300 ppm; electrolyte and LLZO lines lie within a few ppm of 0 (window -30 to 30 ppm).
All values in ppm unless the name says otherwise.
"""

from __future__ import annotations

#: Li metal window (bulk electrode + microstructure), ppm
METAL_WINDOW: tuple[float, float] = (200.0, 300.0)
#: electrolyte / LLZO window, ppm
ELECTROLYTE_WINDOW: tuple[float, float] = (-30.0, 30.0)
#: named integration regions, ppm
LI_REGIONS: dict[str, tuple[float, float]] = {
    "metal": METAL_WINDOW,
    "electrolyte": ELECTROLYTE_WINDOW,
}
#: signal-free region for the noise estimate, ppm (between the electrolyte and metal lines)
NOISE_REGION: tuple[float, float] = (100.0, 180.0)
LI_NOISE_REGION = NOISE_REGION  # older name, kept importable
#: signal-free regions of in situ Li spectra, ppm: the metal window widened by 5 ppm (its
#: lines' wings), the electrolyte window widened by 10 ppm; used with a polynomial of degree
#: :data:`LI_BASELINE_ORDER` (TopSpin's ``abs`` default ABSG 5) and clipped to the spectrum
LI_SIGNAL_FREE: list[tuple[float, float]] = [(-400.0, -40.0), (40.0, 195.0), (305.0, 550.0)]
LI_BASELINE_ORDER: int = 5
#: older, narrower signal-free regions (first-order baseline); kept for existing callers
LI_BASELINE_REGIONS: list[tuple[float, float]] = [(-200.0, -60.0), (60.0, 180.0), (320.0, 450.0)]
#: exponential line broadening, Hz
LB_HZ: float = 50.0
#: nuclei for which the Li defaults apply
LI_NUCLEI = ("6Li", "7Li")
#: a metal line is "present" when the magnitude spectrum's maximum inside METAL_WINDOW is at
#: least this many noise standard deviations and a local maximum (not a neighbour's flank)
METAL_DETECTION_SNR: float = 10.0
