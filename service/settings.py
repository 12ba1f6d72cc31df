"""Runtime settings: the only module that reads the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "default.yaml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="ignore")

    config: Path = DEFAULT_CONFIG
    # NEWSDESK_API_KEYS: comma-separated; added to the config's server.api_keys.
    api_keys: str = ""
    # NEWSDESK_CACHE_DIR: where label-description vectors are kept between starts; "" turns the cache off.
    cache_dir: str = str(PROJECT_ROOT / ".cache")

    @property
    def cache_root(self) -> Path | None:
        return Path(self.cache_dir) if self.cache_dir else None

    @property
    def api_key_list(self) -> list[str]:
        return [k.strip() for k in self.api_keys.split(",") if k.strip()]


def get_settings() -> Settings:
    return Settings()
