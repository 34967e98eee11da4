"""``process --mode topspin`` on every real FID/1r pair and on the TopSpin 3.0 fixture.

The group-delay convention (``dendritemr.nmr.topspin``): the whole delay d is removed about
the spectrum's high-ppm edge, i.e. 180 x d degrees (mod 360) from a removal about the carrier;
the integer roll uses the nearest integer; FCOR scales the first point. The audit trail's
commands after the last raw-data processing are replayed (abs, mc, ps) or refused.
"""

from __future__ import annotations

import shutil

import agreement
import numpy as np
import pytest
from topspin30_fixture import GRPDLY, write_hahn_echo

from dendritemr.errors import DataError, ProcessingError
from dendritemr.io import open_dataset
from dendritemr.io.bruker import read_pdata
from dendritemr.io.bruker_procs import current_commands
from dendritemr.nmr import Phase
from dendritemr.nmr.topspin import group_delay_phase, replay_topspin, topspin_pipeline


@pytest.fixture(scope="module")
def hahn_echo(tmp_path_factory):
    return write_hahn_echo(tmp_path_factory.mktemp("ts30") / "1")


def test_group_delay_phase_is_half_the_ramp_of_the_whole_delay():
    assert group_delay_phase(44.75) == pytest.approx(135.0)  # 180 x frac too (44 even)
    assert group_delay_phase(67.96875) == pytest.approx(-5.625)  # 180 x frac: 174.375
    assert group_delay_phase(68.0) == pytest.approx(0.0)
    assert group_delay_phase(67.0) == pytest.approx(-180.0)
    assert group_delay_phase(0.0) == 0.0


def test_audit_trails_are_read(real_data):
    li7 = real_data / agreement.LI7 / "1" / "pdata" / "1"
    assert [c.name for c in current_commands(li7)] == ["efp", "apk", "abs"]
    assert current_commands(li7)[0].version == "TopSpin 4.1.4"
    dnp = real_data / agreement.DNPLAB / "pdata" / "1"
    assert [c.name for c in current_commands(dnp)] == ["efp", "apk0", "mc"]
    xwin = real_data / "nmrpy-varian-31P-array-bruker-1H" / "bruker1" / "1" / "pdata" / "1"
    assert [c.name for c in current_commands(xwin)] == ["efp"]


def test_magnitude_pair_topspin_1_3(real_data):
    """TopSpin 1.3, audit trail efp, apk0, mc: 1r is a magnitude spectrum (FCOR 0.5)."""
    exp = real_data / agreement.DNPLAB
    fid, ref = open_dataset(exp, nucleus="1H"), read_pdata(exp / "pdata" / "1")
    assert agreement.pearson(replay_topspin(fid), ref) > 0.999


def test_topspin_3_hahn_echo_fixture(hahn_echo):
    fid = open_dataset(hahn_echo)
    assert fid.attrs["group_delay"] == GRPDLY
    ref = read_pdata(hahn_echo / "pdata" / "1")
    replay = replay_topspin(fid)
    assert agreement.pearson(replay, ref) > 0.999
    # the old rule (180 x frac(GRPDLY) added to PHC0) is 180 degrees off: issue 9's r = -0.98
    old = Phase(p0_deg=group_delay_phase(GRPDLY) - 180.0 * (GRPDLY % 1))(replay)
    assert agreement.pearson(old, ref) < -0.99


def test_unreplayable_command_is_refused(hahn_echo, tmp_path):
    exp = tmp_path / "1"
    shutil.copytree(hahn_echo, exp)
    audit = exp / "pdata" / "1" / "auditp.txt"
    entry = (
        "(   2,<2012-05-04 10:01:00.000 +0100>,<nmr>,<av500>,<proc1d>,<TOPSPIN 3.0>,\n <bcm >)\n"
    )
    audit.write_text(audit.read_text().replace("##END=", entry + "##END="))
    expected = "pdata/1: TopSpin processing not replayable: auditp.txt: command 'bcm' changes"
    with pytest.raises(DataError, match=expected):
        replay_topspin(open_dataset(exp))
    with pytest.raises(ProcessingError, match="unknown"):
        topspin_pipeline({"SI": 1024}, 10.0, ["efp", "xyz"])
    with pytest.raises(ProcessingError, match="WDW=2 is not replayed"):
        topspin_pipeline({"SI": 1024, "WDW": 2}, 10.0, ["efp"])


def test_power_spectrum_is_the_squared_magnitude(hahn_echo):
    fid = open_dataset(hahn_echo)
    from dendritemr.io.bruker_procs import procs_parameters

    procs = procs_parameters(hahn_echo / "pdata" / "1")
    mc = topspin_pipeline(procs, GRPDLY, ["efp", "mc"])(fid).values.real
    ps = topspin_pipeline(procs, GRPDLY, ["efp", "ps"])(fid).values.real
    np.testing.assert_allclose(ps, mc**2, rtol=1e-5)
