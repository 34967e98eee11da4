"""MRI and chemical-shift imaging: reconstruction operators, metal maps, profiles over time.

- :mod:`.linop`: linear operators with adjoints (FFT, Multiply, Embed/Crop, Flip, Transpose);
- :mod:`.recon`: the Cartesian reconstruction chain and :func:`reconstruct` of ParaVision raw data;
- :mod:`.orientation`: ParaVision's ``RECO_transposition``;
- :mod:`.csi`: per-voxel fit of chemical-shift images, metal maps with uncertainties;
- :mod:`.visibility`: the skin-depth visibility of each voxel from the phase of its metal;
- :mod:`.profiles`: 1D profiles, metal front position and penetration depth over time;
- :mod:`.series`: :func:`~dendritemr.mri.series.mri_dataset`, a study's CSI scans -> one
  dataset of maps, profiles, totals and fronts over time (the analysis pipeline's call).
"""

from dendritemr.mri.recon import check_cartesian, reconstruct, reconstruction_operator

__all__ = ["check_cartesian", "reconstruct", "reconstruction_operator"]
