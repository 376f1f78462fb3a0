"""Value-map checks shared by the placement task tests (place_mouse_pad, move_stapler_pad, ...)."""
from pipeline.annotate import annotate_episode

MASS_FLOOR = 0.5
"""Share of value mass on the region's actor at the tests' 48x64 images, where the Gaussian splats
blur over the silhouettes; the 240x320 figures (goal >= 0.9) are in benchmarks/RESULTS.md."""


def assert_pick_and_place_maps(episode) -> dict:
    """Annotate `episode`: a grasp and then a placement are found, and every phase the recorded
    frames measure (record_every 60 may leave a phase without a frame) has its mass on its actor."""
    result = annotate_episode(episode)
    events = result.attrs["events"]
    assert events["grasp_step"] is not None and events["place_step"] > events["grasp_step"]
    for phase in ("pick", "place"):
        mass = (result.stats.get(phase) or {}).get("mass_on_actor")
        assert mass is None or mass >= MASS_FLOOR, (phase, mass)
    return result.stats
