"""What every command shares: the consoles, one-line failures, and opening the platform on a store."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

ADMIN_AGENT = "urn:ontosides:admin"
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

StoreOpt = Annotated[str | None, typer.Option(
    "--store", "-s", help="folder of the embedded store, ':memory:', or a SPARQL server URL "
                          "[default: $ONTOSIDES_STORE or var/store]")]


def fail(message: str, code: int = 1) -> None:
    """Print one clear line and exit non-zero."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def platform_for(store: str | None):
    """Open the platform on a store, turning store errors into one-line messages."""
    # imported here, not at the top: `ontosides --help` and the commands that need no store stay quick
    from services.platform import Platform
    from services.settings import Settings
    from store.errors import StoreError, ValidationFailed
    from store.queries import ParamError

    settings = Settings(store=store) if store else Settings()
    try:
        platform = Platform.build(settings)
    except StoreError as exc:
        fail(str(exc))
    try:
        yield platform
    except ValidationFailed as exc:
        for v in exc.violations:
            err.print(f"[red]✗[/] {v.describe()}", highlight=False, soft_wrap=True)
        fail(f"{len(exc.violations)} violation(s); nothing was written")
    except (StoreError, ParamError, ValueError, KeyError) as exc:
        fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    finally:
        platform.close()


