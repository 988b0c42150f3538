"""Analytics by how QR Codes are organised (issue 24): the ``tagIds``, ``folderId`` and
``archived`` filters and ``groupBy=tags|folders``, from waiting scans, from events and from
the rollups (kept by QR Code: tags and folders are joined when asked). Counts written by hand."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete

from api_client import authorized_client
from codeqr import db
from codeqr.accounts import apikeys
from codeqr.context import for_operator
from codeqr.domain.models import Tag
from codeqr.persistence.database import begin_write
from codeqr.scans.counter import VISIT_COLUMNS
from codeqr.scans.models import ScanEvent
from folder_people import folder, key_of, organise

#: Scans in whole days and a whole week (2026-03-02 is a Monday), and one in the frame's first edge.
FRAME = {"start": "2026-03-01T12:00:00Z", "end": "2026-03-10T00:00:00Z"}
EDGE, MONDAY, THURSDAY = (datetime(2026, 3, 1, 18, tzinfo=UTC), datetime(2026, 3, 2, 9, tzinfo=UTC),
                          datetime(2026, 3, 5, 9, tzinfo=UTC))


def _record(app, key: str, moments: list[datetime], visitor: str = "x"):
    """Store scans at chosen times through the redirect's own counter."""
    state = app.extensions["codeqr"]
    with app.app_context():
        for moment in moments:
            visit = dict.fromkeys(VISIT_COLUMNS) | {"timestamp": moment, "user_agent": "Mozilla/5.0 Firefox/125.0",
                                                     "country": "DE", "visitor": visitor}
            assert state.scan_counter.scan("localhost", key, visit) is not None


def _enrich(app) -> None:
    from codeqr.scans.enrichment import enrich_pending

    with app.app_context():
        while enrich_pending(app, wait=True):
            pass


@pytest.fixture
def catalog(make_app):
    """Five QR Codes, scanned by hand-counted amounts:

    ====  =============  =======  ========  =====================
    code  tags           folder   archived  scans (visitor)
    ====  =============  =======  ========  =====================
    a     Shop           Flyers   no        3 (x)
    b     Shop, Summer   none     no        2 (x)
    c     none           Flyers   yes       4 (x)
    d     none           none     no        1 (y)
    e     Summer         none     no        5 (x), then deleted
    ====  =============  =======  ========  =====================
    """
    app = make_app()
    with app.app_context():
        app.secret = apikeys.create("organise", ctx=for_operator())[1]
        shop, summer = Tag(name="Shop", color="green"), Tag(name="Summer", color="red")
        db.session.add_all([shop, summer])
        db.session.commit()
        app.test_tags = {"shop": shop.id, "summer": summer.id}
        app.flyers = folder("Flyers", "write")
    api = authorized_client(app, app.secret)
    made = {}
    for name, body in {"a": {"tagIds": [app.test_tags["shop"]], "folderId": app.flyers},
                       "b": {"tagIds": [app.test_tags["shop"], app.test_tags["summer"]]},
                       "c": {"folderId": app.flyers, "archived": True}, "d": {},
                       "e": {"tagIds": [app.test_tags["summer"]]}}.items():
        answer = api.post("/api/qrcodes", json={"url": f"https://example.com/{name}", "key": name, **body})
        assert answer.status_code == 201, answer.json
        made[name] = answer.json
    _record(app, "a", [EDGE, MONDAY, THURSDAY])
    _record(app, "b", [MONDAY, THURSDAY])
    _record(app, "c", [EDGE, MONDAY, MONDAY, THURSDAY])
    _record(app, "d", [THURSDAY], visitor="y")
    _record(app, "e", [MONDAY] * 5)
    assert api.delete(f"/api/qrcodes/{made['e']['id']}").status_code == 200
    app.test_api, app.made = api, made
    return app


def _ask(app, **params):
    answer = app.test_api.get("/api/analytics", query_string={**FRAME, **params})
    assert answer.status_code == 200, answer.json
    return answer.json


def _answers(app) -> dict:
    shop, summer, flyers = app.test_tags["shop"], app.test_tags["summer"], app.flyers
    return {
        "all": _ask(app),
        "shop": _ask(app, tagIds=shop),
        "summer": _ask(app, tagIds=summer),
        "either": _ask(app, tagIds=f"{summer},{shop}"),
        "flyers": _ask(app, folderId=flyers),
        "archived": _ask(app, archived="true"),
        "kept": _ask(app, archived="false"),
        "flyers kept": _ask(app, folderId=flyers, archived="false"),
        "by folder": _ask(app, groupBy="folders"),
        "by tag": _ask(app, groupBy="tags"),
        "flyers by tag": _ask(app, groupBy="tags", folderId=flyers),
        "summer by folder": _ask(app, groupBy="folders", tagIds=summer),
        "visitors by folder": _ask(app, groupBy="folders", unique="true"),
        "visitors by tag": _ask(app, groupBy="tags", unique="true"),
        "shop series": sum(point["scans"] for point in _ask(app, groupBy="timeseries", tagIds=shop)),
    }


