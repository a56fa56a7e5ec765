"""The fuzzer in CI: every target of tests/fuzz_targets.py (generated tensor headers, snapshot
structures in the NVlabs layout, nesting written as opcodes, contracts, sidecars, ONNX external
data, and byte-level mutation of the CI fixture pickles, contract text, sidecars and the ONNX)
under Hypothesis with a fixed seed (derandomize): about a minute in all, the same inputs every
run. Long runs with fresh seeds: `python scripts/fuzz.py --minutes N`."""

from __future__ import annotations

import pytest

pytest.importorskip("hypothesis", reason="hypothesis is in the dev extra: pip install 'ganrt[dev]'")
from hypothesis import HealthCheck, Phase, settings  # noqa: E402

import fuzz_targets as fz  # noqa: E402


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> fz.Context:
    return fz.Context(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("name", list(fz.TARGETS))
def test_fuzz_target(context, name):
    target = fz.TARGETS[name]
    # No shrinking in CI: a failing input is reported as found (a shrink of megabyte-sized inputs, and
    # their printing, can take longer than the suite); the long runs shrink.
    ci = settings(derandomize=True, database=None, deadline=None, max_examples=target.ci_examples,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.reuse, Phase.generate])
    ci(fz.hypothesis_test(target, context, []))()
