"""Evaluation tests run tiny models: one intra-op thread (2 shared cores: two threads are ~10x slower)."""
import os

import torch

os.environ["OMP_NUM_THREADS"] = "1"
torch.set_num_threads(1)
