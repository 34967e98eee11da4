"""Write a chemical-shift image as a ParaVision experiment: acqp, method, fid, pdata/1.

Layout as ParaVision 5/6 writes it (and :mod:`dendritemr.io.paravision` reads it):

* ``fid``: int32 little-endian complex pairs; loops from fastest to slowest: spectral points
  (``ACQ_size[0] / 2``), objects (``NI``), encoding step 1 (``ACQ_size[1]``), encoding step
  2 (``ACQ_size[2]``), repetitions (``NR``); each innermost line padded to 1 KiB blocks
  (``GO_block_size = Standard_KBlock_Format``).
* ``pdata/1/2dseq``: the reconstructed magnitude data set, int32 little-endian, fastest
  dimension first as listed in ``VisuCoreSize`` (spectral, encoding 1, encoding 2), real
  value = stored x ``VisuCoreDataSlope`` + ``VisuCoreDataOffs``; ``reco`` holds the inverse
  mapping (``RECO_map_slope``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np

from dendritemr.io.paravision_jcamp import PvEnum, PvStruct, format_pv_parameters
from dendritemr.sim.observables.csi import CsiGeometry, reconstruct_array

__all__ = ["PvScan", "write_csi_experiment"]


@dataclasses.dataclass(frozen=True)
class PvScan:
    """Acquisition facts of one CSI scan.

    Attributes
    ----------
    nucleus : e.g. "7Li"; tr_s : repetition time (s); na : averages; flip_deg : flip angle.
    start : acquisition start (timezone-aware); path_label : instrument path written in
        the ``$$`` header lines (keeps files independent of the output folder).
    """

    nucleus: str
    tr_s: float
    na: int
    flip_deg: float
    start: dt.datetime
    path_label: str

    def duration_s(self, n_steps: int) -> float:
        """Scan time: one TR per phase-encoding step and average (s)."""
        return self.tr_s * self.na * n_steps


def _pv_time(t: dt.datetime) -> str:
    """ParaVision's ``ACQ_time`` style, e.g. ``11:59:49 05 Nov 2013``."""
    return t.strftime("%H:%M:%S %d %b %Y")


def _header(t: dt.datetime, path: str) -> list[str]:
    return [f"{t.strftime('%a %b %d %H:%M:%S %Y')} (UT{t.strftime('%z')})  dendritemr", path]


def _acqp(k: np.ndarray, geo: CsiGeometry, scan: PvScan) -> dict:
    nz, nx, nt = k.shape
    two_d = nx > 1
    size = [2 * nt, nz] + ([nx] if two_d else [])
    sfo1 = geo.bf1_mhz + geo.o1_hz * 1e-6
    return {
        "PULPROG": "CSI.ppg",
        "ACQ_experiment_mode": PvEnum("SingleExperiment"),
        "ACQ_dim": len(size),
        "ACQ_dim_desc": np.array(["Spectroscopic", "Spatial"] + (["Spatial"] if two_d else [])),
        "ACQ_size": np.array(size),
        "ACQ_ns": 1,
        "ACQ_phase_factor": 1,
        "ACQ_scan_size": PvEnum("One_scan"),
        "NI": 1,
        "NA": scan.na,
        "NAE": 1,
        "NR": 1,
        "DS": 0,
        "SW_h": float(geo.sw_hz),
        "SW": float(geo.sw_hz / sfo1),
        "BF1": float(geo.bf1_mhz),
        "SFO1": float(sfo1),
        "O1": float(geo.o1_hz),
        "NUC1": scan.nucleus,
        "NUCLEUS": scan.nucleus,
        "ACQ_method": "CSI",
        "ACQ_word_size": PvEnum("_32_BIT"),
        "NECHOES": 1,
        "ACQ_fov": np.array([geo.fov_z_m * 100, geo.fov_x_m * 100][: len(size) - 1]),
        "ACQ_obj_order": np.array([0]),
        "ACQ_flip_angle": float(scan.flip_deg),
        "ACQ_repetition_time": np.array([scan.tr_s * 1e3]),
        "ACQ_time": _pv_time(scan.start),
        "ACQ_abs_time": int(scan.start.timestamp()),
        "BYTORDA": PvEnum("little"),
        "GRPDLY": 0.0,
        "NSLICES": 1,
        "GO_data_save": PvEnum("Yes"),
        "GO_block_size": PvEnum("Standard_KBlock_Format"),
        "GO_raw_data_format": PvEnum("GO_32BIT_SGN_INT"),
    }


