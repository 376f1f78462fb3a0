"""Simulation core: SAPIEN 3 workspace, dual-Panda robot with mplib planners, cameras, expert.

Modules: `config` (SimConfig, CameraConfig), `robot_assets` (cached Panda URDF/SRDF),
`visual_meshes` (decimated render copies of the Panda meshes), `render_keepalive` (compiled
render pipelines kept for the process), `robot` (PandaArm, DualPanda, PlanningError),
`workspace` (table, wall, lights), `cameras` (CameraRig, OpenCV extrinsics), `appearance` (easy look / hard randomisation), `env` (SimEnv),
`primitives` (Expert), `control` (what one recorded action means: CommandLog samples it, ControlLaw
executes it), `contacts` (ContactCollector), `timing` (Timer), `poses` (helpers).
"""
