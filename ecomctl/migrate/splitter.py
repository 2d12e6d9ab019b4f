"""Splitting a script into the statements a driver can run one at a time.

Drivers run one statement per call, so a script is cut at each delimiter that
is real SQL: not inside a string, a quoted identifier, a comment, a
PostgreSQL dollar-quoted body or a compound-statement block. MySQL scripts may
change the delimiter with the client command ``DELIMITER``, as the mysql
client and Flyway allow. A statement keeps its line number for error messages.

`scan_postgres`/`scan_mysql` also return what the walk stepped over (comments,
strings, quoted identifiers, dollar-quoted bodies), so other readers of a script
(`destructive`) see the same code the database will.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DELIMITER_CMD = re.compile(r"[ \t]*DELIMITER[ \t]+(\S+)[^\n]*(\n|$)", re.IGNORECASE)
_MYSQL_ROUTINE = re.compile(
    r"^\s*CREATE\b.*?\b(PROCEDURE|FUNCTION|TRIGGER|EVENT)\b", re.IGNORECASE | re.DOTALL
)
_MYSQL_BLOCK_ENDERS = {"IF", "LOOP", "WHILE", "REPEAT", "CASE"}


@dataclass(frozen=True)
class Statement:
    sql: str
    line: int  # 1-based line of the statement's first character
    start: int = 0  # offset of the statement's first character in the script


@dataclass(frozen=True)
class Span:
    """A stretch of the script that is not code: a comment, a string, a quoted name."""

    start: int
    end: int
    kind: str  # "comment" | "string" | "ident" | "dollar" (a PostgreSQL $tag$ body, tags included)


@dataclass(frozen=True)
class Scanned:
    statements: list[Statement]
    spans: list[Span]


class _Scanner:
    """Shared walk over the text; dialects add their quoting and block rules."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.code_start: int | None = None  # first non-comment char of the statement
        self.block_depth = 0
        self.delimiter = ";"
        self.statements: list[Statement] = []
        self.spans: list[Span] = []

    def skipped(self, start: int, end: int, kind: str) -> int:
        """Records a stretch that is not code and returns where the walk goes on."""
        self.spans.append(Span(start, end, kind))
        return end

    def mark_code(self, at: int) -> None:
        if self.code_start is None:
            self.code_start = at

    def emit(self, end: int) -> None:
        if self.code_start is not None:
            sql = self.text[self.code_start : end].strip()
            if sql:
                line = self.text.count("\n", 0, self.code_start) + 1
                self.statements.append(Statement(sql, line, self.code_start))
        self.code_start = None
        self.block_depth = 0

    def skip_line(self, at: int) -> int:
        end = self.text.find("\n", at)
        return len(self.text) if end < 0 else end + 1

    def skip_quoted(self, at: int, quote: str, *, backslash: bool) -> int:
        """Index just past the closing quote; doubled quotes stay inside."""
        i = at + 1
        text = self.text
        while i < len(text):
            ch = text[i]
            if backslash and ch == "\\":
                i += 2
                continue
            if ch == quote:
                if i + 1 < len(text) and text[i + 1] == quote:
                    i += 2
                    continue
                return i + 1
            i += 1
        return len(text)

    def skip_block_comment(self, at: int, *, nested: bool) -> int:
        depth, i, text = 1, at + 2, self.text
        while i < len(text) and depth:
            if nested and text.startswith("/*", i):
                depth, i = depth + 1, i + 2
            elif text.startswith("*/", i):
                depth, i = depth - 1, i + 2
            else:
                i += 1
        return i


