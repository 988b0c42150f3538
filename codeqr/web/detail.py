"""What a QR Code's detail page adds to the QR Code itself: the sizes it prints at and
how many of its scans bots made (its counter counts them, its analytics do not)."""

from ..analytics import queries
from ..analytics.limits import ReadLimits
from ..analytics.schemas import AnalyticsQuery
from ..context import the_app
from ..errors import CodeQRError
from ..state import app_state

#: Physical sizes the detail page prints a QR Code at, in centimetres; the first is the default.
PRINT_SIZES_CM = (5, 3, 4, 8, 10, 15)


def bot_scans(qr) -> int | None:
    """How many of a QR Code's scans bots and scripts made, all time: counted by its
    scan counter, left out of its analytics. None when the analytics cannot say in time."""
    if not qr.scans:
        return 0
    limits = ReadLimits.from_config(the_app().config)

    def counted(bots: str) -> int:
        query = AnalyticsQuery.model_validate({"interval": "all", "qrcodeId": qr.id, "bots": bots})
        return queries.analytics(query, limits, app_state().agents)["scans"]

    try:
        return max(counted("include") - counted("exclude"), 0)
    except CodeQRError:
        return None
