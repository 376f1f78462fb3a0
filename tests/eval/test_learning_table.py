"""benchmarks/learning.py's closed-loop first-arm column: the expert's arm on the same seed, or nothing to
compare with when the expert did not play (`--no-reference`), never a "0/0"."""
import sys

sys.path.insert(0, "benchmarks")
from learning import first_arm_agreement  # noqa: E402

from aim_core.eval.evaluate import EvalOutcome  # noqa: E402
from aim_core.eval.report import EpisodeResult  # noqa: E402


def _outcome(rows: list[tuple[str, int, str | None]]) -> EvalOutcome:
    results = [EpisodeResult(policy, "place_shoe", "easy", seed, False, 10, 1.0, arm) for policy, seed, arm in rows]
    return EvalOutcome(results=results, reports=None, videos=[], seeds={"place_shoe/easy": [0, 1, 2]})


def test_first_arm_agreement_counts_the_expert_seeds_and_is_none_without_the_expert():
    played = _outcome([("expert", 0, "left"), ("expert", 1, "right"), ("aim", 0, "left"), ("aim", 1, "left"),
                       ("aim", 2, "right")])  # seed 2: no expert row to compare with
    assert first_arm_agreement(played, "aim", "place_shoe") == (1, 2)
    assert first_arm_agreement(played, "aim", "click_bell") is None
    assert first_arm_agreement(_outcome([("aim", 0, "left")]), "aim", "place_shoe") is None
