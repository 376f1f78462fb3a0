"""benchmarks/learning.py's command line over a profile: a boolean prior flag switches a profile's default either
way (`--no-action-prior-openings` on stack-tcp, whose recipe reads the openings), and a flag left out keeps it."""
import sys

import pytest

sys.path.insert(0, "benchmarks")
from learning import build_parser, profile_from  # noqa: E402


def _profile(*argv: str):
    return profile_from(build_parser().parse_args(list(argv)))


def test_a_profile_default_is_kept_without_the_flag():
    profile = _profile("--profile", "stack-tcp")
    assert profile.action_prior_grippers and profile.action_prior_openings and not profile.action_prior_releases


def test_boolean_prior_flags_switch_a_default_off_and_on():
    off = _profile("--profile", "stack-tcp", "--no-action-prior-openings")
    assert not off.action_prior_openings and off.action_prior_grippers  # only the flag given changes
    on = _profile("--profile", "stack", "--action-prior-grippers", "--action-prior-openings",
                  "--action-prior-releases")
    assert on.action_prior_grippers and on.action_prior_openings and on.action_prior_releases


def test_other_overrides_reach_the_profile():
    profile = _profile("--profile", "stack-tcp", "--train-steps", "10", "--seed", "3", "--robotwin-step-limit")
    assert (profile.train_steps, profile.seed, profile.step_limit_factor) == (10, 3, None)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--profile", "no-such-profile"])
