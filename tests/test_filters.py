"""The list's and the count's filters, sorts and groupBy (``domain.filters``): each against an
oracle worked out in Python over the codes the API answers (hand-written predicates, never the
same SQL), on ~60 varied codes; folder access; and the plan of each filter and sort, from an index."""

import collections
import itertools
import random
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from api_client import authorized_client
from clock import Clock
from codeqr import db
from codeqr.accounts import apikeys
from codeqr.accounts.permissions import Actor, Role
from codeqr.context import for_operator
from codeqr.domain.filters import SORTS, Filters, ListQuery, conditions, order_of
from codeqr.domain.models import Folder, FolderUser, QRCode, User

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TAGS = ("Summer", "shop", "Print", "fair", "Flyer")
UTM = {"utm_source": ("news", "flyer"), "utm_medium": ("print", "mail"), "utm_campaign": ("spring", "sale"),
       "utm_term": ("shoes",), "utm_content": ("a", "b")}
WORDS = ("sale", "menu", "poster", "table", "door")


class Catalog:
    """Sixty codes made through the API by three keys (the machine's, an admin's and a member's),
    at moments the test clock sets, in four folders, then scanned by hand in the database."""

    def __init__(self, make_app):
        self.clock = Clock()
        self.app = make_app(clock=self.clock)
        with self.app.app_context():
            admin = User(email="admin@example.org", password_hash="x", role=Role.ADMIN.value)
            member = User(email="member@example.org", password_hash="x", role=Role.MEMBER.value)
            db.session.add_all([admin, member])
            db.session.flush()
            self.admin_id, self.member_id = admin.id, member.id
            self.folders = {}
            for name, level, users in (("open", "write", ()), ("readable", "read", ()),
                                       ("shared", None, (member.id,)), ("private", None, ())):
                folder = Folder(name=name, access_level=level)
                db.session.add(folder)
                db.session.flush()
                db.session.add_all(FolderUser(folder_id=folder.id, user_id=user) for user in users)
                self.folders[name] = folder.id
            db.session.commit()
            self.api = authorized_client(self.app, apikeys.create("machine", ctx=for_operator())[1])
            admins = authorized_client(self.app, apikeys.create("admin", admin, ctx=for_operator())[1])
            self.member = authorized_client(self.app, apikeys.create("member", member, ctx=for_operator())[1])
        self._make(random.Random(24), admins)
        self.codes = self.read_all(self.api, showArchived="true")
        assert len(self.codes) == 60

    def _make(self, chance: random.Random, admins) -> None:
        self.moments = []
        for number in range(60):
            moment = START + timedelta(hours=number, minutes=chance.randrange(60))
            self.clock.set(moment)
            self.moments.append(moment)
            maker = (self.api, admins, self.member)[number % 3]
            response = maker.post("/api/qrcodes", json=self._body(number, chance, maker is self.member))
            assert response.status_code == 201, response.json
        with self.app.app_context():  # scans, as the counter writes them
            for index, qr in enumerate(db.session.scalars(select(QRCode).order_by(QRCode.created_at))):
                if index % 4:
                    qr.scans = chance.randrange(1, 60)
                    qr.last_scanned_at = START + timedelta(days=3, hours=chance.randrange(100))
            db.session.commit()
        self.clock.set(START + timedelta(days=10))
        for code in self.read_all(self.api)[::7]:  # some changed later: updatedAt moves
            self.clock.advance(minutes=13)
            assert self.api.patch(f"/api/qrcodes/{code['id']}", json={"title": f"Changed {code['key']}"}).status_code == 200

    def _body(self, number: int, chance: random.Random, by_member: bool) -> dict:
        word = WORDS[number % len(WORDS)]
        body: dict = {"title": chance.choice([None, f"{word.title()} {number}", f"zz {number}", f"A{number}"]),
                      "comments": chance.choice([None, None, "", f"for the {word} campaign", "Note"]),
                      "archived": chance.random() < 0.2, "useAsTemplate": chance.random() < 0.1,
                      "tagNames": chance.sample(TAGS, chance.choice([0, 0, 1, 2, 3]))}
        if number % 9 == 4:
            body |= {"type": "text", "text": f"plain text {number}"}
        else:
            body["url"] = f"https://shop{number % 4}.example/{word}/{number}"
        if number % 5 == 0:
            body["domain"] = "go.example.org"
        if number % 6 == 1:
            body["externalId"] = f"sku-{number}"
        folders = ["open", "shared", None, None] if by_member else ["open", "readable", "shared", "private", None]
        folder = chance.choice(folders)
        if folder:
            body["folderId"] = self.folders[folder]
        if body.get("type") == "text":  # a text takes no link options
            return body
        if chance.random() < 0.15:
            return body | {"static": True}
        if chance.random() < 0.3:
            body["expiresAt"] = (START + timedelta(days=chance.randrange(-40, 40), hours=chance.randrange(24))).isoformat()
        if chance.random() < 0.15:
            body["password"] = "open sesame"
        if chance.random() < 0.15:
            body["geo"] = {"DE": "https://example.de/"}
        if chance.random() < 0.15:
            body[chance.choice(["ios", "android"])] = "https://apps.example/"
        for name, values in UTM.items():
            if chance.random() < 0.2:
                body[name] = chance.choice(values)
        return body

    @staticmethod
    def read_all(client, **params) -> list[dict]:
        """Every code ``client`` lists with ``params``, page after page."""
        found, page = [], 1
        while True:
            answer = client.get("/api/qrcodes", query_string={"pageSize": 100, "page": page, **params})
            assert answer.status_code == 200, answer.json
            found += answer.json
            if len(answer.json) < 100:
                return found
            page += 1


