"""The bad-input sweep: every rule of the URL map, every method, as every role and anonymous,
with hostile values in every URL part, query parameter, form field, file name and JSON field.
Not one answer may be a 5xx (on SQLite and on PostgreSQL, where most of them were found).

Nothing here lists routes or fields by hand. Routes come from ``app.url_map``; a route's
parameters are found three ways:

* the pages: every role crawls the demo site from ``/``, following links; each HTML form
  (GET forms give query parameters, POST forms give fields and their defaults) and each link's
  query keys are matched to their rule through the URL map, and the links' URL values become
  the valid demo ids the routes are called with;
* the code: names read in the view (``request.args.get("x")``, ``request.form.get("x")``,
  ``getlist``, a module helper called with a literal name that reads ``request.args``) and
  the fields of the WTForms classes the view uses;
* the API: the OpenAPI document built from the code (query parameters, JSON and multipart
  bodies; a valid-looking base body is generated from each schema).

Each route is first sent its valid base request (URL values from the links, field defaults
from the forms). When that gets past the role checks, every field is swept one at a time
with each hostile value; when it is refused (401/403/404, or sent to log in), every field
gets the same hostile value at once. Every route also gets hostile URL values, a query
string that is not UTF-8, and hostile query *names* (``url_for``'s own keyword parameters,
the route's URL arguments, NUL, a surrogate). Fields that differ only by an id (``role-12``,
``attended-12``) are swept once. The sweep fails if a route with fields never got past the
role checks for any role.

Every role works on its own freshly loaded demo data (a POST may change data; only a 5xx
counts). Routes no page links to (an uploaded file) are swept last, after a second crawl. The
admin's sweep, the longest, is two tests, each on its own copy: its GET requests before the
second crawl, and the rest in the same order (a GET changes nothing: the rest meet the same data).
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import pytest
from flask import Flask, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Rule

from portal.demo import load_demo
from portal.extensions import db
from portal.models import User
from portal.services import tokens

ROLES = (None, "teacher1", "district", "dreviewer", "organizer", "reviewer", "admin")  # None: anonymous
# "²" and "²²²²-²²²³": digits to str.isdigit() that int() refuses (a number, a school year)
HOSTILE = ("a\x00b", str(2**31), str(2**63), str(10**23), "-1", "x" * 10_000, "\ud800", "1e400", "²", "²²²²-²²²³")
HOSTILE_URL_INTS = (2**31, 2**63, 10**23, -1)
HOSTILE_URL_TEXT = ("a\x00b", "x" * 10_000, "\ud800")
# The same values as JSON text: strings, integers, and a number that overflows to infinity.
HOSTILE_JSON = ('"a\\u0000b"', str(2**31), str(2**63), str(10**23), "-1", json.dumps("x" * 10_000), '"\\ud800"',
                "1e400", json.dumps("²"), json.dumps("²²²²-²²²³"))
RAW_QUERY = "q=\xed\xa0\x80&lang=\xff"  # not UTF-8 (a WSGI server passes the bytes as latin-1 text)
REFUSED = {401, 403, 404, 405}
# Query names a page may pass on to url_for (pagination links): its own keyword parameters.
URL_FOR_NAMES = tuple(n for n, p in inspect.signature(url_for).parameters.items() if p.kind is not p.VAR_KEYWORD)
PLACEHOLDER = "\u2063SWEEP\u2063"


# -- the pages ------------------------------------------------------------------------------


@dataclass
class FormSeen:
    action: str
    method: str
    multipart: bool
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, default, kind)


class _PageParser(HTMLParser):
    """Links and forms of one page (fields outside a form join it through ``form="id"``)."""

    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.links: list[str] = []
        self.forms: list[FormSeen] = []
        self._by_id: dict[str, FormSeen] = {}
        self._late: list[tuple[str, tuple[str, str, str]]] = []
        self._current: FormSeen | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, options, selected
        self._textarea: tuple[str, list[str]] | None = None

    def _add(self, attrs: dict[str, str | None], entry: tuple[str, str, str]) -> None:
        owner = attrs.get("form")
        if owner:
            self._late.append((owner, entry))
        elif self._current is not None:
            self._current.fields.append(entry)

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"] or "")
        elif tag == "form":
            self._current = FormSeen(
                action=attrs.get("action") or self.page_path,
                method=(attrs.get("method") or "get").upper(),
                multipart=(attrs.get("enctype") or "") == "multipart/form-data",
            )
            self.forms.append(self._current)
            if attrs.get("id"):
                self._by_id[attrs["id"] or ""] = self._current
        elif tag in ("input", "button") and attrs.get("name"):
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            self._add(attrs, (attrs["name"] or "", attrs.get("value") or ("on" if kind == "checkbox" else ""), kind))
        elif tag == "select" and attrs.get("name"):
            self._select = (attrs["name"] or "", [], [])
            self._select_attrs = attrs
        elif tag == "option" and self._select is not None:
            self._select[1].append(attrs.get("value") or "")
            if "selected" in attrs:
                self._select[2].append(attrs.get("value") or "")
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = (attrs["name"] or "", [])
            self._textarea_attrs = attrs

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select" and self._select is not None:
            name, options, selected = self._select
            self._add(self._select_attrs, (name, (selected or options or [""])[0], "select"))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(self._textarea_attrs, (self._textarea[0], "".join(self._textarea[1]).strip(), "textarea"))
            self._textarea = None

    def close(self) -> None:
        super().close()
        for owner, entry in self._late:
            if owner in self._by_id:
                self._by_id[owner].fields.append(entry)


@dataclass
class Found:
    """What the crawl and the code tell about the routes, merged over every role."""

    examples: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    query: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    forms: dict[tuple[str, str], dict[str, tuple[str, str]]] = field(default_factory=lambda: defaultdict(dict))
    multipart: set[tuple[str, str]] = field(default_factory=set)
    pages: int = 0

    def example(self, endpoint: str, view_args: dict[str, Any]) -> None:
        if view_args not in self.examples[endpoint]:
            self.examples[endpoint].append(view_args)


def _match(app: Flask, url: str, method: str) -> tuple[Rule, dict[str, Any]] | None:
    parts = urlsplit(url)
    if parts.netloc and parts.netloc not in ("localhost",):
        return None
    adapter = app.url_map.bind("localhost")
    try:
        rule, view_args = adapter.match(parts.path or "/", method=method, return_rule=True)
    except HTTPException:
        return None
    return rule, view_args


def crawl(app: Flask, client_for, found: Found, send) -> None:
    """Breadth-first from ``/`` over links, at most two pages per rule; record forms and links."""
    queue, seen_paths = ["/"], set()
    per_rule: dict[str, int] = defaultdict(int)
    while queue:
        url = queue.pop(0)
        hit = _match(app, url, "GET")
        if hit is None:
            continue
        rule, view_args = hit
        path = urlsplit(url).path
        if path in seen_paths or per_rule[rule.endpoint] >= 2 or _is_static(rule):
            continue
        seen_paths.add(path)
        per_rule[rule.endpoint] += 1
        found.example(rule.endpoint, view_args)
        r = send(client_for(), "GET", path, query=parse_qsl(urlsplit(url).query))
        found.pages += 1
        if r is None or r.mimetype != "text/html":
            continue
        parser = _PageParser(path)
        parser.feed(r.get_data(as_text=True))
        parser.close()
        for link in parser.links:
            target = _match(app, link, "GET")
            if target is None:
                continue
            found.example(target[0].endpoint, target[1])
            found.query[target[0].endpoint].update(k for k, _ in parse_qsl(urlsplit(link).query))
            queue.append(link)
        for form in parser.forms:
            target = _match(app, form.action, form.method)
            if target is None:
                continue
            endpoint = target[0].endpoint
            found.example(endpoint, target[1])
            if form.method == "GET":
                found.query[endpoint].update(name for name, _, _ in form.fields)
                continue
            known = found.forms[(endpoint, form.method)]
            for name, default, kind in form.fields:
                known.setdefault(name, (default, kind))
            if form.multipart:
                found.multipart.add((endpoint, form.method))


# -- the code -------------------------------------------------------------------------------

_ARGS = re.compile(r"""args\.get\(\s*["']([^"']+)["']""")
_FORM = re.compile(r"""form\.get(?:list)?\(\s*["']([^"']+)["']|getlist\(\s*["']([^"']+)["']""")


def _helpers(view: Any, depth: int = 2) -> list[Any]:
    """The view and the portal's functions it calls (two levels deep)."""
    out, todo = [], [(inspect.unwrap(view), 0)]
    while todo:
        fn, level = todo.pop()
        if fn in out or not inspect.isfunction(fn) or not fn.__module__.startswith(("portal", "plugins")):
            continue
        out.append(fn)
        if level < depth:
            todo.extend((fn.__globals__.get(n), level + 1) for n in fn.__code__.co_names)
    return out


_CODE_FIELDS: dict[tuple[str, Any, int], tuple[frozenset[str], frozenset[str], bool]] = {}


def code_fields(app: Flask, endpoint: str) -> tuple[set[str], set[str], bool]:
    """Query names, form names and whether a file is read, as far as the view's code tells.
    Read once per view and test process: the answer depends on the code alone (the view, the
    module functions and form classes it names), the same in every app the sweeps build; reading
    the source again for every rule of every role's sweep was 3 % of the sweep's CPU time."""
    view = inspect.unwrap(app.view_functions[endpoint])
    key = (endpoint, getattr(view, "__code__", view), id(getattr(view, "__globals__", None)))
    if key not in _CODE_FIELDS:
        query, form, has_file = _read_code_fields(app.view_functions[endpoint])
        _CODE_FIELDS[key] = (frozenset(query), frozenset(form), has_file)
    query_names, form_names, reads_file = _CODE_FIELDS[key]
    return set(query_names), set(form_names), reads_file


def _read_code_fields(view: Any) -> tuple[set[str], set[str], bool]:
    query: set[str] = set()
    form: set[str] = set()
    has_file = False
    functions = _helpers(view)
    sources = {fn: inspect.getsource(fn) for fn in functions}
    readers = {fn.__name__ for fn, src in sources.items() if "request.args" in src and fn is not functions[0]}
    for fn, src in sources.items():
        query.update(_ARGS.findall(src))
        form.update(a or b for a, b in _FORM.findall(src))
        for name in readers:
            query.update(re.findall(rf"""\b{name}\(\s*["']([^"']+)["']""", src))
        has_file = has_file or "request.files" in src
        for cls in (fn.__globals__.get(n) for n in fn.__code__.co_names):
            if inspect.isclass(cls) and issubclass(cls, FlaskForm) and cls is not FlaskForm:
                for name, unbound in vars(cls).items():
                    if hasattr(unbound, "field_class"):
                        form.add(name)
                        has_file = has_file or unbound.field_class.__name__ == "FileField"
    return query, form, has_file


# -- sending --------------------------------------------------------------------------------


def _q(value: str) -> str:
    return quote_plus(value, errors="surrogatepass")


def _urlencoded(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{_q(k)}={_q(v)}" for k, v in pairs).encode("ascii")


def _multipart(pairs: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "sweepBoundary7MA4YWxkTrZu0gW"
    chunks: list[bytes] = []
    for name, value in pairs:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode("utf-8", "surrogatepass")
                      + value.encode("utf-8", "surrogatepass") + b"\r\n")
    for name, filename, data in files:
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n")
        chunks.append(head.encode("utf-8", "surrogatepass") + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _path(rule: Rule, values: dict[str, Any]) -> str:
    out = rule.rule
    for name in rule.arguments:
        quoted = quote(str(values[name]), safe="", errors="surrogatepass")
        out = re.sub(rf"<(?:[a-zA-Z_]+(?:\([^)]*\))?:)?{name}>", lambda _m, q=quoted: q, out)
    return out


def _is_static(rule: Rule) -> bool:
    return rule.endpoint == "static" or rule.endpoint.endswith(".static")


def _group(name: str) -> str:
    return re.sub(r"\d+", "#", name)


def _one_per_group(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(_group(name), name)
    return sorted(seen.values())


class Sweep:
    def __init__(self, probe_only: bool = False) -> None:
        self.probe_only = probe_only  # send each route its valid base request only (who gets past the checks)
        self.requests = 0
        self.failures: list[str] = []
        self.with_fields: set[tuple[str, str]] = set()  # (rule, method) that have fields or parameters
        self.fuzzed: set[tuple[str, str]] = set()  # … and had them swept one by one, past the role checks

    def send(self, client, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
             form: list[tuple[str, str]] | None = None, files: list[tuple[str, str, bytes]] | None = None,
             body: bytes | None = None, content_type: str | None = None, headers: dict[str, str] | None = None,
             raw_query: str | None = None, who: str = ""):
        kwargs: dict[str, Any] = {"method": method, "headers": headers or {}}
        if raw_query is not None:
            kwargs["environ_overrides"] = {"QUERY_STRING": raw_query}
        elif query:
            kwargs["query_string"] = _urlencoded(query).decode("ascii")
        if files is not None:
            kwargs["data"], kwargs["content_type"] = _multipart(form or [], files)
        elif form is not None:
            kwargs["data"], kwargs["content_type"] = _urlencoded(form), "application/x-www-form-urlencoded"
        elif body is not None:
            kwargs["data"], kwargs["content_type"] = body, content_type
        self.requests += 1
        shown = f"[{who or 'anonymous'}] {method} {path[:80]} q={str(query)[:80]} f={str(form)[:100]} b={str(body)[:100]}"
        try:
            r = client.open(path, **kwargs)
        except Exception as exc:  # noqa: BLE001 - TESTING propagates a crash: it would be a 500
            self.failures.append(f"{shown} raised {exc!r}"[:400])
            return None
        if r.status_code >= 500:
            self.failures.append(f"{shown} → {r.status_code}")
        return r


# -- the API: bodies from the OpenAPI document ----------------------------------------------


def _resolve(schema: dict, doc: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _sample(schema: dict, doc: dict, ids: dict[str, int], name: str = "") -> Any:
    """A value that fits ``schema`` well enough to reach the service (required properties only)."""
    schema = _resolve(schema, doc)
    for key in ("const",):
        if key in schema:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _sample(props[k], doc, ids, k) for k in schema.get("required", []) if k in props}
    if kind == "array":
        return [_sample(schema.get("items", {}), doc, ids, name)] if schema.get("minItems") else []
    if kind == "integer":
        return ids.get(name, max(1, int(schema.get("minimum", 1))))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "string":
        return "x" * max(1, int(schema.get("minLength", 1)))
    return None


def _with_placeholder(base: Any, key: str) -> tuple[Any, str]:
    if isinstance(base, list):
        item = dict(base[0]) if base and isinstance(base[0], dict) else {}
        item[key] = PLACEHOLDER
        return [item], key
    body = dict(base) if isinstance(base, dict) else {}
    body[key] = PLACEHOLDER
    return body, key


def _json_with(body: Any, literal: str) -> bytes:
    return json.dumps(body).replace(json.dumps(PLACEHOLDER), literal).encode("ascii")


# -- the sweep ------------------------------------------------------------------------------


def _fresh_demo(make_app) -> tuple[Flask, dict[str, Any]]:
    """An app on a fresh copy of the demo data."""
    app = make_app(demo=True)
    with app.app_context():
        school = load_demo()  # finds the school
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        ctx = {"school": school.id, "users": users}
        db.session.remove()
    return app, ctx


def _client_factory(app: Flask, ctx: dict[str, Any], role: str | None):
    """A fresh client per request (a POST may log out or change the session), logged in with
    the session cookie ``tests.support.sessions.log_in`` writes, signed directly: no request context per request.
    The user's id is read each time: it carries the session version a password change bumps
    (one column on a connection of the app's engine: an app context and an ORM load per
    request were a tenth of a sweep's time)."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    cookies: dict[str, str] = {}
    with app.app_context():
        engine = db.engine
    uid = ctx["users"][role] if role is not None else None
    version = select(User.session_version).where(User.id == uid)

    def make():
        client = app.test_client()
        if role is None:
            return client
        with engine.connect() as conn:
            user_id = User(id=uid, session_version=conn.execute(version).scalar_one()).get_id()
        if user_id not in cookies:
            cookies[user_id] = serializer.dumps({"_user_id": user_id, "_fresh": True, "school_id": ctx["school"]})
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookies[user_id])
        return client

    return make


def _fallback_values(rule: Rule, found: Found) -> dict[str, Any]:
    """URL values for a rule no page links to: the same argument of another rule, else 1 / 'x'."""
    out: dict[str, Any] = {}
    for name in rule.arguments:
        pool = [ex[name] for exs in found.examples.values() for ex in exs if name in ex]
        out[name] = pool[0] if pool else (1 if isinstance(rule._converters.get(name), IntegerConverter) else "x")
    return out


def _default_file(kind_hint: str) -> tuple[str, bytes]:
    return ("sweep.csv", b"username,name\nsweep1,Sweep\n") if "roster" in kind_hint else ("sweep.pdf", b"%PDF-1.4 sweep")


def _sweep_web(sweep: Sweep, app: Flask, rule: Rule, method: str, found: Found, client_for, who: str) -> None:
    endpoint = rule.endpoint
    code_query, code_form, code_file = code_fields(app, endpoint)
    examples = found.examples.get(endpoint) or [_fallback_values(rule, found)]
    string_args = [n for n in rule.arguments if not isinstance(rule._converters.get(n), IntegerConverter)]
    if not string_args:
        examples = examples[:1]  # one valid id is enough; a type key or a language changes the page
    seen_form = found.forms.get((endpoint, method), {})
    multipart = (endpoint, method) in found.multipart or (code_file and method == "POST")
    if method == "GET":
        base_form: list[tuple[str, str]] = []
        names = sorted(found.query.get(endpoint, set()) | code_query)
    else:
        base_form = [(n, d) for n, (d, kind) in seen_form.items() if kind != "file"]
        base_form += [(n, "x") for n in sorted(code_form - set(seen_form)) if n not in ("csrf_token", "file", "submit")]
        names = [n for n, _ in base_form]
    file_fields = [n for n, (_, kind) in seen_form.items() if kind == "file"] or (["file"] if multipart else [])
    fname, fdata = _default_file(endpoint)

    def go(path: str, form: list[tuple[str, str]], query: list[tuple[str, str]] | None = None,
           filename: str = fname, raw_query: str | None = None):
        if method == "GET":
            return sweep.send(client_for(), method, path, query=(query or []) + form, raw_query=raw_query, who=who)
        files = [(f, filename, fdata) for f in file_fields] if multipart else None
        return sweep.send(client_for(), method, path, query=query, form=form, files=files, raw_query=raw_query, who=who)

    for i, values in enumerate(examples):
        path = _path(rule, values)
        first = go(path, base_form)
        reached = (first is not None and first.status_code not in REFUSED
                   and "/login?next=" not in first.headers.get("Location", ""))  # not sent to log in first
        if names or multipart:
            sweep.with_fields.add((rule.rule, method))
        if reached and (names or multipart):
            sweep.fuzzed.add((rule.rule, method))
        if sweep.probe_only:
            continue
        if reached:
            for name in _one_per_group(names):
                for bad in HOSTILE:
                    form = [(n, bad if n == name else v) for n, v in base_form]
                    go(path, form, query=[(name, bad)] if method == "GET" else None)
            for bad in HOSTILE if multipart else ():
                go(path, base_form, filename=bad + ".pdf")
        elif i == 0:  # refused before the fields are read: every field hostile at once
            for bad in HOSTILE:
                go(path, [(n, bad) for n, _ in base_form], query=[(n, bad) for n in names] if method == "GET" else None)
        if i == 0:
            go(path, base_form, raw_query=RAW_QUERY)
        if i == 0 and reached and method == "GET":  # hostile query names: url_for's own, the URL's, bad text
            go(path, [], query=[(n, "1") for n in (*URL_FOR_NAMES, *rule.arguments)])
            for bad in HOSTILE_URL_TEXT:
                go(path, [], query=[(bad, "1")])
    if sweep.probe_only:
        return
    base_values = examples[0]
    for name in rule.arguments:
        is_int = isinstance(rule._converters.get(name), IntegerConverter)
        for bad in (*HOSTILE_URL_INTS, *HOSTILE_URL_TEXT) if is_int else HOSTILE_URL_TEXT:
            go(_path(rule, {**base_values, name: bad}), base_form)


#: API routes whose id argument shares its name with another kind's (``plan_id``: a school's
#: annual plan, a teacher's personal plan): the page whose crawled id is of their kind. Without
#: it the last id of that name seen anywhere was used (a personal plan's, once the demo had two).
API_IDS_FROM = {
    "api.school_plan_decide": "district.school_plan_review",
    "api.get_plan": "year.plan_show",
    "api.decide_plan": "year.plan_show",
}


def _sweep_api(sweep: Sweep, app: Flask, rule: Rule, method: str, found: Found, doc: dict, ctx: dict[str, Any],
               token: str | None, client_for, who: str) -> None:
    from portal.api.spec import openapi_path

    ids = {**{k: v for ex in found.examples.values() for e in ex for k, v in e.items() if isinstance(v, int)},
           "user_id": ctx["users"]["teacher1"]}
    for e in found.examples.get(API_IDS_FROM.get(rule.endpoint, ""), [])[:1]:  # an id of its own kind
        ids.update({k: v for k, v in e.items() if isinstance(v, int)})
    values = {n: ids.get(n, "lecture") for n in rule.arguments}
    op_path = openapi_path(rule.rule)[0]
    if op_path not in doc["paths"]:  # documented once per value (one path per activity type): each
        targets = [(p, hit[1]) for p in doc["paths"] for hit in [_match(app, p, method)]
                   if hit is not None and hit[0].rule == rule.rule]
        for documented, documented_values in targets:
            _sweep_api_operation(sweep, app, rule, method, doc, documented, documented_values, ids, token,
                                 client_for, who)
        if targets:
            return
    _sweep_api_operation(sweep, app, rule, method, doc, op_path, values, ids, token, client_for, who)


def _sweep_api_operation(sweep: Sweep, app: Flask, rule: Rule, method: str, doc: dict, op_path: str,
                         values: dict[str, Any], ids: dict[str, int], token: str | None, client_for, who: str) -> None:
    path = _path(rule, values)
    op = doc["paths"].get(op_path, {}).get(method.lower(), {})
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    query_names = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
    content = op.get("requestBody", {}).get("content", {})

    def go(*, query=None, body: bytes | None = None, form=None, files=None, at: str = path, raw_query=None):
        if body is not None:
            return sweep.send(client_for(), method, at, query=query, body=body, content_type="application/json",
                              headers=headers, raw_query=raw_query, who=who)
        return sweep.send(client_for(), method, at, query=query, form=form, files=files, headers=headers,
                          raw_query=raw_query, who=who)

    json_schema = content.get("application/json", {}).get("schema")
    base = _sample(json_schema, doc, ids) if json_schema is not None else None
    base_body = json.dumps(base).encode() if json_schema is not None else None
    first = go(body=base_body) if base_body is not None else go()
    reached = first is not None and (first.status_code not in REFUSED
                                     or (first.status_code == 401 and op.get("security") == []))  # wrong password
    if query_names or content:
        sweep.with_fields.add((rule.rule, method))
        if reached:
            sweep.fuzzed.add((rule.rule, method))
    if sweep.probe_only:
        return
    for name in query_names:
        for bad in HOSTILE if reached else HOSTILE[:1]:
            go(query=[(name, bad)], body=base_body)
    go(raw_query=RAW_QUERY, body=base_body)
    if json_schema is not None:
        schema = _resolve(json_schema, doc)
        props = schema.get("properties") or _resolve(schema.get("items", {}), doc).get("properties", {})
        for name in sorted(props) if reached else sorted(props)[:1]:
            body, _ = _with_placeholder(base, name)
            for literal in HOSTILE_JSON:
                go(body=_json_with(body, literal))
    multipart_schema = content.get("multipart/form-data", {}).get("schema")
    if multipart_schema is not None:
        schema = _resolve(multipart_schema, doc)
        props = schema.get("properties", {})
        base_form = [(k, str(_sample(v, doc, ids, k))) for k, v in props.items()
                     if _resolve(v, doc).get("format") != "binary"]
        file_fields = [k for k, v in props.items() if _resolve(v, doc).get("format") == "binary"]
        for name in [n for n, _ in base_form]:
            for bad in HOSTILE:
                go(form=[(n, bad if n == name else v) for n, v in base_form],
                   files=[(f, "sweep.pdf", b"%PDF-1.4 sweep") for f in file_fields])
        for bad in HOSTILE:
            go(form=base_form, files=[(f, bad + ".pdf", b"%PDF-1.4 sweep") for f in file_fields])
    for name in rule.arguments:
        is_int = isinstance(rule._converters.get(name), IntegerConverter)
        for bad in (*HOSTILE_URL_INTS, *HOSTILE_URL_TEXT) if is_int else HOSTILE_URL_TEXT:
            go(at=_path(rule, {**values, name: bad}), body=base_body)


# -- the tests: one sweep per role (run side by side), and the check that each route was reached --


_DISCOVERY: list[tuple[Found, Sweep]] = []  # this process's crawl of the demo by every role


def _discovered(make_app) -> tuple[Found, Sweep]:
    """What every role's crawl of the demo found (a copy: a sweep adds what its own requests make
    linkable) and the crawl's own requests. Crawled once per test process: the demo is the same
    copy of one template every time, so are its ids."""
    if not _DISCOVERY:
        sweep, found = Sweep(), Found()
        app, ctx = _fresh_demo(make_app)
        for role in ROLES:  # discover with every role's pages before the first hostile request
            crawl(app, _client_factory(app, ctx, role), found,
                  lambda c, m, p, **kw: sweep.send(c, m, p, who="crawl", **kw))
        _DISCOVERY.append((found, sweep))
    found, crawled = _DISCOVERY[0]
    return copy.deepcopy(found), crawled


#: The parts a role's sweep may be split into, each a test of its own on its own copy of the
#: demo, so that two workers share the heaviest sweep: READS, the GET requests of every route
#: swept before the second crawl (a GET changes nothing, and before that crawl a route's values
#: come from the first crawl alone), and REST, everything else in the same order — the same data
#: as the whole sweep's at every request, since only the GETs, which change nothing, left it.
READS, REST = "reads", "rest"


def _in_part(part: str | None, method: str, before_second_crawl: bool) -> bool:
    if part is None:
        return True
    return (method == "GET" and before_second_crawl) == (part == READS)


def _sweep_as(role: str | None, make_app, found: Found, sweep: Sweep,
              part: str | None = None) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Every rule and method of the map as ``role`` on a fresh copy of the demo (only those of
    ``part``, :data:`READS` or :data:`REST`, when given); the (rule, method) pairs swept, and
    those left to the other part. With ``sweep.probe_only`` each gets its valid base request only."""
    app, ctx = _fresh_demo(make_app)
    rules = sorted((r for r in app.url_map.iter_rules() if not _is_static(r)), key=lambda r: (r.rule, r.endpoint))
    client_for = _client_factory(app, ctx, role)
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    unlinked = [r for r in rules if r.arguments and not found.examples.get(r.endpoint)]
    ordered = [r for r in rules if r not in unlinked] + unlinked
    # stable: the routes that delete go last of all (DELETE last of a route's methods), so the
    # example row each uses is still there for the routes that change it
    ordered.sort(key=lambda r: r.rule.endswith("/delete") or "DELETE" in (r.methods or ()))
    first_unlinked = next((r for r in ordered if r in unlinked), None)
    swept: set[tuple[str, str]] = set()
    left: set[tuple[str, str]] = set()
    before_second_crawl = True
    for rule in ordered:
        if rule is first_unlinked and not sweep.probe_only:  # what the requests so far made (an upload) may be linked now
            before_second_crawl = False
            if part != READS:
                crawl(app, client_for, found, lambda c, m, p, **kw: sweep.send(c, m, p, who="crawl", **kw))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}, key=lambda m: (m == "DELETE", m)):
            if not _in_part(part, method, before_second_crawl):
                left.add((rule.rule, method))
                continue
            if rule.rule.startswith("/api/"):
                token = None  # a new one per route: DELETE /api/v1/auth/token revokes it
                if role is not None:
                    with app.app_context():
                        token = tokens.issue(db.session.get(User, ctx["users"][role])).token
                _sweep_api(sweep, app, rule, method, found, doc, ctx, token, client_for, role or "")
            else:
                _sweep_web(sweep, app, rule, method, found, client_for, role or "")
            swept.add((rule.rule, method))
    return swept, left


def _map_methods(make_app) -> set[tuple[str, str]]:
    app = make_app()
    return {(r.rule, m) for r in app.url_map.iter_rules() if not _is_static(r)
            for m in (r.methods or set()) - {"HEAD", "OPTIONS"}}


# The per-role tests, heaviest first (the admin's sweep reaches the most routes and sends the
# most requests): an idle xdist worker then steals the light ones, instead of the heaviest one
# starting last and running alone at the end. The crawl keeps ROLES' order (it picks the ids).
# The admin's sweep (twice the next one's time) comes in two parts, one per worker.
SWEEP_ORDER = (("admin", REST), ("admin", READS), ("organizer", None), ("district", None), ("reviewer", None),
               ("dreviewer", None), ("teacher1", None), (None, None))
assert sorted({role for role, _part in SWEEP_ORDER}, key=str) == sorted(ROLES, key=str)
assert all({p for r, p in SWEEP_ORDER if r == role} in ({None}, {READS, REST}) for role in ROLES)


@pytest.mark.slow
@pytest.mark.parametrize(("role", "part"), SWEEP_ORDER,
                         ids=[f"{role or 'anonymous'}{'-' + part if part else ''}" for role, part in SWEEP_ORDER])
def test_bad_input_sweep(make_app, record_property, role, part):
    found, crawled = _discovered(make_app)
    assert not crawled.failures, "the crawl met server errors:\n" + "\n".join(crawled.failures[:40])
    assert found.pages > 30 and len(found.forms) >= 10  # the crawl found the site and its forms
    sweep = Sweep()
    swept, left = _sweep_as(role, make_app, found, sweep, part)
    record_property("figure", f"bad-input sweep as {role or 'anonymous'}{' (' + part + ')' if part else ''}: "
                              f"{sweep.requests} requests, {len(sweep.failures)} server errors")
    # every rule and method of the map, here or in the other part (which sweeps exactly ``left``)
    assert swept | left == _map_methods(make_app) and not swept & left and bool(left) == bool(part)
    assert sweep.requests > 1000
    assert not sweep.failures, f"{len(sweep.failures)} server errors:\n" + "\n".join(sweep.failures[:40])


@pytest.mark.slow
def test_every_route_with_fields_gets_past_the_role_checks_for_some_role(make_app):
    """The sweep of a route's fields is only worth something past the role checks: for every
    route that reads fields or parameters, some role's valid base request gets there (the
    per-role sweeps send the same base requests first, in the same order)."""
    found, _crawled = _discovered(make_app)
    probe = Sweep(probe_only=True)
    for role in ROLES:
        _sweep_as(role, make_app, copy.deepcopy(found), probe)
    assert probe.with_fields, "no route with fields was found"
    assert probe.with_fields - probe.fuzzed == set(), "never reached past the role checks"
    assert not probe.failures, "\n".join(probe.failures[:40])


def test_the_api_routes_told_where_their_ids_come_from_exist(make_app):
    """:data:`API_IDS_FROM` names endpoints of the map (a renamed one would leave its route the
    last id of that name seen anywhere, silently)."""
    endpoints = {r.endpoint for r in make_app().url_map.iter_rules()}
    assert set(API_IDS_FROM) | set(API_IDS_FROM.values()) <= endpoints
