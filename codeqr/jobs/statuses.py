"""A job's statuses (imports, exports, plugins' kinds), and how people read them."""

from enum import StrEnum


class JobStatus(StrEnum):
    """Stored as its value; a job goes from queued to running to done or failed, and
    an export's file, once removed, to expired."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        """The status as people read it."""
        return _LABELS[self]


_LABELS = {JobStatus.QUEUED: "waiting to start", JobStatus.RUNNING: "in progress", JobStatus.DONE: "finished",
           JobStatus.FAILED: "failed", JobStatus.EXPIRED: "expired"}
