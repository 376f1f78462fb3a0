"""Latent cache: VAE latents of the RGB and value canvases and text embeddings, computed once.

Training reads latents, not pixels: encoding a 480x640 canvas with the full Wan2.2 VAE costs
seconds per frame, far more than a training step can wait for. `build_latent_cache` encodes
every complete, annotated episode once (the whole episode as one causal video, as the VAE
was trained) and stores, in the cache root (the dataset itself by default):

    episodes/<id>/latents/rgb    float16 [N, C, h, w]  VAE latents of the RGB canvas, normalised with the
                                                       VAE's RGB statistics
    episodes/<id>/latents/value  float16 [N, C, h, w]  same for the value-map canvas (value/rgb), with the
                                                       VAE's value statistics
    episodes/<id>/latents        attrs: cache_key, vae_digest, value_version, value_digest, frame_stride,
                                 temporal_compression, camera_hw, num_steps, complete (last)
    text/<instruction_key>       float32 [L, D] text-encoder states; attrs instruction, encoder_digest
    stats                        attrs: action normalisation statistics (see action_stats)

An episode is re-encoded when the VAE (weights or config, latent statistics included), the canvas
size, the frame stride or its value canvas changed (a new live version whose `value/rgb` bytes differ:
a re-annotation that writes the same maps, e.g. after a parameter change that does not touch this task,
keeps the latents); otherwise it is reused. `complete`
is written last, so an interrupted build leaves nothing a reader would trust.

On a CPU, `workers` > 1 encodes episodes in that many spawned processes (one episode each at a time,
this process's torch threads shared out among them): the small VAE's encoding is single-threaded work
that a second torch thread barely speeds up, so processes are what parallelises it. This process alone
writes, in episode order, so the cache is the one a single process builds.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import zarr
from tqdm import tqdm

from aim_core.data.action_stats import load_or_compute_action_stats
from aim_core.data.canvas import CanvasLayout, pack_canvas, resize_views
from aim_core.data.episodes import EpisodeRef, complete_episodes, open_cache_root, open_dataset, select_demonstrations
from aim_core.data.windows import StepGrid
from aim_core.models.action_codec import ActionStats
from aim_core.models.text import TextEncoder, instruction_key
from aim_core.models.vae import VideoVAE
from aim_core.processes import spawn_pool
from data_schemas import EPISODES_GROUP, LATENTS_GROUP, TEXT_GROUP

log = logging.getLogger(__name__)

LATENT_SOURCES = {"rgb": "rgb", "value": "value/rgb"}
"""Cached latent array (= the VAE's latent stream) -> the dataset array whose canvas it encodes."""
LATENT_DTYPE = torch.float16
"""How cached latents are stored; a policy rounds its live latents the same way, so its history windows
hold the very numbers a training window holds."""
LATENT_CHUNK = 4
"""Latent frames per chunk: a window (history + horizon) touches one or two chunks; uncompressed,
because normalised latents do not compress and decompression would cost loader time."""


@dataclass(frozen=True)
class LatentCacheConfig:
    """What the cache encodes: canvas camera size (None = as recorded) and frame subsampling."""

    camera_hw: tuple[int, int] | None = None
    frame_stride: int = 1

    def key(self, vae: VideoVAE) -> str:
        """Identity of the cached latents: changes with the VAE, the canvas or the stride."""
        payload = {"vae": vae.digest(), "camera_hw": self.camera_hw, "frame_stride": self.frame_stride}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class CacheReport:
    """What a build did, by episode id."""

    built: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    texts_built: int = 0
    stats: ActionStats | None = None


def episode_canvases(episode: EpisodeRef, name: str, frames: slice, camera_hw: tuple[int, int] | None) -> np.ndarray:
    """uint8 [T', 2H, 2W, 3] T-pose canvases of `name` ("rgb" or "value/rgb") at `frames`."""
    views = episode.read(name, frames)
    if camera_hw is not None:
        views = resize_views(views, camera_hw)
    return pack_canvas(views, CanvasLayout(tuple(views.shape[-3:-1])))


def cached_latents(cache_root: zarr.Group, episode_id: str) -> zarr.Group | None:
    try:
        return cache_root[f"{EPISODES_GROUP}/{episode_id}/{LATENTS_GROUP}"]
    except KeyError:
        return None


def is_current(cache_root: zarr.Group, episode: EpisodeRef, key: str) -> bool:
    """True if the cached latents of `episode` are complete and made with `key` from its live value maps."""
    group = cached_latents(cache_root, episode.episode_id)
    if group is None:
        return False
    attrs = group.attrs
    return attrs.get("complete") is True and attrs.get("cache_key") == key and encodes_live_values(attrs, episode)


def encodes_live_values(attrs: Mapping[str, Any], episode: EpisodeRef) -> bool:
    """Whether cached latents with `attrs` encode the episode's live value canvas: the version they were encoded
    from is still live, or the live one holds the same bytes (`value_digest`)."""
    if attrs.get("value_version") == episode.value_version():
        return True
    digest = attrs.get("value_digest")
    return digest is not None and digest == episode.value_fingerprint(LATENT_SOURCES["value"])


def episode_videos(episode: EpisodeRef, config: LatentCacheConfig, temporal_compression: int
                   ) -> tuple[int, dict[str, np.ndarray]]:
    """Model steps N and, per latent stream, the uint8 canvas video [1 + c(N-1), 2H, 2W, 3] the VAE encodes
    (the whole episode as one causal video)."""
    grid = StepGrid(config.frame_stride, temporal_compression)
    num_steps = grid.num_steps(episode.attrs.num_steps)
    frames = grid.encoded_frames(num_steps)
    return num_steps, {stream: episode_canvases(episode, source, frames, config.camera_hw)
                       for stream, source in LATENT_SOURCES.items()}


def encode_episode(episode: EpisodeRef, vae: VideoVAE, config: LatentCacheConfig) -> tuple[dict[str, np.ndarray], dict]:
    """Latents {"rgb", "value"} float16 [N, C, h, w] of one episode, and the attrs that describe them."""
    num_steps, videos = episode_videos(episode, config, vae.temporal)
    latents = {stream: vae.encode(torch.from_numpy(video)[None], stream)[0].transpose(0, 1)  # [N, C, h, w]
               .to(LATENT_DTYPE).cpu().numpy() for stream, video in videos.items()}
    camera_hw = [videos["rgb"].shape[1] // 2, videos["rgb"].shape[2] // 2]
    attrs = {"cache_key": config.key(vae), "vae_digest": vae.digest(), "value_version": episode.value_version(),
             "value_digest": episode.value_fingerprint(LATENT_SOURCES["value"]),
             "frame_stride": config.frame_stride, "temporal_compression": vae.temporal, "camera_hw": camera_hw,
             "num_steps": num_steps}
    return latents, attrs


def write_latents(cache_root: zarr.Group, episode_id: str, latents: dict[str, np.ndarray], attrs: dict) -> None:
    """(Re)write an episode's latents group; `complete: true` is the last write."""
    parent = cache_root.require_group(f"{EPISODES_GROUP}/{episode_id}")
    if LATENTS_GROUP in parent:
        del parent[LATENTS_GROUP]
    group = parent.create_group(LATENTS_GROUP, attributes={"complete": False})
    for name, data in latents.items():
        arr = group.create_array(name, shape=data.shape, dtype=data.dtype,
                                 chunks=(min(LATENT_CHUNK, len(data)), *data.shape[1:]), compressors=None)
        arr[...] = data
    group.update_attributes({**attrs, "complete": True})


def cache_text(cache_root: zarr.Group, instructions: list[str], encoder: TextEncoder, batch_size: int = 16) -> int:
    """Store the embedding of every instruction not cached with this encoder yet; returns how many."""
    group = cache_root.require_group(TEXT_GROUP)
    digest = encoder.digest()
    todo = []
    for text in sorted(set(instructions)):
        key = instruction_key(text)
        if key in group and group[key].attrs.get("encoder_digest") == digest:
            continue
        todo.append(text)
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        for text, emb in zip(batch, encoder.encode(batch)):
            key = instruction_key(text)
            if key in group:
                del group[key]
            arr = group.create_array(key, shape=tuple(emb.shape), dtype="float32", compressors=None,
                                     attributes={"instruction": text})
            arr[...] = emb.numpy()
            arr.update_attributes({"encoder_digest": digest})
    return len(todo)


_ENCODER: tuple[dict[str, EpisodeRef], VideoVAE, LatentCacheConfig] | None = None
"""A worker process's episodes (by id), VAE and cache config (`build_latent_cache` with workers > 1)."""


def _init_encoder(dataset: str, vae: VideoVAE, config: LatentCacheConfig, threads: int) -> None:
    global _ENCODER
    torch.set_num_threads(threads)
    _ENCODER = ({e.episode_id: e for e in complete_episodes(open_dataset(dataset))}, vae, config)


def _encode_in_worker(episode_id: str) -> tuple[dict[str, np.ndarray], dict]:
    assert _ENCODER is not None, "called outside a latent-cache worker process"
    episodes, vae, config = _ENCODER
    return encode_episode(episodes[episode_id], vae, config)


def encoded_episodes(episodes: list[EpisodeRef], dataset: str | Path, vae: VideoVAE, config: LatentCacheConfig,
                     workers: int) -> Iterator[tuple[dict[str, np.ndarray], dict]]:
    """`encode_episode` of each episode, in order: here, or in `workers` spawned processes."""
    workers = min(workers, len(episodes))
    if workers <= 1:
        yield from (encode_episode(episode, vae, config) for episode in episodes)
        return
    if any(p.device.type != "cpu" for p in vae.model.parameters()):
        raise ValueError("latent-cache workers encode on the CPU; with the VAE on a GPU use one (workers=1)")
    threads = max(1, torch.get_num_threads() // workers)
    pool = spawn_pool(workers, _init_encoder, (str(dataset), vae, config, threads))
    try:
        yield from pool.map(_encode_in_worker, [episode.episode_id for episode in episodes])
    finally:  # an error or Ctrl-C while writing: the episodes not started yet are dropped
        pool.shutdown(cancel_futures=True)


def build_latent_cache(dataset: str | Path, vae: VideoVAE, text_encoder: TextEncoder,
                       config: LatentCacheConfig = LatentCacheConfig(), cache: str | Path | None = None,
                       tasks: list[str] | None = None, settings: list[str] | None = None,
                       progress: bool = True, max_episodes: int | None = None, workers: int = 1) -> CacheReport:
    """Encode every training demonstration (`select_demonstrations`: successful, annotated, at most
    `max_episodes`) not cached with this VAE/config yet, here or in `workers` processes (CPU only).

    Successful episodes without value maps are skipped (listed in the report). Also stores the text
    embeddings of their instructions and the action statistics of the cached episode set.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    store = open_dataset(dataset, mode="a" if cache is None else "r")
    cache_root = open_cache_root(store, cache)
    key = config.key(vae)
    report = CacheReport()
    ready: list[EpisodeRef] = []
    demonstrations = select_demonstrations(complete_episodes(store, tasks, settings, successful_only=True), max_episodes)
    report.skipped.update(dict.fromkeys(demonstrations.unannotated, "no value maps (run aim-annotate first)"))
    todo: list[EpisodeRef] = []
    for episode in demonstrations.episodes:
        if is_current(cache_root, episode, key):
            report.reused.append(episode.episode_id)
        else:
            todo.append(episode)
        ready.append(episode)
    encoded = encoded_episodes(todo, dataset, vae, config, workers)
    for episode, (latents, attrs) in tqdm(zip(todo, encoded), total=len(todo), desc="latent cache",
                                          disable=not progress):
        write_latents(cache_root, episode.episode_id, latents, attrs)
        report.built.append(episode.episode_id)
    if report.skipped:
        log.warning("latent cache: skipped %d episodes: %s", len(report.skipped), report.skipped)
    if ready:
        report.texts_built = cache_text(cache_root, [e.attrs.instruction for e in ready], text_encoder)
        report.stats = load_or_compute_action_stats(cache_root, ready, progress)
    return report