@pytest.fixture
def catalog(make_app):
    return Catalog(make_app)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _content(code: dict) -> str:
    """What the url column holds: the destination, or what a text code encodes."""
    return code["url"] if code["type"] == "url" else code["text"]


def _cases(catalog: Catalog) -> list[tuple[dict, object]]:
    """(parameters, the predicate each code answered with showArchived=true must meet)."""
    codes = catalog.codes
    tag_ids = {tag["name"]: tag["id"] for code in codes for tag in code["tags"]}
    some = codes[17]
    middle = _when(codes[30]["createdAt"])
    expiry = sorted(code["expiresAt"] for code in codes if code["expiresAt"])[3]
    scanned = sorted(code["lastScannedAt"] for code in codes if code["lastScannedAt"])[10]
    folders = catalog.folders

    def tags(code):
        return {tag["name"] for tag in code["tags"]}

    def utm(code):
        return any(code[name] for name in UTM)

    cases = [
        ({"search": "SALE"}, lambda c: any("sale" in (v or "").lower() for v in (_content(c), c["title"], c["key"],
                                                                                   c["comments"]))),
        ({"search": "campaign"}, lambda c: "campaign" in (c["comments"] or "")),
        ({"domain": "GO.example.org"}, lambda c: c["domain"] == "go.example.org"),
        ({"key": some["key"]}, lambda c: c["key"] == some["key"]),
        ({"externalId": "sku-13"}, lambda c: c["externalId"] == "sku-13"),
        ({"tagId": tag_ids["shop"]}, lambda c: "shop" in tags(c)),
        ({"tagIds": f"{tag_ids['Print']},{tag_ids['fair']}"}, lambda c: bool(tags(c) & {"Print", "fair"})),
        ({"tagIds": [tag_ids["Print"], tag_ids["Flyer"]]}, lambda c: bool(tags(c) & {"Print", "Flyer"})),
        ({"tagNames": "SUMMER,flyer"}, lambda c: bool(tags(c) & {"Summer", "Flyer"})),
        ({"tagNames": ["print"], "withTags": "true"}, lambda c: "Print" in tags(c)),
        ({"folderId": folders["shared"]}, lambda c: c["folderId"] == folders["shared"]),
        ({"folderId": "unfiled"}, lambda c: c["folderId"] is None),
        ({"type": "text"}, lambda c: c["type"] == "text"),
        ({"static": "true"}, lambda c: c["static"]),
        ({"static": "false"}, lambda c: not c["static"]),
        ({"format": "static"}, lambda c: c["static"]),
        ({"format": "dynamic"}, lambda c: not c["static"]),
        ({"userId": catalog.member_id}, lambda c: c["userId"] == catalog.member_id),
        ({"createdAfter": codes[30]["createdAt"]}, lambda c: _when(c["createdAt"]) > middle),
        ({"createdBefore": middle.astimezone(timezone(timedelta(hours=-5))).isoformat()},
         lambda c: _when(c["createdAt"]) < middle),
        ({"createdAfter": "2027-03-01T14:00:00+02:00", "createdBefore": "2027-03-02T01:00:00Z"},
         lambda c: datetime(2027, 3, 1, 12, tzinfo=UTC) < _when(c["createdAt"]) < datetime(2027, 3, 2, 1, tzinfo=UTC)),
        ({"expiresAfter": expiry}, lambda c: c["expiresAt"] is not None and _when(c["expiresAt"]) > _when(expiry)),
        ({"expiresBefore": expiry}, lambda c: c["expiresAt"] is not None and _when(c["expiresAt"]) < _when(expiry)),
        ({"expiresBefore": "2027-03-01T00:00:00+05:00"},
         lambda c: c["expiresAt"] is not None and _when(c["expiresAt"]) < datetime(2027, 2, 28, 19, tzinfo=UTC)),
        ({"lastScannedBefore": scanned}, lambda c: c["lastScannedAt"] is None or c["lastScannedAt"] < scanned),
        ({"scansMin": 30}, lambda c: c["scans"] >= 30),
        ({"scansMax": 12}, lambda c: c["scans"] <= 12),
        ({"scansMin": 0, "scansMax": 0}, lambda c: c["scans"] == 0),
        ({"hasTags": "true"}, lambda c: bool(c["tags"])),
        ({"hasTags": "false"}, lambda c: not c["tags"]),
        ({"hasComments": "true"}, lambda c: bool(c["comments"])),
        ({"hasComments": "false"}, lambda c: not c["comments"]),
        ({"hasExpiration": "true"}, lambda c: c["expiresAt"] is not None),
        ({"hasExpiration": "false"}, lambda c: c["expiresAt"] is None),
        ({"hasPassword": "true"}, lambda c: c["hasPassword"]),
        ({"hasPassword": "false"}, lambda c: not c["hasPassword"]),
        ({"hasGeo": "true"}, lambda c: bool(c["geo"])),
        ({"hasGeo": "false"}, lambda c: not c["geo"]),
        ({"hasDevice": "true"}, lambda c: bool(c["ios"] or c["android"])),
        ({"hasDevice": "false"}, lambda c: not (c["ios"] or c["android"])),
        ({"hasUTM": "true"}, utm),
        ({"hasUTM": "false"}, lambda c: not utm(c)),
        ({"useAsTemplate": "true"}, lambda c: c["useAsTemplate"]),
        ({"useAsTemplate": "false"}, lambda c: not c["useAsTemplate"]),
        # several at once
        ({"hasTags": "true", "folderId": "unfiled", "scansMin": 1},
         lambda c: bool(c["tags"]) and c["folderId"] is None and c["scans"] >= 1),
        ({"tagNames": "shop,Fair", "hasUTM": "false", "format": "dynamic", "search": "shop"},
         lambda c: bool(tags(c) & {"shop", "fair"}) and not utm(c) and not c["static"]
         and "shop" in " ".join((_content(c), c["title"] or "", c["key"], c["comments"] or "")).lower()),
        ({"domain": "localhost", "type": "url", "hasComments": "false", "createdAfter": "2027-03-02T00:00:00Z"},
         lambda c: c["domain"] == "localhost" and c["type"] == "url" and not c["comments"]
         and _when(c["createdAt"]) > datetime(2027, 3, 2, tzinfo=UTC)),
        ({"hasExpiration": "true", "hasDevice": "false", "lastScannedBefore": scanned},
         lambda c: c["expiresAt"] is not None and not (c["ios"] or c["android"])
         and (c["lastScannedAt"] is None or c["lastScannedAt"] < scanned)),
    ]
    cases += [({name: values[0]}, lambda c, name=name, value=values[0]: c[name] == value) for name, values in UTM.items()]
    return cases


