"""Nuclear constants (IUPAC 2001) and field/frequency conversions."""

import math

import numpy as np
import pytest

from dendritemr.physics import (
    NUCLEI,
    Nucleus,
    field_from_frequency_ratio,
    field_from_larmor,
    get_nucleus,
    larmor_mhz,
    proton_frequency_mhz,
    signal_per_nucleus,
)

REQUIRED = [
    "1H", "2H", "6Li", "7Li", "11B", "13C", "15N", "17O",
    "19F", "23Na", "27Al", "29Si", "31P", "71Ga", "139La", "91Zr",
]  # fmt: skip


def test_required_nuclei_present():
    assert set(REQUIRED) <= set(NUCLEI)
    assert all(isinstance(NUCLEI[n], Nucleus) for n in REQUIRED)


def test_lithium_values_match_science_md():
    li6, li7 = NUCLEI["6Li"], NUCLEI["7Li"]
    assert (li6.spin, li7.spin) == (1.0, 1.5)
    assert li6.gamma == pytest.approx(3.9371709e7, rel=1e-9)
    assert li7.gamma == pytest.approx(10.3977013e7, rel=1e-9)
    assert li6.xi_percent == pytest.approx(14.716086, abs=1e-7)
    assert li7.xi_percent == pytest.approx(38.863797, abs=1e-7)
    assert li6.abundance == pytest.approx(0.0759)
    assert li7.abundance == pytest.approx(0.9241)
    assert li6.quadrupole_fm2 == pytest.approx(-0.0808)
    assert li7.quadrupole_fm2 == pytest.approx(-4.01)
    # natural 6Li/7Li atom ratio 0.0821 (science.md section 2)
    assert li6.abundance / li7.abundance == pytest.approx(0.0821, abs=1e-4)


@pytest.mark.parametrize(
    "name, spin, xi",
    [
        ("1H", 0.5, 100.0),
        ("2H", 1.0, 15.350609),
        ("11B", 1.5, 32.083974),
        ("13C", 0.5, 25.145020),
        ("15N", 0.5, 10.136767),
        ("17O", 2.5, 13.556457),
        ("19F", 0.5, 94.094011),
        ("23Na", 1.5, 26.451900),
        ("27Al", 2.5, 26.056859),
        ("29Si", 0.5, 19.867187),
        ("31P", 0.5, 40.480742),
        ("71Ga", 1.5, 30.496704),
        ("91Zr", 2.5, 9.296298),
        ("139La", 3.5, 14.125641),
    ],
)
def test_iupac_spot_values(name, spin, xi):
    n = NUCLEI[name]
    assert n.spin == spin
    assert n.xi_percent == pytest.approx(xi, abs=1e-6)
    assert (n.quadrupole_fm2 == 0.0) == (spin == 0.5)


@pytest.mark.parametrize("name", REQUIRED)
def test_gamma_and_xi_columns_agree(name):
    """|gamma| / gamma(1H) equals Xi/100 up to the shielding of the reference compounds, which
    grows with Z (7Li 7e-5, 31P 9e-4, 139La 8e-3): a typo in either column fails here."""
    n, h = NUCLEI[name], NUCLEI["1H"]
    tol = 1e-3 if n.mass_number < 40 else 1e-2
    assert abs(n.gamma) / h.gamma == pytest.approx(n.xi_percent / 100.0, rel=tol)
    assert 0.0 < n.abundance <= 1.0


def test_negative_gammas():
    assert NUCLEI["15N"].gamma < 0 and NUCLEI["29Si"].gamma < 0
    assert NUCLEI["17O"].gamma < 0 and NUCLEI["91Zr"].gamma < 0
    assert NUCLEI["7Li"].gamma > 0


@pytest.mark.parametrize(
    "label", ["7Li", "Li7", "<7Li>", "7li", "LI7", " 7Li ", "li-7", "7-Li", "Li_7"]
)
def test_get_nucleus_spellings(label):
    assert get_nucleus(label) is NUCLEI["7Li"]


