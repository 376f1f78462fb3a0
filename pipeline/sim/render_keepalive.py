"""Keep SAPIEN's compiled render pipelines alive for the whole process.

Why: SAPIEN frees a shader pack's compiled pipelines when the last camera using them is garbage
collected, and compiling them again costs ~10 s on lavapipe (Vulkan on the CPU). A rollout
worker builds a new scene per episode, so whenever Python's collector freed the previous scenes
the next episode paid the compile again: 13 s instead of 3.5 s an episode at 96x128
(stack_blocks_two, one thread, 2026-11-21). One tiny scene with a camera that has rendered once,
held per shader directory, keeps the pipelines compiled; every later camera reuses them.
"""
from __future__ import annotations

import sapien

_HELD: dict[str, tuple[sapien.Scene, sapien.render.RenderCameraComponent]] = {}


def keep_render_pipelines_warm() -> None:
    """Compile the current camera shader's pipelines once in this process and keep them (idempotent)."""
    shader = sapien.render.get_camera_shader_dir()
    if shader in _HELD:
        return
    scene = sapien.Scene()
    camera = scene.add_camera("render-keepalive", 8, 8, 1.0, 0.01, 10.0)
    scene.update_render()
    camera.take_picture()
    camera.get_picture("Color")
    _HELD[shader] = (scene, camera)
