"""redis-py's deprecation and experimental-API warnings, same category and
text, so code that filters or asserts them sees what it sees with redis-py."""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Iterable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def deprecated(name: str, reason: str = "", version: str = "") -> Callable[[F], F]:
    """Decorator: each call warns ``DeprecationWarning`` that ``name`` is
    deprecated (with ``reason`` and the ``version`` it was deprecated in)."""
    msg = f"Call to deprecated {name}."
    if reason:
        msg += f" ({reason})"
    if version:
        msg += f" -- Deprecated since version {version}."

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(msg, category=DeprecationWarning, stacklevel=2)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def experimental(func: F) -> F:
    """Decorator: each call warns ``UserWarning`` that the method is
    experimental in redis-py."""
    msg = (
        f"Call to experimental method {func.__name__}. "
        "Be aware that the function arguments can "
        "change or be removed in future versions."
    )

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(msg, category=UserWarning, stacklevel=2)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def experimental_args(names: Iterable[str]) -> Callable[[F], F]:
    """Decorator: a call that passes any of ``names`` (by position or by
    keyword, whatever the value) warns ``UserWarning``, once per name."""
    watched = tuple(names)

    def decorate(func: F) -> F:
        code = func.__code__
        positional = code.co_varnames[: code.co_argcount]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = set(positional[: len(args)]) | set(kwargs)
            for name in watched:
                if name in given:
                    warnings.warn(
                        f"Call to '{func.__name__}' method with experimental"
                        f" usage of input argument/s '{name}'.",
                        category=UserWarning,
                        stacklevel=2,
                    )
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