def test_each_filter_alone_and_combined_answers_what_the_oracle_finds(catalog):
    codes = catalog.codes
    assert sum(code["archived"] for code in codes) >= 5 and len({code["userId"] for code in codes}) == 3
    for params, wanted in _cases(catalog):
        expected = {code["id"] for code in codes if wanted(code)}
        hidden = {code["id"] for code in codes if wanted(code) and not code["archived"]}
        assert expected, f"the catalog meets no code for {params}: the case proves nothing"
        shown = {code["id"] for code in Catalog.read_all(catalog.api, showArchived="true", **params)}
        assert shown == expected, params
        assert {code["id"] for code in Catalog.read_all(catalog.api, **params)} == hidden, params  # archived hidden
        assert catalog.api.get("/api/qrcodes/count", query_string={"showArchived": "true", **params}).json == len(
            expected), params
        assert catalog.api.get("/api/qrcodes/count", query_string=params).json == len(hidden), params


def test_archived_codes_are_hidden_from_list_and_count_unless_asked(catalog):
    archived = {code["id"] for code in catalog.codes if code["archived"]}
    assert archived
    assert not archived & {code["id"] for code in Catalog.read_all(catalog.api)}
    assert catalog.api.get("/api/qrcodes/count").json == 60 - len(archived)
    assert catalog.api.get("/api/qrcodes/count?showArchived=false").json == 60 - len(archived)
    assert catalog.api.get("/api/qrcodes/count?showArchived=true").json == 60


