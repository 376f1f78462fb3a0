"""Getting AIM data out to other tools: a LeRobotDataset export (`lerobot`) and a Rerun episode viewer (`rerun_view`)."""
