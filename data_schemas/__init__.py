"""The AIM dataset contract shared by `pipeline` (writers) and `aim_core` (readers)."""
from data_schemas.spec import *  # noqa: F401,F403
from data_schemas.spec import EpisodeAttrs, episode_id  # noqa: F401
from data_schemas.validate import EpisodeData, SchemaError, check_store_attrs, check_store_format, episode_errors, parse_episode_attrs, validate_episode  # noqa: F401
from data_schemas.value_layout import VALUE_GROUP, is_value_name, live_attrs, live_version, next_version, value_member, value_name  # noqa: F401