def test_count_by_a_field_sums_to_the_count(catalog):
    for group_by, params in itertools.product(("domain", "folderId", "type", "userId"),
                                              ({}, {"showArchived": "true"}, {"hasTags": "true"})):
        answer = catalog.api.get("/api/qrcodes/count", query_string={"groupBy": group_by, **params}).json
        expected = collections.Counter(code[group_by] for code in catalog.read_all(catalog.api, **params))
        assert {group[group_by]: group["count"] for group in answer} == expected, (group_by, params)
        assert sum(group["count"] for group in answer) == catalog.api.get("/api/qrcodes/count", query_string=params).json
        assert [group["count"] for group in answer] == sorted((group["count"] for group in answer), reverse=True)
    # by tag: a code counts under each tag it carries, those with none under null
    answer = catalog.api.get("/api/qrcodes/count?groupBy=tagId&showArchived=true").json
    by_tag = collections.Counter(tag["id"] for code in catalog.codes for tag in code["tags"])
    by_tag[None] = sum(1 for code in catalog.codes if not code["tags"])
    assert {group["tagId"]: group["count"] for group in answer} == by_tag


def test_each_sort_pages_through_in_the_oracles_order(catalog):
    for sort in SORTS:
        _pages_in_order(catalog, sort)


def _pages_in_order(catalog: Catalog, sort: str) -> None:
    def value(code):
        if sort in ("lastScannedAt", "lastClicked"):
            return (code["lastScannedAt"] is not None, code["lastScannedAt"] or "")
        if sort == "title":
            return code["title"] or ""
        if sort == "url":
            return _content(code)
        return code[sort]

    for order in ("asc", "desc"):
        expected = [code["id"] for code in sorted(catalog.codes, key=lambda code: (value(code), code["id"]),
                                                  reverse=order == "desc")]
        paged, page = [], 1
        while len(paged) < 60:
            answer = catalog.api.get("/api/qrcodes", query_string={"sort": sort, "order": order, "pageSize": 7,
                                                                   "page": page, "showArchived": "true"})
            assert answer.status_code == 200 and answer.json, answer.json
            paged += [code["id"] for code in answer.json]
            page += 1
        assert paged == expected, (sort, order)


def test_a_member_sees_nothing_of_a_folder_not_given_to_them(catalog):
    private = catalog.folders["private"]
    hidden = {code["id"] for code in catalog.codes if code["folderId"] == private}
    assert hidden
    seen = {code["id"] for code in Catalog.read_all(catalog.member, showArchived="true")}
    assert seen == {code["id"] for code in catalog.codes} - hidden
    assert catalog.member.get("/api/qrcodes/count?showArchived=true").json == 60 - len(hidden)
    assert catalog.member.get(f"/api/qrcodes/count?showArchived=true&folderId={private}").json == 0
    assert Catalog.read_all(catalog.member, folderId=private, showArchived="true") == []
    groups = catalog.member.get("/api/qrcodes/count?groupBy=folderId&showArchived=true").json
    assert private not in {group["folderId"] for group in groups}
    assert sum(group["count"] for group in groups) == 60 - len(hidden)
    with catalog.app.app_context():  # "all matching" (the web list's export and delete) too
        from codeqr.context import for_actor
        from codeqr.domain import qrcodes

        ctx = for_actor(Actor(user_id=catalog.member_id, role=Role.MEMBER.value))
        assert {qr.id for qr in qrcodes.all_matching(Filters(show_archived=True), ctx)} == seen


