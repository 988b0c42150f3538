"""Unbound Flask extensions, bound to an app in the factory."""

from flask_alembic import Alembic
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by the core and by plugins' models."""


db = SQLAlchemy(model_class=Base)
alembic = Alembic(run_mkdir=False)
csrf = CSRFProtect()
login_manager = LoginManager()