def test_get_nucleus_other_and_passthrough():
    assert get_nucleus("<139La>") is NUCLEI["139La"]
    assert get_nucleus("h1") is NUCLEI["1H"]
    assert get_nucleus(NUCLEI["6Li"]) is NUCLEI["6Li"]
    assert NUCLEI["139La"].element == "La" and NUCLEI["139La"].mass_number == 139


@pytest.mark.parametrize("label", ["8Li", "Xx7", "Li", "", "7", "lithium"])
def test_get_nucleus_unknown(label):
    with pytest.raises(ValueError, match=f"^unknown nucleus {label!r}$"):
        get_nucleus(label)


def test_gamma_over_2pi_values():
    assert NUCLEI["6Li"].gamma_mhz_per_t == pytest.approx(6.2657, abs=5e-5)
    assert NUCLEI["7Li"].gamma_mhz_per_t == pytest.approx(16.5472, abs=5e-5)
    # bare-nucleus value from the tabulated gamma differs by reference shielding only
    assert NUCLEI["7Li"].gamma_bare_mhz_per_t == pytest.approx(16.5485, abs=5e-5)
    # IUPAC 2001 1H gamma 26.7522128e7 rad/s/T (CODATA 1986) -> 42.577469 MHz/T
    assert NUCLEI["1H"].gamma_mhz_per_t == pytest.approx(42.577469, abs=1e-6)


def test_larmor_7li_at_7p05():
    assert larmor_mhz("7Li", 7.05) == pytest.approx(116.66, abs=0.005)
    assert larmor_mhz("6Li", 7.05) == pytest.approx(44.17, abs=0.005)
    assert larmor_mhz("7Li", 7.05, reference="gamma") == pytest.approx(116.667, abs=0.001)


def test_larmor_vectorised_and_round_trips():
    b = np.array([1.0, 7.05, 9.4, 21.1])
    for nuc in ("7Li", "6Li", "15N"):
        f = larmor_mhz(nuc, b)
        assert f.shape == b.shape and np.all(f > 0)
        np.testing.assert_allclose(field_from_larmor(nuc, f), b, rtol=1e-14)
        fg = larmor_mhz(nuc, b, reference="gamma")
        np.testing.assert_allclose(field_from_larmor(nuc, fg, reference="gamma"), b, rtol=1e-14)
        np.testing.assert_allclose(field_from_frequency_ratio(nuc, f), b, rtol=1e-14)
    assert isinstance(larmor_mhz("7Li", 1.0), float)
    with pytest.raises(ValueError):
        larmor_mhz("7Li", 1.0, reference="bogus")


def test_proton_frequency_from_bruker_bf1():
    assert proton_frequency_mhz("<7Li>", 116.641914) == pytest.approx(300.13, abs=0.001)
    assert field_from_frequency_ratio("7Li", 116.641914) == pytest.approx(
        300.130 / 42.577469, rel=1e-5
    )
    # 1H itself maps to itself
    assert proton_frequency_mhz("1H", 400.0) == pytest.approx(400.0)


def test_signal_per_nucleus():
    assert signal_per_nucleus("6Li") == pytest.approx(0.0290, abs=5e-5)
    assert signal_per_nucleus("7Li") == 1.0
    g6, g7 = 3.9371709, 10.3977013
    assert signal_per_nucleus("6Li") == pytest.approx((g6 / g7) ** 3 * 2.0 / 3.75, rel=1e-12)
    # relative to another reference, and independent of the sign of gamma
    assert signal_per_nucleus("7Li", relative_to="1H") == pytest.approx(
        (10.3977013 / 26.7522128) ** 3 * 3.75 / 0.75, rel=1e-12
    )
    assert signal_per_nucleus("15N", relative_to="1H") > 0
    assert math.isclose(signal_per_nucleus("6Li", relative_to="6Li"), 1.0)
