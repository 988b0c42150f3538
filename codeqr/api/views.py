"""JSON API views: parse, call a service, shape the answer. No logic of their own."""

import functools

from apiflask import APIBlueprint, HTTPTokenAuth
from flask import current_app, request, url_for
from pydantic import TypeAdapter

from ..accounts import apikeys
from ..accounts.permissions import Actor, Permission, actor_of_key
from ..context import Context, for_actor
from ..domain import bulk_update, deletes, explain, filters, info, qrcodes, writes
from ..domain.aliases import AliasQuery
from ..domain.filters import CountAnswer, CountQuery, ListQuery
from ..domain.schemas import (
    BulkCreate,
    BulkDeleteQuery,
    BulkJobOut,
    Deleted,
    DeletedCount,
    Key,
    QRCodeCreate,
    QRCodeSchemas,
    QRCodeUpdate,
)
from ..errorhandlers import error_response
from ..jobs import bulk_create as bulk_jobs
from ..jobs.statuses import JobStatus
from ..links import health

auth = HTTPTokenAuth(scheme="Bearer", description="An API key made with `codeqr create-api-key NAME`")


@auth.verify_token
def verify_token(token: str):
    """The ``Actor`` a valid key stands for (``auth.current_user`` in the views)."""
    key = apikeys.verify(token) if token else None
    return actor_of_key(key) if key is not None else None


def _ctx() -> Context:
    """The context of this request: the key's actor in this app."""
    actor = auth.current_user
    assert isinstance(actor, Actor), "only views behind the key's check ask"
    return for_actor(actor)


