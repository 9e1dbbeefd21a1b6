"""Parse a Logs Insights query into commands and expressions.

Expressions are tuples: ``("lit", value)``, ``("field", name)``, ``("regex", compiled)``,
``("list", [expr...])``, ``("call", name, [expr...])``, ``("unary", op, expr)`` and
``("binary", op, left, right)`` (op: ``or and = != < <= > >= like notlike =~ in notin
+ - * / % ^``).  Each command keeps the query text of its items, which names the
result columns as CloudWatch names them (``count(*)``, ``avg(@duration)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .lexer import Token, malformed, tokenize

Expr = tuple[Any, ...]
#: Commands CloudWatch has that this engine does not run (refused by name).
UNSUPPORTED = {"unnest", "lookup", "join", "anomaly", "pattern", "diff", "filterindex", "source", "unmask"}
COMMANDS = ("fields", "display", "filter", "stats", "sort", "limit", "parse", "dedup")
_COMPARISONS = {"=", "!=", "<", "<=", ">", ">=", "=~"}


@dataclass
class Item:
    """An expression with the column name it produces."""

    expr: Expr
    name: str


@dataclass
class Command:
    kind: str
    items: list[Item] = field(default_factory=list)
    by: list[Item] = field(default_factory=list)
    #: sort: (item, descending) pairs
    keys: list[tuple[Item, bool]] = field(default_factory=list)
    limit: int = 0
    #: parse: the source expression, and a compiled pattern with its field names
    source: Expr | None = None
    pattern: re.Pattern[str] | None = None
    names: list[str] = field(default_factory=list)
    #: parse: a glob (its groups are the ``*`` in order) rather than a regex with named groups
    glob: bool = False


def parse(query: str) -> list[Command]:
    """The query's commands, in order (``MalformedQueryException`` on a bad query)."""
    return _Parser(query).commands()


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0

    # --- tokens --------------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.token
        return token.kind in ("op", "name") and token.text.lower() in texts

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise malformed(f"expected {text!r}, found {self._found()}", self.token)
        return self.take()

    def _found(self) -> str:
        return "the end of the query" if self.token.kind == "end" else repr(self.token.text)

    def text_since(self, start: int) -> str:
        first, last = self.tokens[start], self.tokens[self.i - 1]
        return self.query[first.start : last.start + len(last.text)].strip()

    # --- commands ------------------------------------------------------------------------------

    def commands(self) -> list[Command]:
        commands: list[Command] = []
        while self.token.kind != "end":
            if self.token.kind == "pipe":
                raise malformed("expected a command, found '|'", self.token)
            commands.append(self.command())
            if self.token.kind == "pipe":
                self.take()
                if self.token.kind == "end":
                    raise malformed("expected a command after '|'", self.token)
            elif self.token.kind != "end":
                raise malformed(f"unexpected {self._found()}: separate commands with '|'", self.token)
        if not commands:
            raise malformed("the query is empty: write a command such as fields @timestamp, @message")
        return commands

    def command(self) -> Command:
        token = self.take()
        word = token.text.lower() if token.kind == "name" else ""
        if word in UNSUPPORTED:
            raise malformed(f"the {token.text} command is not supported by this local Logs Insights", token)
        if word not in COMMANDS:
            raise malformed(f"unknown command {token.text!r} (use {', '.join(COMMANDS)})", token)
        return getattr(self, f"_{word}")()

    def _items(self, *, aliases: bool = True) -> list[Item]:
        items = [self.item(aliases)]
        while self.at(","):
            self.take()
            items.append(self.item(aliases))
        return items

    def item(self, aliases: bool = True) -> Item:
        start = self.i
        expr = self.expression()
        name = expr[1] if expr[0] == "field" else self.text_since(start)
        if aliases and self.at("as"):
            self.take()
            alias = self.take()
            if alias.kind != "name":
                raise malformed(f"expected a name after 'as', found {alias.text!r}", alias)
            name = str(alias.value)
        return Item(expr, name)

    def _fields(self) -> Command:
        return Command("fields", self._items())

    def _display(self) -> Command:
        return Command("display", self._items(aliases=False))

    def _filter(self) -> Command:
        return Command("filter", [Item(self.expression(), "")])

    def _stats(self) -> Command:
        command = Command("stats", self._items())
        if self.at("by"):
            self.take()
            command.by = self._items()
        return command

    def _sort(self) -> Command:
        command = Command("sort")
        while True:
            item = self.item(aliases=False)
            descending = False
            if self.at("asc", "desc"):
                descending = self.take().text.lower() == "desc"
            command.keys.append((item, descending))
            if not self.at(","):
                return command
            self.take()

    def _limit(self) -> Command:
        token = self.take()
        if token.kind != "number" or not isinstance(token.value, int) or token.value < 1:
            raise malformed(f"limit takes a whole number of at least 1, not {token.text!r}", token)
        return Command("limit", limit=token.value)

    def _dedup(self) -> Command:
        return Command("dedup", self._items(aliases=False))

    def _parse(self) -> Command:
        source = self.expression(stop_at_pattern=True)
        token = self.take()
        if token.kind == "regex":
            try:
                pattern = re.compile(_python_regex(str(token.value)))
            except re.error as exc:
                raise malformed(f"invalid regular expression ({exc})", token) from None
            names = list(pattern.groupindex)
            if not names:
                raise malformed("a parse regular expression needs named groups: (?<name>...)", token)
            return Command("parse", source=source, pattern=pattern, names=names)
        if token.kind != "string":
            raise malformed(f'parse takes a "glob * pattern" or a /regex/, found {token.text!r}', token)
        glob = str(token.value)
        stars = glob.count("*")
        if not stars:
            raise malformed("a parse glob needs at least one '*'", token)
        self.expect("as")
        names = [str(t.value) for t in self._names()]
        if len(names) != stars:
            raise malformed(f"the glob has {stars} '*' but {len(names)} names follow 'as'", token)
        parts = [re.escape(part) for part in glob.split("*")]
        regex = "".join(
            part + (f"(?P<g{n}>.*?)" if n < stars - 1 else f"(?P<g{n}>.*)") for n, part in enumerate(parts[:-1])
        )
        pattern = re.compile(regex + parts[-1], re.DOTALL)
        return Command("parse", source=source, pattern=pattern, names=names, glob=True)

    def _names(self) -> list[Token]:
        names = [self.take()]
        while self.at(","):
            self.take()
            names.append(self.take())
        for token in names:
            if token.kind != "name":
                raise malformed(f"expected a field name, found {token.text!r}", token)
        return names

    # --- expressions ---------------------------------------------------------------------------

    def expression(self, stop_at_pattern: bool = False) -> Expr:
        if stop_at_pattern:  # parse's source is a field; its pattern follows without an operator
            token = self.take()
            if token.kind != "name":
                raise malformed(f"parse needs a field to parse, found {token.text!r}", token)
            return ("field", token.value)
        return self._or()

    def _or(self) -> Expr:
        left = self._and()
        while self.at("or"):
            self.take()
            left = ("binary", "or", left, self._and())
        return left

    def _and(self) -> Expr:
        left = self._not()
        while self.at("and"):
            self.take()
            left = ("binary", "and", left, self._not())
        return left

    def _not(self) -> Expr:
        if self.at("not"):
            self.take()
            return ("unary", "not", self._not())
        return self._comparison()

    def _comparison(self) -> Expr:
        left = self._additive()
        negated = False
        if self.at("not") and self.tokens[self.i + 1].text.lower() in ("like", "in"):
            self.take()
            negated = True
        if self.at(*_COMPARISONS):
            operator = self.take().text
            return ("binary", operator, left, self._additive())
        if self.at("like"):
            self.take()
            return ("binary", "notlike" if negated else "like", left, self._additive())
        if self.at("in"):
            self.take()
            return ("binary", "notin" if negated else "in", left, self._additive())
        if negated:
            raise malformed("expected 'like' or 'in' after 'not'", self.token)
        return left

    def _additive(self) -> Expr:
        left = self._multiplicative()
        while self.at("+", "-"):
            operator = self.take().text
            left = ("binary", operator, left, self._multiplicative())
        return left

    def _multiplicative(self) -> Expr:
        left = self._power()
        while self.at("*", "/", "%"):
            operator = self.take().text
            left = ("binary", operator, left, self._power())
        return left

    def _power(self) -> Expr:
        base = self._unary()
        if self.at("^"):
            self.take()
            return ("binary", "^", base, self._power())
        return base

    def _unary(self) -> Expr:
        if self.at("-"):
            self.take()
            return ("unary", "-", self._unary())
        return self._primary()

    def _primary(self) -> Expr:
        token = self.take()
        if token.kind in ("number", "string", "duration"):
            return ("lit", token.value)
        if token.kind == "regex":
            try:
                return ("regex", re.compile(_python_regex(str(token.value))))
            except re.error as exc:
                raise malformed(f"invalid regular expression ({exc})", token) from None
        if token.text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if token.text == "[":
            values: list[Expr] = []
            if not self.at("]"):
                values.append(self.expression())
                while self.at(","):
                    self.take()
                    values.append(self.expression())
            self.expect("]")
            return ("list", values)
        if token.kind == "name":
            if self.at("(") and not token.text.startswith("`"):
                self.take()
                args: list[Expr] = []
                if self.at("*") and self.tokens[self.i + 1].text == ")":
                    self.take()
                    args.append(("lit", "*"))
                elif not self.at(")"):
                    args.append(self.expression())
                    while self.at(","):
                        self.take()
                        args.append(self.expression())
                self.expect(")")
                return ("call", str(token.value).lower(), args)
            lowered = str(token.value).lower()
            if lowered in ("true", "false") and not token.text.startswith("`"):
                return ("lit", lowered == "true")
            return ("field", token.value)
        if token.kind == "end":
            raise malformed("the query ends where a value was expected", token)
        raise malformed(f"unexpected {token.text!r} where a value was expected", token)


def _python_regex(pattern: str) -> str:
    """Insights' ``(?<name>...)`` groups in Python's spelling; ``(?i)`` works in both."""
    return re.sub(r"\(\?<(?![=!])", "(?P<", pattern)
