"""Runs inside the separate lerobot environment (scripts/lerobot_env.sh), never in the project's: loads an
`aim-dataset export` with lerobot's own `LeRobotDataset` and dumps what it returns for the test to compare.

usage: python lerobot_reader.py EXPORT_DIR OUT.npz [INDEX ...]   (default: every frame)
Writes OUT.npz (per item: every feature as LeRobot returns it, videos as uint8 HWC) and OUT.json (metadata).
"""
import json
import sys
from pathlib import Path

import numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata

root, out = Path(sys.argv[1]), Path(sys.argv[2])
meta = LeRobotDatasetMetadata("aim/export", root=root)
dataset = LeRobotDataset("aim/export", root=root)  # default tolerance_s (1e-4): timestamps must match the videos
indices = [int(i) for i in sys.argv[3:]] or list(range(len(dataset)))
arrays: dict[str, list] = {}
tasks = []
for i in indices:
    item = dataset[i]
    tasks.append(item["task"])
    for key, value in item.items():
        if key == "task":
            continue
        value = value.numpy()
        if key in meta.video_keys:  # float32 CHW in [0, 1] -> uint8 HWC
            value = np.rint(np.moveaxis(value, 0, -1) * 255).astype(np.uint8)
        arrays.setdefault(key, []).append(value)
# as a policy trains on it: an action chunk and an image history per item (delta_timestamps in 1/fps steps)
chunked = LeRobotDataset("aim/export", root=root, delta_timestamps={
    "action": [i / meta.fps for i in range(4)], "observation.images.head": [-1 / meta.fps, 0.0]})
last = len(chunked) - 1
chunk = {f"chunk_{k}": np.stack([chunked[i][k].numpy() for i in (1, last)])
         for k in ("action", "action_is_pad", "observation.images.head_is_pad")}
np.savez(out, indices=np.array(indices), **chunk, **{k: np.stack(v) for k, v in arrays.items()})
info = {
    "len": len(dataset), "num_episodes": dataset.num_episodes, "fps": dataset.fps, "video_keys": meta.video_keys,
    "camera_keys": meta.camera_keys, "features": list(meta.features), "tasks": tasks,
    "video_backend": dataset.video_backend, "total_tasks": meta.total_tasks,
    "episodes": [{k: v for k, v in meta.episodes[e].items()} for e in range(meta.total_episodes)],
    "stats_keys": sorted(meta.stats), "state_stats_mean": np.asarray(meta.stats["observation.state"]["mean"]).tolist(),
    "codebase_version": meta.info["codebase_version"],
}
Path(str(out) + ".json").write_text(json.dumps(info, default=str))
print(f"loaded {len(indices)} items of {len(dataset)} with backend {dataset.video_backend}")
