"""French first, English available: one message catalogue (`web/i18n/fr.po`), read with Babel at start-up.

Messages are written in English in the templates and the page code (`_("…")`, `{% trans %}`); the French
catalogue translates them. The `.po` file is read as is when the app is built: no compile step, and no binary
`.mo` in the repository that could drift from its source. The locale of a request comes from the `ontosides_lang`
cookie (the switch in the header), else the browser's Accept-Language, else French.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
LANG_COOKIE = "ontosides_lang"


@dataclass
class Messages:
    """The translations of one locale (empty for English, the language of the source)."""

    locale: str
    singular: dict[str, str] = field(default_factory=dict)
    plural: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def gettext(self, message: str) -> str:
        """The translation of a message, or the message itself."""
        return self.singular.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The translation of a message that depends on a number (French counts 0 and 1 as singular)."""
        forms = self.plural.get((singular, plural)) or (singular, plural)
        one = n <= 1 if self.locale == "fr" else n == 1
        return forms[0] if one else forms[1]


_current: ContextVar[Messages] = ContextVar("ontosides_messages", default=Messages("en"))


def load(folder: Path) -> dict[str, Messages]:
    """Every locale's messages: English as written, the others from their `.po` file."""
    found = {"en": Messages("en")}
    for locale in LOCALES:
        path = folder / f"{locale}.po"
        if locale == "en" or not path.exists():
            continue
        messages = Messages(locale)
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            if isinstance(message.id, tuple):
                messages.plural[tuple(message.id[:2])] = tuple(message.string[:2])
            else:
                messages.singular[message.id] = message.string
        found[locale] = messages
    return found


def choose_locale(cookie: str | None, accept_language: str | None) -> str:
    """The locale a request asks for: the cookie, else the first supported language of Accept-Language."""
    if cookie in LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE


def use(messages: Messages) -> None:
    """Make these messages the current request's."""
    _current.set(messages)


def current() -> Messages:
    """The current request's messages."""
    return _current.get()


def _(message: str) -> str:
    """Translate a message into the current request's language."""
    return _current.get().gettext(message)


def N_(message: str) -> str:
    """Mark a message of a constant for the catalogue; it is translated where it is shown (`_(constant)`)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message that depends on a number."""
    return _current.get().ngettext(singular, plural, n)


class LocaleMiddleware:
    """Sets each request's messages before the app runs (a plain ASGI middleware, so worker threads inherit it)."""

    def __init__(self, app, catalogues: dict[str, Messages]):
        self.app = app
        self.catalogues = catalogues

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            cookie = _cookie(headers.get("cookie", ""), LANG_COOKIE)
            locale = choose_locale(cookie, headers.get("accept-language"))
            use(self.catalogues.get(locale, self.catalogues["en"]))
        await self.app(scope, receive, send)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _sep, value = part.strip().partition("=")
        if key == name:
            return value
    return None
