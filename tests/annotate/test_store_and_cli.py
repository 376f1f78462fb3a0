"""annotate_store and aim-annotate on real Zarr stores holding the scripted episode."""
from pathlib import Path

import numpy as np
import pytest
import zarr

from pipeline.annotate.cli import main
from pipeline.annotate.dataset import annotate_store
from pipeline.annotate.params import AnnotationParams
from pipeline.record.store import DatasetStore

EID = "place_shoe-easy-000000"


@pytest.fixture
def store_path(tmp_path, scripted_episode) -> Path:
    path = tmp_path / "ds.zarr"
    store = DatasetStore.open(path, mode="a")
    store.write_episode(scripted_episode)
    store.update_index()
    return path


def _tree(path: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for p in path.rglob("*")}


def test_same_params_are_a_no_op_and_new_params_replace_the_maps(store_path):
    store = DatasetStore.open(store_path, mode="a")
    first = annotate_store(store, "place_shoe")
    assert [r.skipped for r in first] == [False]
    assert store.value_params(EID)["digest"] == AnnotationParams().digest()
    stored = store.array(EID, "value/map")[...]
    np.testing.assert_array_equal(stored, first[0].arrays["value/map"])
    assert store.array(EID, "value/pick_points").shape == first[0].arrays["value/pick_points"].shape

    before = _tree(store_path / "episodes" / EID / "value")
    again = annotate_store(store, "place_shoe")
    assert again[0].skipped and again[0].stats["pick"] == first[0].stats["pick"]
    assert _tree(store_path / "episodes" / EID / "value") == before  # nothing rewritten

    wider = AnnotationParams(splat_sigma_m=0.012)
    replaced = annotate_store(store, "place_shoe", wider)
    assert not replaced[0].skipped
    assert store.value_params(EID)["digest"] == wider.digest()
    assert (store.array(EID, "value/map")[...] > 0).sum() > (stored > 0).sum()  # wider Gaussians
    assert store.read_index()[0]["annotated"] is True


def test_store_errors_are_clear(store_path):
    with pytest.raises(LookupError, match="no complete episode of task 'click_bell'"):
        annotate_store(DatasetStore.open(store_path, mode="a"), "click_bell")
    with pytest.raises(PermissionError, match="read-only"):
        annotate_store(DatasetStore.open(store_path, mode="r"), "place_shoe")


def test_cli_annotates_and_writes_previews(store_path, tmp_path, capsys):
    previews = tmp_path / "previews"
    assert main(["--task", "place_shoe", "--dataset", str(store_path), "--out-previews", str(previews)]) == 0
    out = capsys.readouterr().out
    assert "value-map annotation" in out and EID in out and "new" in out
    video, sheet = previews / f"{EID}.mp4", previews / f"{EID}_keyframes.png"
    import imageio.v2 as imageio
    frames = imageio.mimread(video, memtest=False)
    assert len(frames) == 24 and frames[0].shape == (120, 3 * 160, 3)
    png = imageio.imread(sheet)
    assert png.shape[1] == 2 * 3 * 160 and png.shape[0] % 120 == 0 and png.shape[0] >= 3 * 120
    assert main(["--task", "place_shoe", "--dataset", str(store_path)]) == 0
    assert "kept" in capsys.readouterr().out


def test_cli_default_dataset_comes_from_the_environment(store_path, monkeypatch, capsys):
    monkeypatch.setenv("AIM_DATASET", str(store_path))
    assert main(["--task", "place_shoe"]) == 0
    assert DatasetStore.open(store_path).value_params(EID) is not None


@pytest.mark.parametrize("case", ["unknown_task", "foreign_store", "wrong_version", "unwritable_previews"])
def test_cli_refuses_bad_input_without_touching_the_store(case, store_path, tmp_path, capsys):
    args = ["--task", "place_shoe", "--dataset", str(store_path)]
    if case == "unknown_task":
        args[1] = "juggle_knives"
        expected = "unknown task 'juggle_knives'"
    elif case == "foreign_store":
        store_path = tmp_path / "foreign.zarr"
        zarr.create_group(store=str(store_path), attributes={"owner": "someone else"})
        args[3] = str(store_path)
        expected = "not an AIM dataset"
    elif case == "wrong_version":
        zarr.open_group(str(store_path), mode="r+").attrs["schema_version"] = 99
        expected = "schema version 99"
    else:
        blocker = tmp_path / "a_file"
        blocker.write_text("not a folder")
        args += ["--out-previews", str(blocker / "previews")]
        expected = "cannot write previews"
    before = _tree(store_path)
    assert main(args) == 2
    assert expected in " ".join(capsys.readouterr().out.split())
    assert _tree(store_path) == before