@pytest.mark.parametrize("params, field", [
    ({"createdAfter": "2027-03-01T10:00:00"}, "createdAfter"), ({"expiresBefore": "tomorrow"}, "expiresBefore"),
    ({"lastScannedBefore": "0001-01-01T00:00:00Z"}, "lastScannedBefore"), ({"type": "colour"}, "type"),
    ({"scansMin": "-1"}, "scansMin"), ({"folderId": "nowhere"}, "folderId"), ({"hasTags": "maybe"}, "hasTags"),
    ({"format": "round"}, "format"), ({"groupBy": "colour"}, "groupBy"), ({"tagNames": "x" * 51}, "tagNames"),
])
def test_a_bad_filter_is_refused_naming_the_parameter(app, api, params, field):
    answer = api.get("/api/qrcodes/count", query_string=params)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["errors"][0]["field"].split(".")[0] == field
    assert field in answer.json["error"]["message"]
    if field != "groupBy":
        assert api.get("/api/qrcodes", query_string=params).status_code == 422


def test_a_repeated_tag_parameter_refuses_a_bad_second_value(app, api):
    answer = api.get("/api/qrcodes?tagIds=c" + "0" * 24 + "&tagIds=nope")
    assert answer.status_code == 422
    assert answer.json["error"]["errors"][0]["field"] == "tagIds"


def test_the_web_list_hides_archived_codes(make_app):
    from web_client import signed_in

    app = make_app()
    browser = signed_in(app)
    with app.app_context():
        api = authorized_client(app, apikeys.create("t", ctx=for_operator())[1])
    api.post("/api/qrcodes", json={"url": "https://example.com/kept", "title": "Kept in view"})
    api.post("/api/qrcodes", json={"url": "https://example.com/gone", "title": "Put away", "archived": True})
    page = browser.get("/qrcodes").get_data(as_text=True)
    assert "Kept in view" in page and "Put away" not in page


# -- each filter and sort answers from an index -------------------------------------------------

#: A value of each filter (by its API name) to plan a query with: a filter added to ``Filters``
#: without one here fails the test below, so none goes unplanned.
SAMPLES = {"search": None, "withTags": None, "showArchived": None, "scansMin": None, "scansMax": None,  # UNINDEXED
           "lastScannedBefore": None,
           "domain": "go.example.org", "key": "k", "externalId": "e", "tagId": "c" + "1" * 24,
           "tagIds": "c" + "1" * 24 + ",c" + "2" * 24, "tagNames": "a,b", "folderId": "c" + "3" * 24,
           "type": "text", "static": "true", "format": "dynamic", "userId": 3,
           "createdAfter": "2027-01-01T00:00:00Z", "createdBefore": "2027-01-01T00:00:00Z",
           "expiresAfter": "2027-01-01T00:00:00Z", "expiresBefore": "2027-01-01T00:00:00Z",
           "hasTags": "true", "hasComments": "true", "hasExpiration": "true", "hasPassword": "true", "hasGeo": "true",
           "hasDevice": "true", "hasUTM": "true", "utm_source": "s", "utm_medium": "m", "utm_campaign": "c",
           "utm_term": "t", "utm_content": "c", "useAsTemplate": "true", "destinationStatus": "broken"}
#: Filters no index answers, and why: ``search`` looks for text anywhere inside four columns
#: (a B-tree finds beginnings only), narrowing what the others found; ``withTags`` changes
#: nothing; ``showArchived`` is the default's ``archived = false``, planned with every filter;
#: the counters' filters (``COUNTERS``) have no index on purpose (``models``: every scan changes them).
COUNTERS = {"scansMin", "scansMax", "lastScannedBefore"}
UNINDEXED = {"search", "withTags", "showArchived", *COUNTERS}
#: The counters' sorts, unindexed for the same reason.
UNINDEXED_SORTS = {"scans", "lastScannedAt", "lastClicked"}
#: The negations as well: the opposite of a presence is answered from the same index.
NEGATED = ("hasComments", "hasExpiration", "hasPassword", "hasGeo", "hasDevice", "hasUTM", "static",
           "useAsTemplate")

ADMIN = Actor(user_id=None, role=Role.ADMIN.value)


def _plan(statement) -> str:
    """The plan of ``statement`` on this database, one line a step."""
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        return "\n".join(row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_sort = off"))
    return "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}")))


def _no_full_scan(plan: str) -> bool:
    lines = [line.strip(" ->") for line in plan.splitlines()]
    return "SCAN qrcodes" not in lines and not any(line.startswith("Seq Scan on qrcodes") for line in lines)


def _searched(plan: str) -> bool:
    """Whether an index was searched for the condition (not only walked)."""
    return "SEARCH qrcode" in plan or "Index Cond" in plan