def _method(k: np.ndarray, geo: CsiGeometry, scan: PvScan) -> dict:
    nz, nx, nt = k.shape
    two_d = nx > 1
    out = {
        "Method": PvEnum("CSI"),
        "PVM_RepetitionTime": scan.tr_s * 1e3,
        "PVM_NAverages": scan.na,
        "PVM_ScanTime": scan.duration_s(nz * nx) * 1e3,
        "PVM_Nucleus1": scan.nucleus,
        "PVM_SpatDimEnum": PvEnum("<2D>" if two_d else "<1D>"),
        "PVM_Fov": np.array([geo.fov_z_m * 1e3, geo.fov_x_m * 1e3][: 2 if two_d else 1]),
        "PVM_Matrix": np.array([nz, nx][: 2 if two_d else 1]),
        "PVM_EncSteps1": np.asarray(geo.steps_z),
        "PVM_SpecMatrix": np.array([nt]),
        "PVM_SpecSWH": np.array([float(geo.sw_hz)]),
        "PVM_FrqWorkOffsetPpm": np.array([geo.o1_hz / geo.bf1_mhz] + [0.0] * 7),
    }
    if two_d:
        out["PVM_EncSteps2"] = np.asarray(geo.steps_x)
    return out


def _raw_bytes(k: np.ndarray, scale: float) -> bytes:
    nz, nx, nt = k.shape
    lines = np.transpose(k, (1, 0, 2)).reshape(nx * nz, nt)  # slowest: step 2, then step 1
    inter = np.empty((lines.shape[0], 2 * nt))
    inter[:, 0::2], inter[:, 1::2] = lines.real, lines.imag
    ints = np.round(inter * scale)
    if np.max(np.abs(ints)) >= 2**31:
        raise ValueError("k-space overflows int32 at this scale")
    ints = ints.astype("<i4")
    pad = (-ints.shape[1] * 4) % 1024 // 4
    if pad:
        ints = np.concatenate([ints, np.zeros((ints.shape[0], pad), "<i4")], axis=1)
    return ints.tobytes()


def _visu(mag: np.ndarray, geo: CsiGeometry, scan: PvScan, slope: float) -> dict:
    nz, nx, nt = mag.shape
    two_d = nx > 1
    sfo1 = geo.bf1_mhz + geo.o1_hz * 1e-6
    sizes = [nt, nz] + ([nx] if two_d else [])
    return {
        "VisuVersion": 1,
        "VisuCreator": "dendritemr",
        "VisuCreatorVersion": "5.1",
        "VisuCoreFrameCount": 1,
        "VisuCoreDim": len(sizes),
        "VisuCoreSize": np.array(sizes),
        "VisuCoreDimDesc": np.array(["spectroscopic", "spatial"] + (["spatial"] if two_d else [])),
        "VisuCoreExtent": np.array(
            [geo.sw_hz / geo.bf1_mhz, geo.fov_z_m * 1e3] + ([geo.fov_x_m * 1e3] if two_d else [])
        ),
        "VisuCoreUnits": PvStruct(
            (len(sizes), 65), " ".join(["<ppm>", "<mm>"] + (["<mm>"] if two_d else []))
        ),
        "VisuCoreDataMin": np.array([0.0]),
        "VisuCoreDataMax": np.array([float(mag.max())]),
        "VisuCoreDataOffs": np.array([0.0]),
        "VisuCoreDataSlope": np.array([slope]),
        "VisuCoreFrameType": PvEnum("MAGNITUDE_IMAGE"),
        "VisuCoreWordType": PvEnum("_32BIT_SGN_INT"),
        "VisuCoreByteOrder": PvEnum("littleEndian"),
        "VisuFGOrderDescDim": 1,
        "VisuFGOrderDesc": PvStruct((1,), "(1, <FG_SLICE>, <>, 0, 2)"),
        "VisuAcqImagingFrequency": float(sfo1),
        "VisuAcqImagedNucleus": scan.nucleus,
        "VisuAcqRepetitionTime": np.array([scan.tr_s * 1e3]),
        "VisuAcqScanTime": scan.duration_s(nz * nx) * 1e3,
        "VisuAcqSequenceName": "CSI (dendritemr)",
        "VisuAcqDate": _pv_time(scan.start),
    }


