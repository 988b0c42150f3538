"""Find and replace destinations (``domain.replace_urls``): a preview, or a job rewriting them."""

from apiflask import APIBlueprint
from flask import current_app, url_for

from ..accounts.permissions import Permission
from ..domain.replace_urls import Preview, ReplaceUrls, ReplaceUrlsJobOut, preview
from ..jobs import replace_urls as replace_jobs
from .views import _ctx, auth, errors, refused_unless

_REPLACE = ("Every destination of the matching QR Codes (`url`, `expiredUrl`, `ios`, `android`, `geo`'s, the rules' "
            "`url` and split variants) starting with `find` gets `replace` instead of that start. Only dynamic QR "
            "Codes the key's owner may change are read, archived ones included unless `filters.showArchived` is "
            "false. `apply: false` (default) answers what would change; `apply: true` starts a job (202, poll "
            "`Location`). A code whose rewritten URLs its checks refuse is left as it was, with why. Sending "
            "`find` and `replace` swapped restores what was rewritten.")


def add_replace_routes(bp: APIBlueprint) -> None:
    @bp.post("/qrcodes/replace-urls")
    @bp.auth_required(auth)
    @refused_unless(Permission.WRITE_QRCODES)
    @bp.input(ReplaceUrls, arg_name="body")
    @bp.output(Preview, description="What would be rewritten (`apply` false)")
    @bp.doc(summary="Find and replace destinations", description=_REPLACE, responses={
        202: {"description": "The job rewriting them (`apply` true): poll it at `Location`",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReplaceUrlsJobOut"}}},
              "headers": {"Location": {"description": "the job to poll", "schema": {"type": "string"}}}},
        **errors(writes=True)})
    def replace_urls(body: ReplaceUrls):
        ctx = _ctx()
        if not body.apply:
            return preview(body, ctx)
        job = replace_jobs.start(body, ctx)
        # A Response, which APIFlask passes as it is (not through the 200's schema).
        answer = current_app.json.response(ReplaceUrlsJobOut.model_validate(replace_jobs.progress(job)).model_dump(
            mode="json", by_alias=True))
        answer.status_code = 202
        answer.headers.update({"Location": url_for(".replace_urls_job", job_id=job.id), "Retry-After": "1"})
        return answer

    @bp.get("/qrcodes/replace-urls/<job_id>")
    @bp.auth_required(auth)
    @bp.output(ReplaceUrlsJobOut, description="The find and replace: its progress, and the codes refused with why")
    @bp.doc(summary="Get a find and replace (under way, done or failed)",
            responses={**errors(), 404: "No find and replace of this key's owner with this id (kept a day)"})
    def replace_urls_job(job_id: str):
        return replace_jobs.progress(replace_jobs.get(job_id, _ctx()))
