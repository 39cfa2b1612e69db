"""Synthetic SNOMED CT RF2 releases with the shape of a real edition (``shared/design/synthetic-rf2.md`` §6).

The public door of the generator::

    from scripts.synth import SynthParams, generate, verify

    result = generate(Path("out"), SynthParams(scale="ci", extension=True, versions=2))
    assert verify(Path("out")) == []

``generate`` writes the International package (and, with ``extension``, the Swedish-style extension
package) in RF2 layout, optionally the V1 packages and the V2 Delta (``versions=2``), and the ground
truth under ``truth/``. ``verify`` re-derives every Snapshot from its Full file (§6.7 item 4). See
``docs/synthetic-rf2.md`` for the parameters, the layout and measured timings.
"""

from __future__ import annotations

from pathlib import Path

from .profile import SynthParams
from .release import PackageInfo, SynthResult, generate
from .verify import verify_packages

__all__ = ["PackageInfo", "SynthParams", "SynthResult", "generate", "verify"]


def verify(out_dir: Path) -> list[str]:
    """Problems found by re-deriving each Snapshot from Full and checking Full(V1) + Delta == Full(V2).

    An empty list means every check passed (§6.7 item 4).
    """
    return verify_packages(Path(out_dir))
