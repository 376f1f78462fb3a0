"""Value-map annotation (paper section 5.2): recorded contacts -> contact point clouds ->
per-step, per-camera Gaussian value maps, stored under `value/` of each episode.

Public API: `AnnotationParams`, `annotate_episode` (in memory, no store), `AnnotationResult`,
`annotate_store` (a dataset, idempotent by parameter digest); `aim-annotate` is `cli.main`.
"""
from pipeline.annotate.annotate import AnnotationResult, annotate_episode
from pipeline.annotate.dataset import annotate_store
from pipeline.annotate.params import AnnotationParams

__all__ = ["AnnotationParams", "AnnotationResult", "annotate_episode", "annotate_store"]
