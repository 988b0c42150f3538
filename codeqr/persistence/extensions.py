"""Unbound Flask extensions, bound to an app in the factory."""

import logging
from typing import TYPE_CHECKING

from flask_alembic import Alembic
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by the core and by plugins' models."""


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    Model = Base  # what db.Model is, for type checkers: Flask-SQLAlchemy builds it at run time
else:
    Model = db.Model
alembic = Alembic(run_mkdir=False)
# Flask-Alembic shows every migration at INFO on stderr: a dozen lines before a first
# command says anything. upgrade_schema says in one line what it did instead.
logging.getLogger("alembic").setLevel(logging.WARNING)
csrf = CSRFProtect()
login_manager = LoginManager()


def table_of(model: type[Base]) -> Table:
    """The Table of a model declared with columns (typed as any FromClause by SQLAlchemy)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
