"""From the cell model's state to instrument signals with ground truth.

One concept per module: :mod:`.settings` (magnet, acquisitions, line parameters),
:mod:`.snapshot` (metal state at a time point), :mod:`.lines` (visibility, shifts, weights),
:mod:`.noise` (the SNR definition), :mod:`.spectra` (6Li/7Li FIDs), :mod:`.csi` (7Li
chemical-shift imaging k-space), :mod:`.cycler` (time, current, voltage), :mod:`.truth`
(``ground_truth.json``).
"""

from dendritemr.sim.observables.settings import CsiSettings, NmrSettings, ObservationSettings

__all__ = ["CsiSettings", "NmrSettings", "ObservationSettings"]
