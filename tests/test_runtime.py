"""The job's numeric precision: what `auto` picks on which machine, and why (no GPU needed)."""

import pytest

pytest.importorskip("tensorflow")

from wganlib.train.runtime import choose_precision, cpu_flags  # noqa: E402

ZEN4 = {"avx2", "avx512f", "avx512_bf16"}
SAPPHIRE_RAPIDS = {"avx512f", "amx_bf16", "amx_tile"}
OLDER = {"avx2", "fma"}


@pytest.mark.parametrize(
    "device, flags, capability, expected",
    [
        ("CPU", ZEN4, None, "mixed_bfloat16"),
        ("CPU", SAPPHIRE_RAPIDS, None, "mixed_bfloat16"),
        ("CPU", OLDER, None, "float32"),
        ("CPU", set(), None, "float32"),  # no /proc/cpuinfo (macOS): nothing is assumed
        ("GPU", OLDER, (8, 0), "mixed_bfloat16"),  # A100
        ("GPU", OLDER, (9, 0), "mixed_bfloat16"),  # H100
        ("GPU", ZEN4, (7, 0), "float32"),  # V100: the GPU decides, not the host CPU
        ("GPU", ZEN4, None, "float32"),
    ],
)
def test_auto_picks_bfloat16_only_where_it_is_native(device, flags, capability, expected):
    policy, reason = choose_precision("auto", device, flags, capability)
    assert policy == expected
    assert reason.startswith("auto: ")


@pytest.mark.parametrize("requested", ["float32", "mixed_bfloat16"])
def test_an_explicit_precision_is_kept_on_any_machine(requested):
    for device, flags, capability in (("CPU", OLDER, None), ("CPU", ZEN4, None), ("GPU", set(), (7, 5))):
        assert choose_precision(requested, device, flags, capability) == (
            requested,
            "as configured (training.precision)",
        )


def test_cpu_flags_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nflags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\nflags\t\t: fpu avx2 avx512_bf16\n"
    )
    assert cpu_flags(cpuinfo) == {"fpu", "avx2", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == set()
