"""Dataset generation as plain library steps: plan the missing episodes, produce, commit, report.

The `generate-dataset` Prefect flow (flows/generate_dataset.py) wires these together; they work
the same from a script or a notebook without Prefect.
"""
from pipeline.generate.commit import CommitResult, commit_episode, update_index
from pipeline.generate.plan import DatasetSpec, EpisodeUnit, all_units, missing_units, resolve_tasks
from pipeline.generate.produce import generate_locally, produce_episode
from pipeline.generate.report import DatasetReport, dataset_report

__all__ = [
    "CommitResult", "DatasetReport", "DatasetSpec", "EpisodeUnit", "all_units",
    "commit_episode", "dataset_report", "generate_locally", "missing_units", "produce_episode", "resolve_tasks", "update_index",
]
