"""The reader's language: the request's catalogue, and texts the rules build in Dutch
(``policy.Message``)."""

from decimal import Decimal
from functools import lru_cache

import flask.templating
from babel.numbers import format_decimal
from babel.support import Translations
from flask import g, has_request_context
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import BytecodeCache, pass_eval_context
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup

from webapp import policy


def catalogue() -> Translations:
    """The request's translations, found once per request.

    Flask-Babel finds them anew for every string, a dozen context lookups each; a page of
    contacts asks for hundreds of strings. Nothing here changes the locale mid-request.
    """
    try:
        return g._catalogue
    except AttributeError:
        g._catalogue = get_translations()
        return g._catalogue
    except RuntimeError:  # no app context: Flask-Babel's untranslated catalogue
        return get_translations()


def gettext(string: str, **variables) -> str:
    text = catalogue().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """A text translated when it is shown (form labels and messages are made at import),
    through the request's catalogue as ``gettext``; Flask-Babel's own looks it up anew."""
    return LazyString(gettext, string, **variables)


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    text = catalogue().ungettext(singular, plural, num)
    return text % {"num": num, **variables}


def install(app) -> None:
    """Templates translate through the request's catalogue (``_``, ``ngettext``); their
    constant texts once per language, when they compile (``Environment``)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: catalogue().ugettext(string),
        ngettext=lambda singular, plural, num: catalogue().ungettext(singular, plural, num),
        newstyle=True,
    )
    app.jinja_env.add_extension(ConstantTexts)
    app.jinja_env.globals["_translated"] = _translated


class Environment(flask.templating.Environment):
    """Flask's template environment, compiling each template once per language.

    A page asks for some fifty texts, each a few function calls deep through Jinja's i18n
    extension (13 µs apiece, measured). Compiled per language, ``_("constant")`` is
    translated once; texts chosen at run time and plurals still translate as they render.
    """

    # Set on the per-language overlays; the app's own environment translates as it renders.
    language: str | None = None
    translations: Translations | None = None

    def __init__(self, app, **options):
        super().__init__(app, **options)
        self._languages: dict[str, Environment] = {}

    def get_template(self, name, parent=None, globals=None):
        return super(Environment, self._in_language()).get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):
        return super(Environment, self._in_language()).select_template(names, parent, globals)

    def _in_language(self):
        if self.language is not None or not has_request_context():
            return self
        language = str(get_locale())
        overlay = self._languages.get(language)
        if overlay is None:
            # Its own cache: the same template name compiles to different texts per language.
            overlay = self.overlay(cache_size=400)
            overlay.language, overlay.translations = language, catalogue()
            if self.bytecode_cache is not None:
                overlay.bytecode_cache = _LanguageBytecode(self.bytecode_cache, language)
            self._languages[language] = overlay
        return overlay


class _LanguageBytecode(BytecodeCache):
    """A bytecode cache shared by the languages, each language's code under its own key."""

    def __init__(self, cache: BytecodeCache, language: str):
        self.cache, self.language = cache, language

    def get_cache_key(self, name, filename=None):
        return f"{self.language}/{self.cache.get_cache_key(name, filename)}"

    def load_bytecode(self, bucket):
        self.cache.load_bytecode(bucket)

    def dump_bytecode(self, bucket):
        self.cache.dump_bytecode(bucket)

    def clear(self):
        self.cache.clear()


class ConstantTexts(Extension):
    """Translates ``_("text")`` and ``gettext("text", ...)`` with a literal text as the
    template compiles in a language (``Environment``), with the i18n extension's meaning:
    the translation is markup, formatted with its (escaped) variables, if any."""

    CALLS = ("_", "gettext")

    def filter_stream(self, stream):
        translations = self.environment.translations
        if translations is None:
            return stream
        tokens = list(stream)
        out = []
        i = 0
        while i < len(tokens):
            if self._constant_call(tokens, i):
                name, _, text, after = tokens[i:i + 4]
                translated = translations.ugettext(text.value)
                if after.type == "rparen":  # no variables: translated here, rendered as is
                    out += [Token(name.lineno, "lparen", "("),
                            Token(text.lineno, "string", translated % {}),
                            Token(text.lineno, "pipe", "|"), Token(text.lineno, "name", "safe")]
                    i += 3  # the closing parenthesis closes the group
                    continue
                out += [Token(name.lineno, "name", "_translated"), tokens[i + 1],
                        Token(text.lineno, "string", translated)]
                i += 3
                continue
            out.append(tokens[i])
            i += 1
        return out

    def _constant_call(self, tokens, i) -> bool:
        window = tokens[i:i + 4]
        return (
            len(window) == 4
            and window[0].type == "name" and window[0].value in self.CALLS
            and (i == 0 or tokens[i - 1].type != "dot")
            and window[1].type == "lparen" and window[2].type == "string"
            and window[3].type in ("rparen", "comma")
        )


@pass_eval_context
def _translated(eval_ctx, text: str, **variables) -> str:
    """An already translated text, formatted as the i18n extension's ``_`` would."""
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def translate(text):
    """A ``policy.Message`` through the catalogue; any other text (stored data) as it is."""
    if not isinstance(text, policy.Message):
        return text
    if not text.params:
        return gettext(text.msgid)
    return gettext(text.msgid, **{name: _localize(value) for name, value in text.params.items()})


def explain(reason: policy.Reason) -> str:
    """A refusal as one sentence pair for a form field: what refused, then what to do."""
    return " ".join(filter(None, (translate(reason.text), translate(reason.remedy))))


def format_score(score) -> str:
    """A course score in the reader's notation: 6,5 or 6.5; never rounded up to a pass."""
    if score is None:
        return gettext("geen")
    return _localize(policy.score_decimal(score))


def _localize(value):
    if isinstance(value, policy.Message):
        return translate(value)
    if isinstance(value, Decimal):
        return _decimal(str(value), get_locale())
    return value


@lru_cache(maxsize=1024)
def _decimal(digits: str, locale) -> str:
    # Exactly the digits the rules chose (7, 7.0, 6.95), with the locale's decimal sign. By
    # their text, not their value: 6.5 and 6.50 are equal but written apart. Babel takes
    # some 20 µs for each, and a contacts page shows a score on many of its rows.
    value = Decimal(digits)
    exponent = value.as_tuple().exponent
    pattern = "0" if exponent >= 0 else "0." + "0" * -exponent
    return format_decimal(value, pattern, locale=locale)
