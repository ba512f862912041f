"""Opt-in content logging: prompt and completion text sealed with Fernet (AES-128-CBC + HMAC) before storage."""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from crossroads.errors import ConfigError


class Sealer:
    def __init__(self, key: str | bytes) -> None:
        self.fernet = Fernet(key)

    @classmethod
    def from_env(cls, name: str) -> Sealer:
        key = os.environ.get(name)
        if not key:
            raise ConfigError(
                f"metering.content_logging is on but {name} is not set",
                [
                    f"metering.content_logging.key_env: set {name} to a Fernet key — make one with "
                    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
                ],
            )
        try:
            return cls(key)
        except ValueError:
            fix = f"metering.content_logging.key_env: {name} must hold 32 url-safe base64 bytes (a Fernet key)"
            raise ConfigError(f"{name} is not a Fernet key", [fix]) from None

    def seal(self, content: dict[str, Any]) -> bytes:
        return self.fernet.encrypt(json.dumps(content, ensure_ascii=False).encode())

    def open(self, token: bytes) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.fernet.decrypt(token))
        except InvalidToken:
            raise ValueError("this content was sealed with another key, or altered") from None
        return data
