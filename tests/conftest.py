"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

# One BLAS thread per test process: OpenBLAS threads spin-wait, and on a busy 2-core machine
# (CI, or tests beside other work) a dense SVD in the fit tests then runs 10-20x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402 - after the environment setting above

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """Folder of real instrument data (``../shared/data/real``); skips the test when absent."""
    if not REAL.is_dir():
        pytest.skip(f"real instrument data not found at {REAL.resolve()}")
    return REAL.resolve()


LI7_SERIES = Path("li7-insitu-LiLi-TEGDME") / "2023-08-11_jana_insituLiLiTEGDME-02_galv"


@pytest.fixture(scope="session")
def li7_dir(real_data) -> Path:
    """The 50-experiment in situ 7Li series (TopSpin 2.1, 7.05 T)."""
    return real_data / LI7_SERIES


@pytest.fixture(scope="session")
def li7_fid(li7_dir):
    """The whole real 7Li series read once as a (time, t2) FID series."""
    from dendritemr.io import open_dataset

    return open_dataset(li7_dir)


@pytest.fixture(scope="session")
def synthetic_study(tmp_path_factory):
    """A small synthetic 7Li series written in TopSpin layout, with its truth."""
    from dendritemr.sim.synthetic_series import SyntheticSeries, write_series

    folder = tmp_path_factory.mktemp("synthetic") / "7Li"
    truth = write_series(folder, SyntheticSeries(n_spectra=8, td=4096), seed=3)
    return folder, truth


@pytest.fixture(scope="session")
def small_study_changes() -> dict:
    """Scenario changes (to the ``high-current`` preset) for a small simulated study: a 300 um
    pellet that shorts after a few hours, seconds to simulate, with a coarse CSI."""
    return {
        "geometry.thickness_um": 300.0,
        "geometry.width_um": 60.0,
        "protocol.max_time_h": 12.0,
        "isotopes.rest_h": 2.0,
        "mri.matrix_z": 32,
        "mri.matrix_x": 4,
        "mri.spectral_points": 128,
        "mri.every_h": 2.0,
    }
