"""Shared helpers for the migrate integration tests: random databases and script folders."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pymysql

from ecomctl.migrate import DatabaseUrl, MigrateSettings, parse_url


def new_database(admin_url: str) -> DatabaseUrl:
    """A fresh, randomly named database on the server behind admin_url (no cleanup needed)."""
    admin = parse_url(admin_url)
    name = "mig_" + uuid.uuid4().hex[:12]
    if admin.dialect == "postgresql":
        with psycopg.connect(
            host=admin.host,
            port=admin.port,
            user=admin.user,
            password=admin.password or None,
            dbname=admin.database,
            autocommit=True,
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
    else:
        conn = pymysql.connect(
            host=admin.host,
            port=admin.port,
            user=admin.user,
            password=admin.password,
            autocommit=True,
        )
        try:
            conn.cursor().execute(f"CREATE DATABASE {name}")
        finally:
            conn.close()
    return admin.with_database(name)


def rows(url: DatabaseUrl, sql: str) -> list[tuple[object, ...]]:
    if url.dialect == "postgresql":
        with psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.user,
            password=url.password or None,
            dbname=url.database,
        ) as conn:
            return list(conn.execute(sql.encode()).fetchall())
    conn = pymysql.connect(
        host=url.host, port=url.port, user=url.user, password=url.password, database=url.database
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        conn.close()


def execute(url: DatabaseUrl, sql: str) -> None:
    if url.dialect == "postgresql":
        with psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.user,
            password=url.password or None,
            dbname=url.database,
        ) as conn:
            conn.execute(sql.encode())
        return
    conn = pymysql.connect(
        host=url.host,
        port=url.port,
        user=url.user,
        password=url.password,
        database=url.database,
        autocommit=True,
    )
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def settings(url: DatabaseUrl, folder: Path, **options: object) -> MigrateSettings:
    return MigrateSettings(url=url, locations=(folder,), **options)  # type: ignore[arg-type]