def _expected(app) -> dict:
    shop = {"tagId": app.test_tags["shop"], "name": "Shop", "color": "green"}
    summer = {"tagId": app.test_tags["summer"], "name": "Summer", "color": "red"}
    untagged = {"tagId": None, "name": None, "color": None}
    flyers, unfiled = {"folderId": app.flyers, "name": "Flyers"}, {"folderId": None, "name": None}
    return {
        "all": {"scans": 15},  # every scan, the deleted code's 5 too
        "shop": {"scans": 5},  # a 3 + b 2
        "summer": {"scans": 2},  # b; e is gone
        "either": {"scans": 5},  # a, b (once)
        "flyers": {"scans": 7},  # a 3 + c 4
        "archived": {"scans": 4},  # c
        "kept": {"scans": 6},  # a 3 + b 2 + d 1
        "flyers kept": {"scans": 3},  # a
        # The deleted code's scans are in no folder and carry no tag: left out.
        "by folder": [{**flyers, "scans": 7}, {**unfiled, "scans": 3}],
        # A tie: a known value before the unknown one.
        "by tag": [{**shop, "scans": 5}, {**untagged, "scans": 5}, {**summer, "scans": 2}],
        "flyers by tag": [{**untagged, "scans": 4}, {**shop, "scans": 3}],
        "summer by folder": [{**unfiled, "scans": 2}],
        # Visitor x scanned a, b and c; y scanned d.
        "visitors by folder": [{**unfiled, "visitors": 2}, {**flyers, "visitors": 1}],
        "visitors by tag": [{**untagged, "visitors": 2}, {**shop, "visitors": 1}, {**summer, "visitors": 1}],
        "shop series": 5,
    }


def test_filters_and_groups_by_tag_and_folder_count_as_written_by_hand(catalog):
    expected = _expected(catalog)
    assert _answers(catalog) == expected  # waiting scans
    _enrich(catalog)
    assert _answers(catalog) == expected  # events and rollups
    # Answers over every QR Code read the whole days and weeks from the rollups: without the
    # events of those days, the same.
    with catalog.app_context():
        with begin_write():
            db.session.execute(delete(ScanEvent).where(ScanEvent.timestamp >= datetime(2026, 3, 2, tzinfo=UTC)))
    assert _ask(catalog) == expected["all"]
    assert _ask(catalog, groupBy="folders") == expected["by folder"]
    assert _ask(catalog, groupBy="tags") == expected["by tag"]


def test_a_tag_or_folder_changed_since_counts_the_scans_where_the_code_is_now(catalog):
    d = catalog.made["d"]
    assert catalog.test_api.patch(f"/api/qrcodes/{d['id']}", json={"folderId": catalog.flyers,
                                                              "tagIds": [catalog.test_tags["summer"]]}).status_code == 200
    _enrich(catalog)
    assert _ask(catalog, folderId=catalog.flyers) == {"scans": 8}
    assert _ask(catalog, groupBy="folders") == [{"folderId": catalog.flyers, "name": "Flyers", "scans": 8},
                                                {"folderId": None, "name": None, "scans": 2}]
    assert _ask(catalog, tagIds=catalog.test_tags["summer"]) == {"scans": 3}


def test_a_member_counts_by_folder_only_the_folders_they_see(make_app):
    app = make_app(CODEQR_PROXY_FIX=1)
    org = organise(app)
    for name, times in {"free": 1, "hidden": 4, "readonly": 2, "shared": 3}.items():
        _record(app, name, [MONDAY] * times)
    frame = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-03T00:00:00Z"}
    member = authorized_client(app, key_of(app, org, "member"))
    insider = authorized_client(app, key_of(app, org, "insider"))

    def folders(client, **params) -> dict:
        answer = client.get("/api/analytics", query_string={**frame, "groupBy": "folders", **params}).json
        return {item["name"]: item["scans"] for item in answer}

    assert folders(member) == {"Readable": 2, "Open": 3, None: 1}
    assert folders(insider) == {"Private": 4, "Open": 3, "Readable": 2, None: 1}
    hidden = {"folderId": org.folders["private"]}
    assert member.get("/api/analytics", query_string={**frame, **hidden}).json == {"scans": 0}
    assert insider.get("/api/analytics", query_string={**frame, **hidden}).json == {"scans": 4}


@pytest.mark.parametrize("params", [{"tagIds": "shop"}, {"tagIds": "c" + "0" * 24 + ","}, {"folderId": "x"},
                                    {"archived": "perhaps"}, {"groupBy": "tag"}])
def test_bad_organising_filters_are_a_422_naming_the_parameter(catalog, params):
    answer = catalog.test_api.get("/api/analytics", query_string=params)
    assert answer.status_code == 422
    assert next(iter(params)) in str(answer.json)
