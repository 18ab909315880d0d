"""Shared column types: enums stored as plain strings so migrations stay portable."""
import enum

from sqlalchemy import Enum


def str_enum(cls: type[enum.Enum], length: int = 32) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True,
                values_callable=lambda e: [m.value for m in e])
