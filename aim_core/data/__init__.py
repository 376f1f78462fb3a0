"""aim_core/data: Zarr dataset -> training windows (T-pose canvases, normalised actions, cached latents)."""
from aim_core.data.action_stats import compute_action_stats, load_or_compute_action_stats, stored_action_stats  # noqa: F401
from aim_core.data.canvas import CanvasLayout, pack_canvas, resize_views, unpack_canvas  # noqa: F401
from aim_core.data.episodes import EpisodeRef, complete_episodes, open_cache_root, open_dataset  # noqa: F401
from aim_core.data.latent_cache import CacheReport, LatentCacheConfig, build_latent_cache  # noqa: F401
from aim_core.data.latent_stats import raw_latent_stats  # noqa: F401
from aim_core.data.window_dataset import LatentWindowDataset, PixelWindowDataset, collate_windows  # noqa: F401
from aim_core.data.windows import StepGrid, WindowIndex, history_length, window_anchors, window_index  # noqa: F401
