"""How the emulator answers agents: a few deterministic rules over the user's text. Not intelligence.

* **Which tools the text refers to** (:func:`referred_tools`): those whose name is a word of the text or is written
  as a call ``name(...)``; or all of whose name's significant words appear (the name split at ``_``, ``-`` and
  camelCase; ``get``, ``set``, ``do``, ``run``, ``the``, ``a``... dropped); or two of whose description's significant
  words appear (four letters or more, not stop words). Words match by stem: equal, or one a prefix of the other
  sharing four letters or more (also once a final ``e`` is dropped: *translate*, *translating*). Best first: a call,
  the name, the name's words, the description's words (more of them first); ties keep the tools' order.
* **Arguments** (:func:`arguments_from_text`) start from the schema's minimal instance, and every value is checked
  against its property's schema (type, enum, bounds, lengths, pattern, format) before it is used:

  1. ``tool(3, "x")`` / ``tool(a=3)`` in the text give the arguments (positional ones in the schema's order);
     ``name: v``, ``name = v``, ``name is v``, ``name "v"`` (also ``named``/``titled "v"``) give the one named;
  2. an ``enum`` takes the value the text mentions, else the first; path-, file-, image-, audio- and URL-like
     properties (by name, description or ``format``) take the text's paths (``a/b.mp3``) and URLs; properties whose
     name contains ``lang`` take the language names (:data:`LANGUAGES`); a ``date``, ``email``... a matching token;
  3. other strings take the quoted values ('...', "...", `...`, typographic quotes) in order; numbers the text's
     numbers (in range; integers only whole ones); booleans yes/no/true/false; arrays all that is left of those;
     nested objects are filled from the same text (four levels deep; deeper ones stay minimal);
  4. a required string still empty gets the words after the first of in/for/about/at/of/to/from/on up to the end of
     that sentence (``weather in San Francisco, CA?`` gives ``San Francisco, CA``), else the text without the
     tool's name. Optional properties appear only when the text gave them a value.
* **After tool results** (:func:`tool_results_answer`): ``get_weather returned "It's sunny."``, one per result.
* **Structured output** (:func:`structured_instance`): rules 1, 2 and 4 (no values in order: in a prompt quoted
  words are often key names); rule 4 falls back on the text's first eight words.
* **JSON mode** (:func:`json_object_answer`): the keys the prompt names (``with 'setup' and 'punchline' keys``,
  ``keys: a, b``), filled as structured output; ``{}`` when it names none.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from .._urls import is_http_url
from . import wire
from .instances import minimal_instance

__all__ = ["arguments_from_text", "json_object_answer", "referred_tools", "structured_instance", "tool_results_answer"]


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


NAME_STOP_WORDS = _set("get set do run the a an to of for and or by with is on in tool")
STOP_WORDS = _set(
    """about above after again also among another been before being below between both cannot could does doing each
    either else every from given have having here into itself just like make makes many more most much must need
    only other over same should some such than that their them then there these they this those through under until
    upon using used uses very want were what when where which while will with within without would your tool tools
    function functions call calls called return returns returned value values input inputs output outputs result
    results argument arguments args parameter parameters optional default string number integer boolean object list
    true false none null example based specified provided please"""
)
#: The language names that fill a property whose name contains ``lang``.
LANGUAGES = """English German French Spanish Italian Portuguese Dutch Swedish Norwegian Danish Finnish Polish Czech
    Slovak Hungarian Romanian Greek Turkish Russian Ukrainian Bulgarian Serbian Croatian Arabic Hebrew Persian Hindi
    Bengali Urdu Tamil Thai Vietnamese Indonesian Malay Filipino Chinese Mandarin Cantonese Japanese Korean Swahili"""
_LOCATOR_HINTS = _set(
    "path file filename filepath source src image img picture photo audio sound recording media url urls uri"
)
_EXTENSIONS = _set(
    """mp3 wav flac ogg oga m4a aac opus webm mp4 mov avi mkv png jpg jpeg gif bmp webp tif tiff heic heif svg pdf txt
    md csv json xml yaml yml html htm doc docx xls xlsx ppt pptx zip gz tar"""
)
_SUFFIXES = ("ing", "ings", "ion", "ions", "or", "ors", "ive")
_LOCATOR_FORMATS = ("uri", "url", "iri", "uri-reference", "iri-reference")
_FORMATS = {
    "date": r"\d{4}-\d{2}-\d{2}",
    "date-time": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})",
    "email": r"[^@\s]+@[^@\s]+\.[^@\s]+",
    "uuid": r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}",
    **dict.fromkeys(("uri", "url", "iri"), r"[A-Za-z][A-Za-z0-9+.-]*://\S+"),
}
_BOOLEANS = {"yes": True, "true": True, "no": False, "false": False}
_TYPE_PREFERENCE = ("object", "string", "integer", "number", "boolean", "array", "null")  # as minimal_instance's
# Quotes: "...", '...' (not an apostrophe), `...`, and the typographic \u201c...\u201d and \u2018...\u2019.
_OPENING, _CLOSING = "\"'`\u2018\u201c", "\"'`\u2019\u201d"
_QUOTE = r"\"([^\"\n]+)\"|\u201c([^\u201d\n]+)\u201d|\u2018([^\u2019\n]+)\u2019|`([^`\n]+)`|(?<!\w)'([^'\n]+?)'(?!\w)"
_QUOTED = re.compile(_QUOTE)
_PHRASE = re.compile(
    r"(?<!\w)(?:in|for|about|at|of|to|from|on)\s+(.+?)\s*"
    r"(?:[.?!;](?=\s|$)|\n|$|\s+(?=(?:in|for|at|to|from|on|and|with|by)\s))",  # up to the next phrase
    re.I | re.S,
)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
# A bare value ends at a comma, a sentence's end, or the next clause ("and the age is 36").
_BARE = rf"([^\s,;{_OPENING}][^,;\n]*?)(?=\s*(?:[,;\n]|[.!?](?:\s|$)|$)|\s+(?:and|or|but)\s)"
_TRIM = " \t\n,;:.!?" + _OPENING + _CLOSING
_LANGUAGE = re.compile(rf"\b(?:{'|'.join(LANGUAGES.split())})\b", re.I)
_ARGUMENT = re.compile(r"(?:\"[^\"]*\"|'[^']*'|\[[^\]]*\]|\{[^}]*\}|[^,])+")  # one argument of a call: a, "b, c", [d]
_MAX_DEPTH = 32
_MAX_NESTING = 4  # nested objects filled from the text; deeper ones keep their minimal instance
_MAX_QUOTED_RESULT = 500


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[^\W\d_]+", text)]


def _name_words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[^\W\d_a-zA-Z]+", name)]


def _same_stem(a: str, b: str) -> bool:
    """Equal, or one a prefix of the other of four letters or more; *translate* is also *translating*/*-ion*/*-or*."""
    short, long = sorted((a, b), key=len)
    if short == long or (len(short) >= 4 and long.startswith(short)):
        return True
    return len(short) >= 5 and short[-1] == "e" and long.startswith(short[:-1]) and long[len(short) - 1 :] in _SUFFIXES


def _reference(function: wire.FunctionDefinition, text: str, words: list[str]) -> tuple[int, int]:
    """How strongly ``text`` refers to the function: 4 a call, 3 its name, 2 its name's words, 1 its description's."""
    name = re.escape(function.name)
    if re.search(rf"(?<![\w-]){name}\s*\(", text, re.I):
        return 4, 0
    if re.search(rf"(?<![\w-]){name}(?![\w-])", text, re.I):
        return 3, 0
    significant = [w for w in _name_words(function.name) if w not in NAME_STOP_WORDS]
    if significant and all(any(_same_stem(w, t) for t in words) for w in significant):
        return 2, 0
    described = dict.fromkeys(w for w in _words(function.description or "") if len(w) >= 4 and w not in STOP_WORDS)
    text_words = [t for t in words if t not in STOP_WORDS]
    matched = sum(1 for w in described if any(_same_stem(w, t) for t in text_words))
    return (1, matched) if matched >= 2 else (0, 0)


def referred_tools(tools: Sequence[wire.ToolDefinition], text: str) -> list[wire.ToolDefinition]:
    """The tools ``text`` refers to, best first (see the module's rules).

    Example:
        >>> tool = wire.ToolDefinition(type="function", function=wire.FunctionDefinition(name="get_weather"))
        >>> [t.function.name for t in referred_tools([tool], "What is the weather in San Francisco, CA?")]
        ['get_weather']
        >>> referred_tools([tool], "Tell me a joke.")
        []
    """
    words = _words(text)
    scored = [(_reference(tool.function, text, words), index, tool) for index, tool in enumerate(tools)]
    ranked = sorted((s for s in scored if s[0][0]), key=lambda s: (-s[0][0], -s[0][1], s[1]))
    return [tool for _, _, tool in ranked]


def _literal(raw: str) -> Any:
    """A call's argument as written: a Python/JSON literal, else the bare text."""
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        low = raw.lower()
        return _BOOLEANS[low] if low in ("true", "false") else None if low in ("null", "none") else raw.strip(_TRIM)


def _in_range(n: float, schema: dict[str, Any]) -> bool:
    low, high, above, below = (schema.get(k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"))
    low, above = (None, low) if above is True else (low, None if isinstance(above, bool) else above)  # draft 4
    high, below = (None, high) if below is True else (high, None if isinstance(below, bool) else below)
    step = schema.get("multipleOf")
    bounded = (low is None or n >= low) and (high is None or n <= high)
    return bounded and (above is None or n > above) and (below is None or n < below) and (not step or n % step == 0)


def _list_items(value: list[Any] | str) -> list[Any]:
    if isinstance(value, list):
        return value
    return [p.strip(_TRIM) for p in re.split(r",|;|\s+(?:and|or)\s+", value) if p.strip(_TRIM)]


def _some(values: Iterable[Any]) -> list[Any]:
    return [v for v in values if v is not None and v != ""]


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _is_path(token: str) -> bool:
    extension = token.rsplit(".", 1)[-1].lower() if "." in token[1:] else ""
    return extension in _EXTENSIONS or token.startswith(("/", "./", "../", "~/")) or token.count("/") >= 2


def _is_locator(name: str, schema: dict[str, Any]) -> bool:
    words = [*_name_words(name), *_words(schema.get("description") or "")]
    return schema.get("format") in _LOCATOR_FORMATS or any(_same_stem(w, h) for w in words for h in _LOCATOR_HINTS)


class _Filler:
    """One fill of one schema from one text: the pools of values the text offers, and which of them are taken."""

    def __init__(self, root: dict[str, Any], text: str, *, tool_name: str | None) -> None:
        self.root, self.text, self.tool_name = root, text, tool_name
        quoted = [next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(text)]
        self.quoted = [q for q in quoted if not tool_name or q.lower() != tool_name.lower()]
        self.positional: list[Any] = []
        self.keywords: dict[str, Any] = {}
        plain = text
        if tool_name and (call := re.search(rf"(?<![\w-]){re.escape(tool_name)}\s*\(([^()]*)\)", text, re.I)):
            for part in (m.group(0).strip() for m in _ARGUMENT.finditer(call.group(1))):
                if keyword := re.fullmatch(r"([A-Za-z_]\w*)\s*=(?!=)\s*(.+)", part, re.S):
                    self.keywords[keyword.group(1)] = _literal(keyword.group(2))
                elif part:
                    self.positional.append(_literal(part))
            plain = plain.replace(call.group(0), " ")
        plain = _QUOTED.sub(" ", plain)
        tokens = [t.rstrip(".:!?") for t in re.split(rf"[\s,;()\[\]{{}}<>{_OPENING}{_CLOSING}]+", text)]
        self.locators = [t for t in tokens if t and (is_http_url(t) or _is_path(t))]
        words = [t.strip(".:!?") for t in re.split(r"[\s,;()\[\]{}<>]+", plain)]
        self.numbers = [float(t) if "." in t else int(t) for t in words if _NUMBER.fullmatch(t)]
        self.booleans = [_BOOLEANS[w.lower()] for w in re.findall(r"\b(?:yes|no|true|false)\b", plain, re.I)]
        self.languages = [w.capitalize() for w in _LANGUAGE.findall(text)]
        self.phrase = next((p for m in _PHRASE.finditer(text) if (p := m.group(1).strip(_TRIM))), "")
        self.taken: dict[int, set[int]] = {}
        self.used: set[str] = set()

    def take(self, pool: list[Any], schema: dict[str, Any], kind: str, *, every: bool = False) -> tuple[bool, Any]:
        """The first unused value of ``pool`` that fits (with ``every``: all unused ones, as an array); now used."""
        taken = self.taken.setdefault(id(pool), set())
        free = [i for i, v in enumerate(pool) if i not in taken and not (isinstance(v, str) and v in self.used)]
        for chosen in ([free] if free else []) if every else [[i] for i in free]:
            ok, value = self.coerce([pool[i] for i in chosen] if every else pool[chosen[0]], schema, kind)
            if ok:
                taken.update(chosen)
                self.used.update(pool[i] for i in chosen if isinstance(pool[i], str))
                return True, value
        return False, None

    def resolve(self, schema: Any) -> tuple[dict[str, Any], str]:
        """The schema a value must meet (``$ref``, one-part ``allOf``, ``anyOf``/``oneOf`` followed) and its kind."""
        for _ in range(_MAX_DEPTH):
            if not isinstance(schema, dict):
                return {}, "any"
            siblings = {k: v for k, v in schema.items() if k not in ("$ref", "anyOf", "oneOf", "title", "default")}
            if "$ref" in schema:  # the keywords beside a reference or a choice apply too
                schema = {**siblings, **self.ref(schema["$ref"])}
            elif "const" in schema or schema.get("enum"):
                return schema, "enum"
            elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
                schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **schema["allOf"][0]}
            elif schema.get("anyOf") or schema.get("oneOf"):
                options = schema.get("anyOf") or schema["oneOf"]
                chosen = next((o for o in options if isinstance(o, dict) and o.get("type") != "null"), options[0])
                schema = {**siblings, **chosen} if isinstance(chosen, dict) else chosen
            elif "allOf" in schema or "not" in schema:  # constraints this module does not check
                return schema, "opaque"
            elif isinstance(declared := schema.get("type"), list):
                return schema, next((t for t in _TYPE_PREFERENCE if t in declared), "null")
            elif isinstance(declared, str):
                return schema, declared
            else:
                return schema, "object" if "properties" in schema else "array" if "items" in schema else "any"
        return {}, "opaque"

    def ref(self, ref: str) -> Any:
        node: Any = self.root
        for part in ref.removeprefix("#").strip("/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return {}
            node = node[part]
        return node

    def minimal(self, schema: dict[str, Any]) -> Any:
        defs = {k: self.root[k] for k in ("$defs", "definitions") if k in self.root and k not in schema}
        try:
            return minimal_instance({**schema, **defs})
        except (KeyError, TypeError, IndexError, AttributeError):
            return None

    def coerce(self, value: Any, schema: dict[str, Any], kind: str) -> tuple[bool, Any]:
        """``value`` made to fit ``schema`` (a number read from a string, a string from a number...), or (False, _)."""
        if kind == "enum":
            options = [schema["const"]] if "const" in schema else schema["enum"]
            low = value.strip().lower() if isinstance(value, str) else None
            chosen = [o for o in options if o == value or (isinstance(o, str) and o.lower() == low)]
            return (True, chosen[0]) if chosen else (False, None)
        if kind == "string" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value).strip()[: schema.get("maxLength")]
            pattern, form = schema.get("pattern"), _FORMATS.get(schema.get("format", ""))
            ok = len(text) >= max(1, schema.get("minLength", 0)) and not (form and not re.fullmatch(form, text))
            return ok and not (pattern and not _search(pattern, text)), text
        if kind in ("integer", "number") and not isinstance(value, bool):
            if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
                value = float(value) if "." in value else int(value)
            if not isinstance(value, (int, float)) or (kind == "integer" and not float(value).is_integer()):
                return False, None
            number = int(value) if kind == "integer" else value
            return _in_range(number, schema), number
        if kind == "boolean":
            value = _BOOLEANS.get(value.strip().lower(), value) if isinstance(value, str) else value
            return isinstance(value, bool), value
        if kind == "array" and isinstance(value, (list, str)):
            item_schema, item_kind = self.resolve(schema.get("items", {}))
            items = [v for ok, v in (self.coerce(i, item_schema, item_kind) for i in _list_items(value)) if ok]
            if schema.get("uniqueItems"):
                items = [v for i, v in enumerate(items) if v not in items[:i]]
            items = items[: schema.get("maxItems")]
            return len(items) >= max(1, schema.get("minItems", 0)), items
        if kind == "any" and value is not None:
            return True, value
        return kind == "null" and value is None, None

    def keyed(self, name: str) -> str | None:
        """The value the text gives ``name`` by name: ``name: v``, ``name = v``, ``name is v``, ``name "v"``."""
        words = _name_words(name)
        if not words:
            return None
        variants = sorted({name, *(sep.join(words) for sep in (" ", "_", "-"))}, key=lambda v: (-len(v), v))
        head = rf"(?<![\w{_OPENING}])[{_OPENING}]?(?:{'|'.join(map(re.escape, variants))})(?:e?d)?[{_CLOSING}]?"
        tails = (rf"\s*[:=]\s*(?:{_QUOTE}|{_BARE})", rf"\s+(?:is|are|should be|must be|equals)\s+(?:{_QUOTE}|{_BARE})")
        for tail in (*tails, rf"\s+(?:{_QUOTE})"):
            if found := re.search(head + tail, self.text, re.I):
                value = next(g for g in found.groups() if g is not None)
                return value.strip(_TRIM) if tail in tails and found.groups()[-1] is not None else value
        return None

    def fill(self, schema: dict[str, Any], base: Any, depth: int = 0) -> tuple[Any, bool]:
        """The object ``schema`` filled by rules 1-4, and whether the text gave it any value.

        ``base`` is the object's minimal instance: what a property keeps when the text gives it nothing.
        """
        if not isinstance(base, dict) or depth > _MAX_NESTING:
            return base, False
        properties = {n: self.resolve(p) for n, p in (schema.get("properties") or {}).items()}
        required = set(schema.get("required") or [])
        tools = self.tool_name is not None
        values: dict[str, Any] = {}

        def attempt(name: str, candidates: Iterable[Any]) -> None:
            for candidate in candidates:
                ok, value = self.coerce(candidate, *properties[name])
                if ok:
                    values[name] = value
                    self.used.update([candidate] if isinstance(candidate, str) else [])
                    return

        def take(name: str, pool: list[Any], *, every: bool = False) -> None:
            ok, value = self.take(pool, *properties[name], every=every)
            values.update({name: value} if ok else {})

        if depth == 0:  # values given by name anywhere in the schema are not for other properties to take
            self.used.update(self.named(schema))
        for position, name in enumerate(properties):  # rule 1: the call's arguments, then values given by name
            call = [self.keywords[name]] if depth == 0 and name in self.keywords else []
            call += self.positional[position : position + 1] if depth == 0 else []
            attempt(name, [*call, *_some([self.keyed(name)])])
        for name, (prop, kind) in properties.items():  # rule 2: enums, paths and URLs, languages, formats
            if name in values:
                continue
            if kind == "enum":
                options = [o for o in prop.get("enum", [prop.get("const")]) if type(o) in (str, int, float)]
                mentions = ((re.search(rf"(?<!\w){re.escape(str(o))}(?!\w)", self.text, re.I), o) for o in options)
                hits = [(m.start(), o) for m, o in mentions if m]
                values.update({name: min(hits, key=lambda h: h[0])[1]} if hits else {})
            elif kind in ("string", "array") and _is_locator(name, prop):
                take(name, self.locators, every=kind == "array")
            elif kind == "string" and "lang" in name.lower():
                take(name, self.languages)
            elif kind == "string" and (form := _FORMATS.get(prop.get("format", ""))):
                attempt(name, (m.group(0) for m in re.finditer(rf"(?<![\w@.-]){form}(?![\w@-])", self.text)))
        pools: dict[str, list[Any]] = {"string": self.quoted, "integer": self.numbers, "number": self.numbers}
        pools["boolean"] = self.booleans
        for name, (_, kind) in properties.items():  # rule 3: the text's values in order (tool calls only)
            if name not in values and tools and kind in pools:
                take(name, pools[kind])
        for name, (prop, kind) in properties.items():  # rule 3: arrays, then nested objects
            if name not in values and kind == "array" and tools:
                take(name, pools.get(self.resolve(prop.get("items", {}))[1], []), every=True)
            elif name not in values and kind == "object":
                nested, filled = self.fill(prop, base[name] if name in base else self.minimal(prop), depth + 1)
                values.update({name: nested} if filled or name in required else {})
        for name, (prop, kind) in properties.items():  # rule 4: required strings (and string lists) still empty
            if name not in values and name in required and (kind == "string" or (kind == "array" and tools)):
                fallbacks = _some([self.phrase, self.rest(), prop.get("description")])
                if tools:  # a tool's argument never repeats another's value; else it stays minimal
                    fallbacks = [c for c in fallbacks if c not in [v for v in values.values() if isinstance(v, str)]]
                else:  # structured output: never an empty required string
                    fallbacks.append(" ".join(_name_words(name)))
                attempt(name, fallbacks)
        out = {n: values[n] if n in values else base[n] for n in properties if n in values or n in base}
        return {**out, **{n: v for n, v in base.items() if n not in out}}, bool(values)

    def named(self, schema: dict[str, Any], depth: int = 0) -> list[str]:
        """The values given by name (``name: v``...) to the properties of ``schema`` and of its nested objects."""
        if depth > _MAX_NESTING:
            return []
        found = []
        for name, prop in (schema.get("properties") or {}).items():
            resolved, kind = self.resolve(prop)
            found += [v for v in [self.keyed(name)] if v] + (
                self.named(resolved, depth + 1) if kind == "object" else []
            )
        return found

    def rest(self) -> str:
        """The text without the tool's name (for structured output: the text's first eight words)."""
        if self.tool_name is None:
            return " ".join(self.text.split()[:8]).strip(_TRIM)
        rest = re.sub(rf"(?<![\w-]){re.escape(self.tool_name)}(?:\s*\([^)]*\))?(?![\w-])", " ", self.text, flags=re.I)
        return " ".join(rest.split()).strip(_TRIM)


def arguments_from_text(schema: dict[str, Any] | None, text: str, *, tool_name: str) -> dict[str, Any]:
    """Arguments for one call of ``tool_name``: valid against its parameters' ``schema``, filled from ``text``.

    Example:
        >>> schema = {"type": "object", "properties": {"input": {"type": "integer"}}, "required": ["input"]}
        >>> arguments_from_text(schema, "What is the value of magic_function(3)?", tool_name="magic_function")
        {'input': 3}
        >>> schema = {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}
        >>> arguments_from_text(schema, "What is the weather in San Francisco, CA?", tool_name="get_weather")
        {'location': 'San Francisco, CA'}
    """
    root = schema if isinstance(schema, dict) else {"type": "object"}
    filler = _Filler(root, text, tool_name=tool_name)
    resolved, kind = filler.resolve(root)
    base = filler.minimal(root)
    if kind != "object" or not isinstance(base, dict):
        return base if isinstance(base, dict) else {}
    arguments: dict[str, Any] = filler.fill(resolved, base)[0]
    return arguments


def structured_instance(schema: dict[str, Any], text: str) -> Any:
    """A ``response_format: json_schema`` answer: valid against ``schema``, its values taken from ``text``.

    Example:
        >>> schema = {"type": "object", "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
        ...           "required": ["title", "year"]}
        >>> structured_instance(schema, "A chart. title: Sales 2024, year = 2024")
        {'title': 'Sales 2024', 'year': 2024}
        >>> structured_instance(schema, "Tell me a joke about cats.")
        {'title': 'cats', 'year': 0}
    """
    if not isinstance(schema, dict):
        return minimal_instance(schema)
    filler = _Filler(schema, text, tool_name=None)
    resolved, kind = filler.resolve(schema)
    if kind == "object":
        return filler.fill(resolved, filler.minimal(schema))[0]
    wrapper = {"type": "object", "properties": {"value": resolved}, "required": ["value"]}
    return filler.fill(wrapper, {"value": filler.minimal(schema)})[0]["value"]


def tool_results_answer(messages: Sequence[wire.RequestMessage]) -> str | None:
    """The answer to a conversation that ends with tool results, each quoted with its tool's name; else None.

    The name comes from the assistant message whose ``tool_calls`` has the result's ``tool_call_id`` (a result no
    call asked for is named by its id); a result over 500 characters is cut, with an ellipsis.

    Example:
        >>> options = wire.parse_options({"messages": [
        ...     {"role": "user", "content": "What is the weather in Paris?"},
        ...     {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
        ...      "function": {"name": "get_weather", "arguments": "{}"}}]},
        ...     {"role": "tool", "tool_call_id": "call_1", "content": "It's sunny."}]})
        >>> print(tool_results_answer(options.messages))
        get_weather returned "It's sunny."
    """
    count = next((i for i, m in enumerate(reversed(messages)) if not isinstance(m, wire.ToolMessage)), len(messages))
    earlier, results = messages[: len(messages) - count], messages[len(messages) - count :]
    calls = [c for m in earlier if isinstance(m, wire.AssistantMessage) for c in m.tool_calls or []]
    names = {call.id: call.function.name for call in calls}
    parts = []
    for result in results:
        assert isinstance(result, wire.ToolMessage)
        name = names.get(result.tool_call_id, f"the tool call {result.tool_call_id}")
        content = result.content or ""
        if len(content) > _MAX_QUOTED_RESULT:
            content = content[:_MAX_QUOTED_RESULT].rstrip() + "\u2026"
        quoted = json.dumps(content, ensure_ascii=False) if content.strip() else "nothing"
        parts.append(f"{name} returned {quoted}")
    return "; ".join(parts) or None


_ANY_QUOTE = _QUOTE.replace("(", "(?:").replace("(?:?", "(?")  # the same quotes, without groups
_BARE_KEY = r"(?<![\w-])(?!(?:and|or|a|an|the|to|of|in|with|for|that|only|both|named|called|are|is)\b)[^\W\d][\w-]*"
_KEYWORD = r"(?:keys?|fields?|properties|property|attributes?)"


def _key_list(item: str) -> str:
    item = rf"(?:(?:a|an|the)\s+)?(?:{item})"
    return rf"{item}(?:\s*,\s*{item})*(?:\s*,?\s*(?:and|or)\s+{item})?"


_KEYS_BEFORE = re.compile(rf"({_key_list(_ANY_QUOTE)})\s+{_KEYWORD}\b", re.I)
_KEYS_AFTER = re.compile(
    rf"\b{_KEYWORD}(\s*:\s*|\s+(?:named|called|are)\s+|\s+)({_key_list(_ANY_QUOTE + '|' + _BARE_KEY)})", re.I
)


def json_object_answer(text: str) -> dict[str, Any]:
    """A ``response_format: json_object`` answer: the keys ``text`` names, filled as :func:`structured_instance`.

    Keys are named by quoting them before *key(s)*, *field(s)* or *properties* (``with 'setup' and 'punchline'
    keys``, ``a `setup` and a `punchline` key``) or by listing them after it (``with keys setup and punchline``,
    ``fields: name, age``; one bare word is not enough). ``{}`` means the text names no keys.

    Example:
        >>> json_object_answer("Tell me a joke about cats. Return a JSON with 'setup' and 'punchline' keys.")
        {'setup': 'cats', 'punchline': 'cats'}
        >>> json_object_answer("Tell me a joke.")
        {}
    """
    found = [
        (match.start(1) + m.start(), m.group(0))
        for match in _KEYS_BEFORE.finditer(text)
        for m in re.finditer(_ANY_QUOTE, match.group(1))
    ]
    for match in _KEYS_AFTER.finditer(text):
        listed = re.finditer(rf"{_ANY_QUOTE}|{_BARE_KEY}", match.group(2))
        items = [(match.start(2) + m.start(), m.group(0)) for m in listed]
        if ":" in match.group(1) or len(items) > 1 or any(item[0] in _OPENING for _, item in items):
            found += items
    keys = list(
        dict.fromkeys(k for _, key in sorted(found) if re.fullmatch(r"\w[\w\- .]{0,63}", k := key.strip(_TRIM)))
    )
    if not keys:
        return {}
    answer: dict[str, Any] = structured_instance(
        {"type": "object", "properties": {k: {"type": "string"} for k in keys}, "required": keys}, text
    )
    return answer
