"""One check for every setting's value, from whichever layer it came (config.py, the
environment, test_config): the type is the default's; text is parsed as the environment
writes it, so ``'4'`` means the same in config.py and in ``CODEQR_SERVE_WORKERS=4``."""

import math
import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def coerce(value, default):
    """Return ``value`` as the type of ``default``; raise ValueError saying what was expected.

    A default of None means text, or None (unset); an empty text then means unset too.
    """
    if isinstance(default, bool):
        return _boolean(value)
    if isinstance(default, int):
        return _whole(value)
    if isinstance(default, float):
        return _number(value)
    if isinstance(default, list):
        return _names(value)
    if default is None and (value is None or value == ""):
        return None
    if default is not None and not isinstance(default, str) and isinstance(value, type(default)):
        return value  # a plugin's setting of another type (a dict, a tuple): taken as given
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, str):
        return value
    raise ValueError("expected text")


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("expected true or false")


def _whole(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ValueError("expected a whole number")


def _number(value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):  # "nan" and "inf" parse, but no setting means them
            return number
    raise ValueError("expected a number")


def _names(value) -> list[str]:
    if isinstance(value, str):  # the environment's form: comma-separated
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return list(value)
    raise ValueError('expected a list of names, like ["a", "b"] (in the environment: a,b)')
