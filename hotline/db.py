"""Database engine and session factory: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Boolean, MetaData, create_engine, event, make_url
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # Connections kept open cover the calls a worker usually has in flight: past pool_size, each
    # call opens a connection (a new PostgreSQL backend) and closes it afterwards. At most 30 per
    # worker, as before; docs/deploy.md sizes max_connections from it.
    # A database host that stops answering fails a request in seconds, not after the system's
    # TCP timeout of minutes (a connect_timeout in the URL wins).
    connect_args = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": 10}
    return create_engine(
        url, pool_size=20, max_overflow=10, pool_pre_ping=True, connect_args=connect_args
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def upsert_insert(bind: Engine | Connection) -> Any:
    """The INSERT construct with ``on_conflict_do_…`` of the database in use (the two
    databases spell ON CONFLICT alike, but SQLAlchemy has one construct per dialect)."""
    return pg_insert if bind.dialect.name == "postgresql" else sqlite_insert


class json_list_holds(FunctionElement[bool]):  # lower case: used like a SQL function
    """``json_list_holds(column, value)``: the JSON list in ``column`` holds ``value``, in the
    SQL of the database in use (SQLite's json_each, PostgreSQL's jsonb containment)."""

    type = Boolean()
    inherit_cache = True
    name = "json_list_holds"


@compiles(json_list_holds, "sqlite")
def _json_list_holds_sqlite(element: json_list_holds, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = {value})"


@compiles(json_list_holds, "postgresql")
def _json_list_holds_postgresql(element: json_list_holds, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST({column} AS JSONB) @> jsonb_build_array(CAST({value} AS TEXT)))"