def _reco(mag: np.ndarray, geo: CsiGeometry, slope: float) -> dict:
    nz, nx, nt = mag.shape
    two_d = nx > 1
    sizes = np.array([nt, nz] + ([nx] if two_d else []))
    return {
        "RECO_mode": PvEnum("FT_MODE"),
        "RECO_inp_size": sizes,
        "RECO_ft_size": sizes,
        "RECO_size": sizes,
        "RECO_fov": np.array([geo.fov_z_m * 100, geo.fov_x_m * 100][: 2 if two_d else 1]),
        "RECO_ft_mode": np.array(["COMPLEX_FFT"] * sizes.size),
        "RECO_image_type": PvEnum("MAGNITUDE_IMAGE"),
        "RECO_wordtype": PvEnum("_32BIT_SGN_INT"),
        "RECO_byte_order": PvEnum("littleEndian"),
        "RECO_transposition": np.array([0]),
        "RECO_map_mode": PvEnum("ABSOLUTE_MAPPING"),
        "RECO_map_offset": np.array([0.0]),
        "RECO_map_slope": np.array([1.0 / slope]),
    }


def write_csi_experiment(
    folder: Path, kspace: np.ndarray, geo: CsiGeometry, scan: PvScan, scale: float
) -> Path:
    """Write one CSI experiment (raw ``fid`` and reconstructed ``pdata/1``).

    Parameters
    ----------
    folder : experiment folder (``<study>/<expno>``), created.
    kspace : complex ``(steps_z, steps_x, spectral_points)`` with noise.
    geo : field of view and frequencies; scan : acquisition facts.
    scale : factor to int32 counts, the same for a whole series (fixed receiver gain).
    """
    folder = Path(folder)
    pdata = folder / "pdata" / "1"
    pdata.mkdir(parents=True, exist_ok=True)
    head = _header(scan.start, f"{scan.path_label}/acqp")
    (folder / "acqp").write_text(format_pv_parameters(_acqp(kspace, geo, scan), head))
    head = _header(scan.start, f"{scan.path_label}/method")
    (folder / "method").write_text(format_pv_parameters(_method(kspace, geo, scan), head))
    (folder / "pulseprogram").write_text(";CSI: phase-encoded chemical-shift imaging\n")
    raw = _raw_bytes(kspace, scale)
    tmp = folder / ".fid.tmp"
    tmp.write_bytes(raw)
    tmp.replace(folder / "fid")
    counts = np.round(kspace * scale)  # ParaVision reconstructs the stored raw data
    mag = np.abs(reconstruct_array(counts))
    slope = float(mag.max()) / 2**30 if mag.max() > 0 else 1.0
    stored = np.round(mag / slope).astype("<i4")
    head = _header(scan.start, f"{scan.path_label}/pdata/1/visu_pars")
    (pdata / "visu_pars").write_text(format_pv_parameters(_visu(mag, geo, scan, slope), head))
    head = _header(scan.start, f"{scan.path_label}/pdata/1/reco")
    (pdata / "reco").write_text(format_pv_parameters(_reco(mag, geo, slope), head))
    (pdata / "2dseq").write_bytes(np.transpose(stored, (1, 0, 2)).tobytes())
    return folder