def _planned_filters() -> list[tuple[str, dict]]:
    fields = {info.alias or name for name, info in Filters.model_fields.items()}
    assert fields == set(SAMPLES), "every filter needs a sample to plan (or a reason in UNINDEXED)"
    planned = [(name, {name: value}) for name, value in SAMPLES.items() if name not in UNINDEXED]
    planned += [(f"{name}=false", {name: "false"}) for name in NEGATED] + [("hasTags=false", {"hasTags": "false"})]
    return planned


def test_each_filter_and_sort_answers_from_an_index(app):
    with app.app_context():
        dialect = db.engine.dialect.name
        listed = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'qrcodes'" if dialect == "sqlite"
                  else "SELECT indexname FROM pg_indexes WHERE tablename = 'qrcodes'")
        names = set(db.session.scalars(text(listed)))
        for index in QRCode.__table__.indexes:  # the migration made what the models declare
            only = index._ddl_if.dialect if index._ddl_if else None
            assert index.name in names or only not in (None, dialect), index.name
        for label, params in _planned_filters():
            filters = Filters.model_validate({"showArchived": "true", **params})
            plan = _plan(select(QRCode.id).where(*conditions(filters, ADMIN)).limit(20))
            assert _no_full_scan(plan), f"{label} reads every row:\n{plan}"
            if label != "hasTags=false":  # codes with no tag: the others' walk, skipping the tagged
                assert _searched(plan), f"{label} searches no index:\n{plan}"
            db.session.rollback()
        for sort in set(SORTS) - UNINDEXED_SORTS:
            for order in ("asc", "desc"):
                for archived in ("true", "false"):
                    query = ListQuery.model_validate({"sort": sort, "order": order, "showArchived": archived})
                    plan = _plan(select(QRCode.id).where(*conditions(query, ADMIN)).order_by(*order_of(query)).limit(20))
                    lines = [line.strip(" ->") for line in plan.splitlines()]
                    assert _no_full_scan(plan) and "USE TEMP B-TREE FOR ORDER BY" not in lines and not any(
                        line.startswith("Sort  (") for line in lines), f"sort={sort} {order} sorts every row:\n{plan}"
                    db.session.rollback()


def test_no_index_holds_what_a_scan_changes(app):
    """A counted scan changes ``scans`` and ``last_scanned_at`` only: with neither in an index,
    PostgreSQL updates the row in place (HOT) and writes no index at all (``models`` says why)."""
    with app.app_context():
        listed = ("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'qrcodes' AND sql IS NOT NULL"
                  if db.engine.dialect.name == "sqlite" else
                  "SELECT indexdef FROM pg_indexes WHERE tablename = 'qrcodes'")
        definitions = list(db.session.scalars(text(listed)))
    assert len(definitions) > 20  # the filters' indexes are there
    for definition in definitions:
        columns = definition.split("(", 1)[1].replace('"', "")
        assert not re.search(r"\b(scans|last_scanned_at)\b", columns), definition


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlites_planner_finds_one_code_by_its_index_once_the_chore_gave_it_statistics(app):
    """Without statistics SQLite walks the newest-first index to find the code a filter names
    (a full scan of a catalog); the hourly chore's ``ANALYZE`` lets it search the filter's index."""
    from codeqr.jobs.kinds import chores
    from codeqr.persistence.database import refresh_statistics

    assert refresh_statistics in [chore.run for chore in chores()]
    with app.app_context():
        db.session.execute(text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
            "INSERT INTO qrcodes (id, type, static, use_display_page, url, url_hash, domain, key, use_as_template, "
            "default_template, design, scans, archived, created_at, updated_at) SELECT printf('c%024d', i), 'url', 0, 1, "
            "'https://example.com/' || i, 'h', 'go.example.org', 'k' || i, 0, 0, '{}', 0, 0, "
            "datetime('2026-01-01', '+' || i || ' minutes'), datetime('2026-01-01') FROM n"))
        db.session.commit()
        query = ListQuery.model_validate({"key": "k1234"})
        statement = select(QRCode.id).where(*conditions(query, ADMIN)).order_by(*order_of(query)).limit(20)
        assert "ix_qrcodes_key" not in _plan(statement)  # no statistics: the newest-first walk
        db.session.rollback()
        refresh_statistics()
        assert "SEARCH qrcodes USING INDEX ix_qrcodes_key" in _plan(statement)