def refused_unless(permission: Permission):
    """Refuse a caller who may not do ``permission`` before the body is read (put it between
    ``auth_required`` and ``input``): they learn that first, not what the body lacks."""
    def decorator(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            _ctx().actor.require(permission)
            return view(*args, **kwargs)
        return checked
    return decorator


@auth.error_processor
def auth_error(error):
    return error_response(error.status_code, "a valid API key is required: Authorization: Bearer <key>",
                          headers=error.headers)


def errors(*statuses: int, writes: bool = False) -> dict:
    """Document what every operation may answer (400, 429, 503), 403 on ``writes``, and ``statuses``."""
    names = {400: "Malformed request", 403: "The key is read-only, or its owner's role may not change QR Codes",
             404: "No such QR Code", 409: "Key or externalId already used",
             429: "Too many requests: wait for Retry-After seconds", 503: "The database or storage is unavailable"}
    return {status: names[status] for status in sorted({400, 429, 503, *statuses, *((403,) if writes else ())})}


_REF = "id of the QR Code, or ext_ followed by its externalId"
#: What a ``ref`` looks like (ids: ``ids.new_id``), in the spec: a client can tell a
#: reference from the routes beside it, such as ``/api/qrcodes/count``.
REF_PATTERN = r"^(c[a-z0-9]{24}|ext_.+)$"
JOB_PATTERN = r"^c[a-z0-9]{24}$"
#: Path parameters that are ids (``ids.new_id``): a job's, a tag's, a folder's.
ID_PARAMETERS = ("job_id", "tag_id", "folder_id")
#: What a short link's key looks like (``schemas.Key``).
KEY_PATTERN = TypeAdapter(Key).json_schema()["pattern"]


_FILTERS = ("Each filter given narrows the QR Codes; archived ones are left out unless `showArchived=true`, and "
            "those of folders the key's owner may not see always are. Instants are ISO 8601 with an offset.")
_BULK = ("Each item is checked as a single create is (its image decoded), in a job; the valid ones are then "
         "created in one transaction. The request waits for the job up to `CODEQR_BULK_WAIT_SECONDS` (10) and "
         "answers as below; a job still running is answered 202 with `Location` to poll. `Prefer: respond-async` "
         "answers 202 at once; `Prefer: wait=N` waits at most N seconds.")


_BULK_UPDATE = ("One change for many QR Codes: the fields of an update that fit many (design, templateId, link options but "
                "the password, folderId, archived, comments, tags set or added and removed); those each code has its own "
                "of are refused (422, with why). `data` is checked once (422 for the whole request), then each code as "
                "an update of it is (a design that would not scan with its link refuses that code only). The codes "
                "changed are changed in one transaction; an unknown id, or a code in a folder you may not change, is "
                "a 404 in its place.")


def bulk_wait(prefer: str | None, most: float) -> tuple[float, str | None]:
    """How long a bulk create waits for its job, and the preference applied (for
    ``Preference-Applied``): ``respond-async`` (no wait) or ``wait=N`` (at most ``most``) of an
    RFC 7240 ``Prefer`` header; parameters after ``;`` are ignored."""
    for preference in (prefer or "").split(","):
        name, _, value = (part.strip().lower() for part in preference.split(";")[0].partition("="))
        if name == "respond-async":
            return 0.0, "respond-async"
        if name == "wait" and value.isdigit() and len(value) < 10:
            seconds = min(int(value), most)
            return seconds, f"wait={seconds:g}"
    return most, None


def document_spec(spec: dict) -> dict:
    """Give the ``ref``, ``key`` and id (``ID_PARAMETERS``) path parameters of the spec their pattern, and
    every operation that takes a body its 415 (an APIFlask spec processor)."""
    for operations in spec["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "ref":
                    parameter["schema"]["pattern"] = REF_PATTERN
                if parameter["in"] == "path" and parameter["name"] in ID_PARAMETERS:
                    parameter["schema"]["pattern"] = JOB_PATTERN
                if parameter["in"] == "path" and parameter["name"] == "key":
                    parameter["schema"]["pattern"] = KEY_PATTERN
            if "requestBody" in operation:
                operation["responses"]["415"] = {
                    "description": "The body is not sent as JSON (Content-Type: application/json)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}}}
    return spec


def add_qrcode_routes(bp: APIBlueprint, schemas: QRCodeSchemas) -> None:
    """Add the QR Code operations to ``bp``, with the app's QR Code classes (its plugins'
    design fields included in the bodies, the answers and the OpenAPI document)."""

    @bp.post("/qrcodes")
    @bp.auth_required(auth)
    @bp.input(schemas.create, arg_name="data")
    @bp.output(schemas.out, status_code=201, description="The QR Code created")
    @bp.doc(summary="Create a QR Code", responses=errors(409, writes=True))
    def create(data: QRCodeCreate):
        return writes.create(data, ctx=_ctx())


    @bp.get("/qrcodes")
    @bp.auth_required(auth)
    @bp.input(ListQuery, location="query", arg_name="query")
    @bp.output(schemas.listing, description="One page of QR Codes")
    @bp.doc(summary="List QR Codes", description=_FILTERS, responses=errors())
    def list_qrcodes(query: ListQuery):
        query = filters.of_args(ListQuery, request.args)  # with repeated tagIds and tagNames
        # A RootModel instance is serialised as is (APIFlask would validate a bare list item by item).
        return schemas.listing(qrcodes.list_page(query, _ctx()))


    @bp.get("/qrcodes/count")
    @bp.auth_required(auth)
    @bp.input(CountQuery, location="query", arg_name="query")
    @bp.output(CountAnswer, description="How many QR Codes match the filters: a number; with `groupBy`, "
               "`[{\"<groupBy>\": value, \"count\": n}, …]`, the largest first")
    @bp.doc(summary="Count QR Codes", description=_FILTERS, responses=errors())
    def count(query: CountQuery):
        query = filters.of_args(CountQuery, request.args)
        ctx = _ctx()
        if query.group_by is None:
            return CountAnswer(qrcodes.count(query, ctx))
        return CountAnswer(qrcodes.count_by(query, query.group_by, ctx))


    @bp.get("/qrcodes/info")
    @bp.auth_required(auth)
    @bp.input(info.InfoQuery, location="query", arg_name="query")
    @bp.output(schemas.out, description="The QR Code")
    @bp.doc(summary="Find a QR Code by its short link, id or externalId",
            description="`domain` and `key` (an old link of it too), `qrcodeId` or `externalId` (with or without "
                        "`ext_`); several given must find the same QR Code. A QR Code in a folder you do not see: 404.",
            responses={**errors(404), 404: "No QR Code you see matches"})
    def qrcode_info(query: info.InfoQuery):
        return info.find(query, _ctx())


    @bp.put("/qrcodes/upsert")
    @bp.auth_required(auth)
    @bp.input(schemas.create, arg_name="data")
    @bp.output(schemas.out, description="Found: unchanged, or updated with the fields that differ")
    @bp.doc(
        summary="Create or update a QR Code by url",
        responses={
            201: {
                "description": "No QR Code had this url: created",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QRCodeOut"}}},
            },
            **errors(409, writes=True),
        },
    )
    def upsert(data: QRCodeCreate):
        result, outcome = writes.upsert(data, ctx=_ctx())
        return result, 201 if outcome == "created" else 200


    @bp.post("/qrcodes/bulk")
    @bp.auth_required(auth)
    @bp.input(BulkCreate, arg_name="data")
    @bp.output(schemas.bulk_result, description="Each QR Code created, or an error with the input that failed")
    @bp.doc(summary="Create up to 100 QR Codes", description=_BULK, responses={
        202: {"description": "Still checking: poll the job at `Location` (its `results` are this answer once done)",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BulkJobOut"}}},
              "headers": {"Location": {"description": "the job to poll", "schema": {"type": "string"}},
                          "Retry-After": {"description": "seconds before polling", "schema": {"type": "integer"}}}},
        500: "The job failed (its reason in the message); nothing was created",
        **errors(writes=True),
        403: "The key is read-only, or its owner's role may not change QR Codes (also when lost before the job ran)"})
    def bulk_create(data: BulkCreate):
        ctx = _ctx()
        job_id = bulk_jobs.start(data.root, ctx)
        most = ctx.config["CODEQR_BULK_WAIT_SECONDS"] if ctx.state.jobs.enabled else 0.0  # no runner here to wait for
        seconds, applied = bulk_wait(request.headers.get("Prefer"), most)
        job = bulk_jobs.wait(job_id, seconds)
        # Each answer a Response, which APIFlask passes as it is (not through the 200's schema).
        if job.status == JobStatus.DONE:
            answer = current_app.json.response(bulk_jobs.progress(job)["results"])
        elif job.status == JobStatus.FAILED:
            status = 403 if job.message == bulk_jobs.LOST_RIGHTS else 500
            answer = error_response(status, f"the bulk create failed: {job.message}")[0]
            answer.status_code = status
        else:
            answer = current_app.json.response(BulkJobOut.model_validate(bulk_jobs.progress(job)).model_dump(
                mode="json", by_alias=True))
            answer.status_code = 202
            answer.headers.update({"Location": url_for(".bulk_job", job_id=job.id), "Retry-After": "1"})
        if applied:
            answer.headers["Preference-Applied"] = applied
        return answer


    @bp.get("/qrcodes/bulk/<job_id>")
    @bp.auth_required(auth)
    @bp.output(BulkJobOut, description="The bulk create, and its answer once done")
    @bp.doc(summary="Get a bulk create (under way, done or failed)",
            responses={**errors(), 404: "No bulk create of this key's owner with this id (answers are kept a day)"})
    def bulk_job(job_id: str):
        return bulk_jobs.progress(bulk_jobs.get(job_id, _ctx()))


    @bp.patch("/qrcodes/bulk")
    @bp.auth_required(auth)
    @refused_unless(Permission.WRITE_QRCODES)
    @bp.input(bulk_update.body_of(schemas), arg_name="body")
    @bp.output(bulk_update.results_of(schemas.out), description="Each QR Code after the update, or an error with "
               "its id, in the order sent")
    @bp.doc(summary="Update up to 100 QR Codes", description=_BULK_UPDATE, responses=errors(writes=True))
    def bulk_update_qrcodes(body):
        return bulk_update.update_many(body.qrcode_ids, body.data, ctx=_ctx())


    @bp.delete("/qrcodes/bulk")
    @bp.auth_required(auth)
    @bp.input(BulkDeleteQuery, location="query", arg_name="query")
    @bp.output(DeletedCount, description="How many QR Codes were deleted")
    @bp.doc(summary="Delete up to 100 QR Codes", responses=errors(writes=True))
    def bulk_delete(query: BulkDeleteQuery):
        refs = [ref.strip() for ref in query.ids.split(",") if ref.strip()]
        return {"deletedCount": deletes.bulk_delete(refs, ctx=_ctx())}


    @bp.get("/qrcodes/<ref>")
    @bp.auth_required(auth)
    @bp.output(schemas.out, description="The QR Code")
    @bp.doc(summary="Get a QR Code", description=_REF, responses=errors())
    def get(ref: str):
        return qrcodes.get(ref, _ctx())


    @bp.route("/qrcodes/<ref>", methods=["PATCH", "PUT"])
    @bp.auth_required(auth)
    @bp.input(schemas.update, arg_name="data")
    @bp.output(schemas.out, description="The QR Code after the update")
    @bp.doc(summary="Update a QR Code (PATCH; PUT does the same)", description=_REF, responses=errors(409, writes=True))
    def update(ref: str, data: QRCodeUpdate):
        return writes.update(ref, data, ctx=_ctx())


    @bp.delete("/qrcodes/<ref>")
    @bp.auth_required(auth)
    @bp.output(Deleted, description="The id of the QR Code deleted")
    @bp.doc(summary="Delete a QR Code", description=_REF, responses=errors(writes=True))
    def delete(ref: str):
        return deletes.delete_one(ref, ctx=_ctx())


    @bp.delete("/qrcodes/<ref>/aliases/<key>")
    @bp.auth_required(auth)
    @bp.input(AliasQuery, location="query", arg_name="query")
    @bp.output(schemas.out, description="The QR Code, that old link no longer among its aliases")
    @bp.doc(summary="Remove an old short link of a QR Code",
            description=f"{_REF}. `key` and `domain` name one of its `aliases`: from then on that link leads nowhere.",
            responses={**errors(writes=True), 404: "No such QR Code, or no such old link of it"})
    def remove_alias(ref: str, key: str, query: AliasQuery):
        return deletes.remove_alias(ref, key, query.domain, ctx=_ctx())


    @bp.get("/qrcodes/<ref>/explain")
    @bp.auth_required(auth)
    @bp.input(explain.ExplainQuery, location="query", arg_name="query")
    @bp.output(explain.Explanation, description="Which step would decide, and where the visitor would go")
    @bp.doc(summary="Explain where a scan would go", description=f"{_REF}. For the visitor the query describes, "
            "what a scan of the QR Code's short link would get (nothing is counted): the order of decision is "
            "password, expiry, rules, geo, ios/android, url.", responses=errors(404))
    def explain_scan(ref: str, query: explain.ExplainQuery):
        return explain.explain(ref, query, _ctx())


    @bp.get("/qrcodes/<ref>/destinations")
    @bp.auth_required(auth)
    @bp.output(health.DestinationList, description="Each destination and what its last check found")
    @bp.doc(summary="Get the health of a QR Code's destinations", description=f"{_REF}. Its `url` and the URLs "
            "of its link options (expiredUrl, ios, android, geo, rules and splits), each as the background checks "
            "last found it (`CODEQR_DESTINATION_CHECKS`): `state` is `ok`, `broken` (two failed checks in a row, "
            "since `brokenSince`) or `unchecked`; `status` the HTTP status of the last check, or `error` why none "
            "came (dns, private, timeout, tls, connection, redirects, invalid). None for a static QR Code.",
            responses=errors(404))
    def destinations(ref: str):
        return health.of_qrcode(ref, _ctx())
