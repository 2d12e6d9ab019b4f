"""Which statements of a script would break the version still running (the "blue" one).

During a blue-green or canary release both versions share one database, so the
migrations applied before the switch must only add: new tables, new columns
with a default, new indexes, new views. This module finds the statements that
take something away or change it under blue's feet: DROP, RENAME (and SET
SCHEMA), column type changes (ALTER ... TYPE, MODIFY, CHANGE), SET NOT NULL,
ADD COLUMN ... NOT NULL without a DEFAULT, TRUNCATE, DELETE without WHERE, and
dynamic SQL (EXECUTE, PREPARE), which cannot be checked.

It reads code the way the database does, through the statement splitter: words
in comments, strings and quoted names do not count. PostgreSQL dollar-quoted
bodies (DO blocks, functions) are read as code. It errs on the side of
refusing: a false alarm costs a marker line or ``--allow-contract``, a miss
costs an outage. Pure: text in, findings out.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ecomctl.migrate.splitter import Scanned, Span, scan_mysql, scan_postgres
from ecomctl.migrate.url import Dialect

_CODE_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|[0-9]+|\S")


class Kind(enum.StrEnum):
    DROP = "drop"
    RENAME = "rename"
    TYPE_CHANGE = "type change"
    SET_NOT_NULL = "set not null"
    NOT_NULL_WITHOUT_DEFAULT = "not null without default"
    TRUNCATE = "truncate"
    DELETE_WITHOUT_WHERE = "delete without where"
    DYNAMIC_SQL = "dynamic sql"


@dataclass(frozen=True)
class Finding:
    script: str
    line: int
    kind: Kind
    what: str  # e.g. "DROP COLUMN", "ALTER COLUMN ... TYPE"
    statement: str  # the statement's start, whitespace collapsed

    def __str__(self) -> str:
        return f"{self.script}:{self.line}: {self.what} ({self.statement})"


@dataclass(frozen=True)
class Token:
    kind: str  # "word" (upper-cased) | "ident" (quoted name) | "string" | "code" (anything else)
    text: str
    at: int  # offset in the script

    def word(self, *names: str) -> bool:
        return self.kind == "word" and self.text in names

    def name(self) -> bool:
        return self.kind in ("word", "ident")


def find_destructive(text: str, *, dialect: Dialect, script: str = "") -> list[Finding]:
    """Every statement in `text` that is not expand-only, with its line."""
    scanned = scan_postgres(text) if dialect == "postgresql" else scan_mysql(text)
    tokens = _tokens(text, scanned, 0)
    starts = [t.at for t in tokens]
    line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
    found: list[Finding] = []
    for statement in scanned.statements:
        first = bisect.bisect_left(starts, statement.start)
        last = bisect.bisect_left(starts, statement.start + len(statement.sql))
        excerpt = _excerpt(statement.sql)
        for token, kind, what in _rules(tokens[first:last]):
            line = bisect.bisect_right(line_starts, token.at)
            found.append(Finding(script, line, kind, what, excerpt))
    return found


def _excerpt(sql: str, width: int = 70) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


# ---- tokens ------------------------------------------------------------------------------
def _tokens(text: str, scanned: Scanned, base: int) -> list[Token]:
    """Code tokens in order; comments dropped, strings and quoted names one token each,
    dollar-quoted bodies read as PostgreSQL code."""
    found: list[Token] = []
    at = 0
    for span in sorted(scanned.spans, key=lambda s: s.start):
        found += _code(text, at, span.start, base)
        found += _span_tokens(text, span, base)
        at = span.end
    found += _code(text, at, len(text), base)
    return found


def _code(text: str, start: int, end: int, base: int) -> list[Token]:
    tokens = []
    for m in _CODE_TOKEN.finditer(text, start, end):
        word = m.group(0)
        kind = "word" if word[0].isalpha() or word[0] == "_" else "code"
        tokens.append(Token(kind, word.upper() if kind == "word" else word, base + m.start()))
    return tokens


def _span_tokens(text: str, span: Span, base: int) -> list[Token]:
    if span.kind == "comment":
        return []
    if span.kind != "dollar":
        return [Token(span.kind, text[span.start : span.end], base + span.start)]
    body_start = text.index("$", span.start + 1) + 1  # past the opening $tag$
    tag = text[span.start : body_start]
    closed = span.end - len(tag) >= body_start and text.endswith(tag, body_start, span.end)
    body = text[body_start : span.end - len(tag) if closed else span.end]
    return _tokens(body, scan_postgres(body), base + body_start)


# ---- rules -------------------------------------------------------------------------------
Hit = tuple[Token, Kind, str]

_DROP_OBJECTS = {
    *("TABLE", "COLUMN", "INDEX", "VIEW", "CONSTRAINT", "SCHEMA", "DATABASE", "SEQUENCE"),
    *("FUNCTION", "PROCEDURE", "TRIGGER", "TYPE", "DOMAIN", "DEFAULT", "KEY", "CHECK"),
    *("PARTITION", "EVENT", "EXTENSION", "RULE", "POLICY", "ROLE", "USER", "IDENTITY"),
    *("EXPRESSION", "MATERIALIZED", "PRIMARY", "FOREIGN", "UNIQUE", "ATTRIBUTE", "VALUE"),
    *("TEMPORARY", "AGGREGATE", "OPERATOR", "COLLATION", "STATISTICS", "TABLESPACE"),
}
_TWO_WORD_OBJECTS = {"MATERIALIZED", "PRIMARY", "FOREIGN"}
_RENAME_OBJECTS = {"TABLE", "COLUMN", "INDEX", "KEY", "CONSTRAINT", "VALUE", "ATTRIBUTE", "TO"}
_ALTER_TABLE_PREFIX = {"ONLINE", "IGNORE"}  # MySQL: ALTER [ONLINE] [IGNORE] TABLE
_NOT_A_COLUMN = {
    *("CONSTRAINT", "INDEX", "KEY", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "FULLTEXT"),
    *("SPATIAL", "PARTITION", "EXCLUDE", "PERIOD", "SYSTEM", "VECTOR"),
}
# A NOT NULL column needs no DEFAULT when the database fills it.
_FILLED = {"DEFAULT", "GENERATED", "AUTO_INCREMENT", "IDENTITY", "AS", "SERIAL", "BIGSERIAL"}
_FILLED |= {"SMALLSERIAL", "SERIAL2", "SERIAL4", "SERIAL8"}


def _rules(tokens: Sequence[Token]) -> Iterator[Hit]:
    for i, token in enumerate(tokens):
        if token.kind != "word":
            continue
        after = tokens[i + 1 :]
        if token.text == "DROP" and not _starts(after, "NOT", "NULL"):
            yield token, Kind.DROP, _drop_what(after)
        elif token.text == "RENAME":
            yield token, Kind.RENAME, _rename_what(after)
        elif token.text == "SET" and _starts(after, "SCHEMA"):
            yield token, Kind.RENAME, "SET SCHEMA (moves the object)"
        elif token.text == "SET" and _starts(after, "NOT", "NULL"):
            yield token, Kind.SET_NOT_NULL, "SET NOT NULL"
        elif token.text == "TRUNCATE" and not (after and after[0].text in ("(", ",", "ON")):
            yield token, Kind.TRUNCATE, "TRUNCATE"
        elif token.text == "DELETE" and _deletes_all(after):
            yield token, Kind.DELETE_WITHOUT_WHERE, "DELETE without WHERE"
        elif token.text == "ALTER" and _alters_type(after):
            yield token, Kind.TYPE_CHANGE, "ALTER COLUMN ... TYPE"
        elif token.text == "ALTER" and (actions := _alter_table_actions(after)) is not None:
            for action in actions:
                yield from _action_rules(action)
        elif _dynamic(token, after):
            yield token, Kind.DYNAMIC_SQL, f"{token.text}: dynamic SQL cannot be checked"


def _starts(tokens: Sequence[Token], *words: str) -> bool:
    return len(tokens) >= len(words) and all(t.word(w) for t, w in zip(tokens, words, strict=False))


def _drop_what(after: Sequence[Token]) -> str:
    if not after or not after[0].word(*_DROP_OBJECTS):
        return "DROP COLUMN"  # MySQL's ALTER TABLE t DROP c (and DROP IF EXISTS c)
    if after[0].text in _TWO_WORD_OBJECTS and len(after) > 1 and after[1].kind == "word":
        return f"DROP {after[0].text} {after[1].text}"
    return f"DROP {after[0].text}"


def _rename_what(after: Sequence[Token]) -> str:
    if after and after[0].word(*_RENAME_OBJECTS):
        return f"RENAME {after[0].text}"
    return "RENAME COLUMN"  # PostgreSQL's RENAME [COLUMN] a TO b


def _alters_type(after: Sequence[Token]) -> bool:
    """PostgreSQL: ALTER [COLUMN] name [SET DATA] TYPE t."""
    rest = after[1:] if _starts(after, "COLUMN") else after
    if not rest or not rest[0].name() or rest[0].word("TABLE"):
        return False
    return _starts(rest[1:], "TYPE") or _starts(rest[1:], "SET", "DATA", "TYPE")


def _deletes_all(after: Sequence[Token]) -> bool:
    """A DELETE statement (not ON DELETE, BEFORE DELETE, GRANT DELETE) with no WHERE of its own."""
    i = 0
    while i < len(after) and after[i].word("LOW_PRIORITY", "QUICK", "IGNORE"):
        i += 1
    if not _starts(after[i:], "FROM"):
        i = _after_table_list(after, i)  # MySQL: DELETE t1, t2 FROM ...
        if i < 0:
            return False
    depth = 0
    for token in after[i:]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
            if depth < 0:
                return True  # the end of a CTE or subquery: no WHERE inside it
        elif depth == 0 and token.text == ";":
            return True
        elif depth == 0 and token.word("WHERE"):
            return False
    return True


def _after_table_list(after: Sequence[Token], i: int) -> int:
    """The index of FROM after ``t1[.*], db.t2, ...``, or -1 when that is not what follows."""
    while i < len(after) and after[i].name():
        i += 1
        while (
            i + 1 < len(after)
            and after[i].text == "."
            and (after[i + 1].name() or after[i + 1].text == "*")
        ):
            i += 2
        if i < len(after) and after[i].word("FROM"):
            return i
        if i < len(after) and after[i].text == ",":
            i += 1
            continue
        return -1
    return -1


def _alter_table_actions(after: Sequence[Token]) -> list[list[Token]] | None:
    """The comma-separated actions of ``ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] [ONLY] name``."""
    i = 0
    while i < len(after) and after[i].word(*_ALTER_TABLE_PREFIX):
        i += 1
    if not _starts(after[i:], "TABLE"):
        return None
    i += 1
    if _starts(after[i:], "IF", "EXISTS"):
        i += 2
    if _starts(after[i:], "ONLY"):
        i += 1
    i += 1  # the table's name
    while i + 1 < len(after) and after[i].text == "." and after[i + 1].name():
        i += 2
    if i < len(after) and after[i].text == "*":
        i += 1
    actions: list[list[Token]] = [[]]
    depth = 0
    for token in after[i:]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
            if depth < 0:
                break
        elif depth == 0 and token.text == ";":
            break
        elif depth == 0 and token.text == ",":
            actions.append([])
            continue
        actions[-1].append(token)
    return [a for a in actions if a]


def _action_rules(action: list[Token]) -> Iterator[Hit]:
    head = action[0]
    if head.word("MODIFY", "CHANGE"):
        yield head, Kind.TYPE_CHANGE, f"{head.text} COLUMN (MySQL type change)"
    elif head.word("CONVERT"):
        yield head, Kind.TYPE_CHANGE, "CONVERT TO CHARACTER SET (changes column types)"
    elif head.word("ADD"):
        for column in _added_columns(action[1:]):
            if hit := _not_null_without_default(column):
                yield hit


def _added_columns(rest: list[Token]) -> list[list[Token]]:
    explicit = _starts(rest, "COLUMN")
    if explicit:
        rest = rest[1:]
    if _starts(rest, "IF", "NOT", "EXISTS"):
        rest = rest[3:]
    if rest and rest[0].text == "(":  # MySQL: ADD (a INT, b INT NOT NULL)
        return _split_top(rest[1:])
    if not rest or (not explicit and rest[0].word(*_NOT_A_COLUMN)):
        return []
    return [rest]


def _split_top(tokens: list[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
            if depth < 0:
                break
        elif depth == 0 and token.text == ",":
            parts.append([])
            continue
        parts[-1].append(token)
    return [p for p in parts if p and not p[0].word(*_NOT_A_COLUMN)]


def _not_null_without_default(column: list[Token]) -> Hit | None:
    depth, required, filled = 0, None, False
    for i, token in enumerate(column):
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif depth == 0 and token.word(*_FILLED):
            filled = True
        elif depth == 0 and required is None and _requires_value(column[i:]):
            required = token
    if required is None or filled:
        return None
    return required, Kind.NOT_NULL_WITHOUT_DEFAULT, "ADD COLUMN ... NOT NULL without DEFAULT"


def _requires_value(tokens: Sequence[Token]) -> bool:
    return _starts(tokens, "NOT", "NULL") or _starts(tokens, "PRIMARY", "KEY")


def _dynamic(token: Token, after: Sequence[Token]) -> bool:
    """EXECUTE 'sql' / EXECUTE format(...) / PREPARE s FROM ...: the SQL is not in the script.
    EXECUTE FUNCTION (triggers) and GRANT EXECUTE ON are not dynamic."""
    if token.text == "EXECUTE":
        return not (
            after and (after[0].word("FUNCTION", "PROCEDURE", "ON") or after[0].text == ",")
        )
    return token.text == "PREPARE" and len(after) > 1 and after[1].word("FROM")
