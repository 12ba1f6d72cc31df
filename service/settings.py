"""Runtime settings: the only module that reads the environment."""

from __future__ import annotations

import functools
import logging
import tempfile
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "default.yaml"

log = logging.getLogger("newsdesk.settings")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="ignore")

    config: Path = DEFAULT_CONFIG
    # NEWSDESK_API_KEYS: comma-separated; added to the config's server.api_keys.
    api_keys: str = ""
    # NEWSDESK_CACHE_DIR: where label-description vectors are kept between starts; "" turns the cache off.
    cache_dir: str = str(PROJECT_ROOT / ".cache")

    @field_validator("config", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        # NEWSDESK_CONFIG= (set but empty, as a compose file's ${VAR:-} leaves it) is no config named, not
        # Path(""), the current folder.
        return DEFAULT_CONFIG if value == "" else value

    @property
    def cache_root(self) -> Path | None:
        return Path(self.cache_dir) if self.cache_dir else None

    @property
    def api_key_list(self) -> list[str]:
        return [k.strip() for k in self.api_keys.split(",") if k.strip()]


def get_settings() -> Settings:
    return Settings()


@functools.cache
def cache_problem(root: Path) -> str | None:
    """Why the cache folder `root` cannot be written (it is made when missing); None when it can."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root):
            pass
    except FileExistsError:
        return f"NEWSDESK_CACHE_DIR {root} is a file, not a folder"
    except OSError as e:
        return f"NEWSDESK_CACHE_DIR {root} cannot be written ({e.strerror or e})"
    return None


def usable_cache_root() -> Path | None:
    """The cache folder; None when it is off, or cannot be written: then every cache (the encoder's ONNX
    graph, the description vectors) works as with the cache off, and a warning says so once."""
    root = get_settings().cache_root
    problem = None if root is None else cache_problem(root)
    if problem is not None:
        _warn_once(problem)
        return None
    return root


@functools.cache
def _warn_once(problem: str) -> None:
    log.warning("%s: running without the caches", problem)