class _PostgresScanner(_Scanner):
    def run(self) -> list[Statement]:
        text, n = self.text, len(self.text)
        i = 0
        while i < n:
            ch = text[i]
            if ch.isspace():
                i += 1
            elif text.startswith("--", i):
                i = self.skipped(i, self.skip_line(i), "comment")
            elif text.startswith("/*", i):
                i = self.skipped(i, self.skip_block_comment(i, nested=True), "comment")
            elif ch == "'":
                self.mark_code(i)
                escape = i > 0 and text[i - 1] in "eE" and not _ident_char(text, i - 2)
                i = self.skipped(i, self.skip_quoted(i, "'", backslash=escape), "string")
            elif ch == '"':
                self.mark_code(i)
                i = self.skipped(i, self.skip_quoted(i, '"', backslash=False), "ident")
            elif ch == "$" and not _ident_char(text, i - 1) and (m := _DOLLAR_TAG.match(text, i)):
                self.mark_code(i)
                close = text.find(m.group(0), m.end())
                i = self.skipped(i, n if close < 0 else close + len(m.group(0)), "dollar")
            elif ch == ";" and self.block_depth == 0:
                self.emit(i)
                i += 1
            elif (m := _WORD.match(text, i)) and not _ident_char(text, i - 1):
                self.mark_code(i)
                self._word(m.group(0).upper(), m.end())
                i = m.end()
            else:
                self.mark_code(i)
                i += 1
        self.emit(n)
        return self.statements

    def _word(self, word: str, end: int) -> None:
        """SQL-standard bodies (``BEGIN ATOMIC ... END``) contain semicolons."""
        if word == "BEGIN":
            following = _WORD.match(self.text, _skip_space(self.text, end))
            if following and following.group(0).upper() == "ATOMIC":
                self.block_depth += 1
        elif self.block_depth and word == "CASE":
            self.block_depth += 1
        elif self.block_depth and word == "END":
            self.block_depth -= 1


class _MySQLScanner(_Scanner):
    def run(self) -> list[Statement]:
        text, n = self.text, len(self.text)
        i = 0
        while i < n:
            ch = text[i]
            if self.code_start is None and _at_line_start(text, i):
                cmd = _DELIMITER_CMD.match(text, i)
                if cmd:
                    self.delimiter = cmd.group(1)
                    i = cmd.end()
                    continue
            if ch.isspace():
                i += 1
            elif ch == "#" or (text.startswith("--", i) and (i + 2 >= n or text[i + 2].isspace())):
                i = self.skipped(i, self.skip_line(i), "comment")
            elif text.startswith("/*", i) and not text.startswith(("/*!", "/*+"), i):
                i = self.skipped(i, self.skip_block_comment(i, nested=False), "comment")
            elif text.startswith(self.delimiter, i) and self.block_depth == 0:
                self.emit(i)
                i += len(self.delimiter)
            elif ch in "'\"`":
                self.mark_code(i)
                end = self.skip_quoted(i, ch, backslash=ch != "`")
                i = self.skipped(i, end, "ident" if ch == "`" else "string")
            elif (m := _WORD.match(text, i)) and not _ident_char(text, i - 1):
                self.mark_code(i)
                i = self._word(m.group(0).upper(), m.end())
            else:
                self.mark_code(i)
                i += 1
        self.emit(n)
        return self.statements

    def _word(self, word: str, end: int) -> int:
        """Routines written without DELIMITER: track BEGIN ... END blocks."""
        if self.delimiter != ";":
            return end
        if word == "BEGIN" and self.code_start is not None:
            head = self.text[self.code_start : end]
            if self.block_depth or _MYSQL_ROUTINE.match(head):
                self.block_depth += 1
        elif word == "CASE" and self.block_depth:
            self.block_depth += 1
        elif word == "END" and self.block_depth:
            following = _WORD.match(self.text, _skip_space(self.text, end))
            closer = following.group(0).upper() if following else ""
            if closer in _MYSQL_BLOCK_ENDERS and following is not None:
                if closer == "CASE":  # END CASE closes a counted CASE
                    self.block_depth -= 1
                return following.end()  # END IF/LOOP/...: its opener was never counted
            self.block_depth -= 1
        return end


def _ident_char(text: str, at: int) -> bool:
    return at >= 0 and (text[at].isalnum() or text[at] in "_$")


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _at_line_start(text: str, at: int) -> bool:
    line_start = text.rfind("\n", 0, at) + 1
    return not text[line_start:at].strip()


def split_postgres(script: str) -> list[Statement]:
    return _PostgresScanner(script).run()


def split_mysql(script: str) -> list[Statement]:
    return _MySQLScanner(script).run()


def scan_postgres(script: str) -> Scanned:
    scanner = _PostgresScanner(script)
    return Scanned(scanner.run(), scanner.spans)


def scan_mysql(script: str) -> Scanned:
    scanner = _MySQLScanner(script)
    return Scanned(scanner.run(), scanner.spans)
