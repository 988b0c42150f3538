"""QR Code pages: list, create, edit, detail, delete, live preview, downloads, export."""

import base64
import os
import re
from datetime import timedelta
from typing import Any

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from pydantic import ValidationError
from wtforms import SelectChoice

from ..accounts.permissions import Permission
from ..analytics.queries import scans_since
from ..contents import TYPES, WITH_URL
from ..context import for_request
from ..design import templates
from ..design.verify import Unscannable
from ..domain import deletes, domains, field_checks, folders, qrcodes, writes
from ..domain.checks import every_problem
from ..domain.fields import PREVIEW_KEY, fields_of
from ..domain.filters import Filters, ListQuery
from ..domain.rendering import short_link
from ..domain.schemas import QRCodeUpdate, bounds_of
from ..domain.timeutil import utcnow
from ..errors import CodeQRError, InvalidInput, InvalidInputs
from ..jobs import exports, print_sheet
from ..jobs.print_sheet import SheetOptions
from ..jobs.statuses import JobStatus
from ..state import app_state
from . import bp, content_fields, design_panel, list_organise, name_of, organise, requires, test_scan
from .analytics import panel
from .detail import PRINT_SIZES_CM, bot_scans, content_lines, destination_health
from .forms import ConfirmForm, QRCodeForm, qrcode_form
from .timezone import reader_zone

#: Rows per page people can choose on the list; the first is the default.
PAGE_SIZES = (25, 50, 100)
DOWNLOAD_SIZES = (256, 512, 1024, 2048, 4096)
#: The live preview is shown at 280 px: larger raster renders only cost time.
PREVIEW_MAX_SIZE = 1024


def _form(obj=None) -> QRCodeForm:
    form = qrcode_form(app_state().schemas)(obj=obj)
    # Each domain's example destination (``placeholder``) rides on its option; forms.js shows the chosen one's.
    examples = domains.examples(for_request())
    form.domain.choices = [SelectChoice(domain, render_kw={"data-placeholder": examples[domain]} if examples.get(domain)
                                        else {}) for domain in domains.served(for_request())]
    chosen = form.domain.data or current_app.config["CODEQR_DEFAULT_DOMAIN"]
    if examples.get(chosen):
        form.url.render_kw = {"placeholder": examples[chosen]}
    organise.offer_folders(form, for_request().actor)
    if request.method == "POST" and "logo" in form._fields:
        design_panel.take_logo_file(form, request.files.get("logo_file"))
    if obj is not None and not form.is_submitted():
        form.fill_content(obj)
        organise.fill(form, obj)
    return form


#: The list's "most scanned lately" orders: sort value -> (time frame, its label).
RECENT_ORDERS = {"scans:7d": (timedelta(days=7), "last 7 days"), "scans:30d": (timedelta(days=30), "last 30 days"),
                 "scans:90d": (timedelta(days=90), "last 90 days")}
#: The list's sort menu: value -> label (":asc" reverses the order; the column headers
#: give ``sort`` and ``order`` apart).
SORT_CHOICES = {"createdAt": "Newest first", "createdAt:asc": "Oldest first", "scans": "Most scanned, all time",
                "scans:asc": "Least scanned, all time",
                **{value: f"Most scanned, {label}" for value, (_, label) in RECENT_ORDERS.items()},
                "lastScannedAt": "Scanned most recently", "lastScannedAt:asc": "Scanned longest ago"}


def _query(given: dict) -> ListQuery:
    """The list's filters (``given``), order and page from the address; a bad value falls back to its default."""
    ordered: dict[str, Any] = {name: value for name, value in request.args.items() if name in ("sort", "order", "page")}
    if ordered.get("sort") in RECENT_ORDERS:
        ordered["sort"] = "scans"
    elif ordered.get("sort", "").endswith(":asc"):  # the sort menu's "oldest first" and the like
        ordered["sort"], ordered["order"] = ordered["sort"].removesuffix(":asc"), "asc"
    size = request.args.get("pageSize", type=int)
    ordered["pageSize"] = size if size in PAGE_SIZES else PAGE_SIZES[0]
    try:
        return list_organise.filters_of(given, ListQuery, **ordered)
    except ValidationError as error:  # drop only the bad values
        bad = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        return list_organise.filters_of(given, ListQuery,
                                        **{name: value for name, value in ordered.items() if name not in bad})


@bp.get("/qrcodes")
def qrcode_list():
    given = list_organise.given_filters(request.args)
    query = _query(given)
    recent = RECENT_ORDERS.get(request.args.get("sort", ""))
    since = utcnow() - recent[0] if recent else None
    total = qrcodes.count(query, for_request())
    pages = max(1, -(-total // query.page_size))
    query.page = min(query.page, pages)  # a page past the end shows the last one
    items = qrcodes.list_page(query, for_request(), scans_since=since)
    sort = request.args.get("sort") if recent else query.sort

    def page_url(**changes) -> str:
        """This list's address with ``changes`` (filters, order and page size kept)."""
        params = {**given, "sort": sort, "order": query.order, "pageSize": query.page_size, "page": query.page} | changes
        return url_for("web.qrcode_list", **{name: value for name, value in params.items() if value is not None})

    chosen = request.args.get("sort") if recent else query.sort + (":asc" if query.order == "asc" else "")
    return render_template("qrcodes/list.html", items=items, query=query, total=total, pages=pages,
                           sort_choices=SORT_CHOICES, chosen=chosen,
                           export_form=ConfirmForm(), formats=_formats(), sheet=SheetOptions(),
                           sheet_bounds={name: bounds_of(info) for name, info in SheetOptions.model_fields.items()},
                           sort=sort, recent=recent and recent[1],
                           recent_scans=scans_since([qr.id for qr in items], since, app_state().agents) if since else {},
                           page_url=page_url, page_sizes=PAGE_SIZES,
                           type_labels={name: kind.label for name, kind in TYPES.items()}, with_url=WITH_URL,
                           folder_names=folders.names_of(qr.folder_id for qr in items),
                           template_filter=_shown(query.use_as_template), template_filters=TEMPLATE_FILTERS,
                           given=given, folders=list_organise.sidebar(given), tags=list_organise.all_tags(),
                           types=type_choices(), actions=list_organise.ACTIONS, day_of=list_organise.day_of,
                           anything=bool(total) or qrcodes.count(Filters(showArchived=True), for_request()) > 0)


def type_choices() -> dict[str, str]:
    """The types of QR Code the filter offers: name -> label."""
    return {name: kind.label for name, kind in TYPES.items()}


#: The list's template filter: ``useAsTemplate`` value -> label.
TEMPLATE_FILTERS = {"": "Templates or not", "true": "Templates only", "false": "No templates"}


def _shown(value: bool | None) -> str | None:
    """A filter's value as the address spells it (None: not filtered)."""
    return None if value is None else str(value).lower()


def _posted_filters() -> Filters:
    """The list's filters posted with an action on "all matching" (export, delete, organise)."""
    return list_organise.filters_of(list_organise.given_filters(request.form, posted=True), Filters)


@bp.route("/qrcodes/new", methods=["GET", "POST"])
@requires(Permission.WRITE_QRCODES)
def qrcode_new():
    # "Duplicate": a copy of another QR Code's destination, design and options, with a key of its own.
    original = _get(request.values["duplicate"]) if request.values.get("duplicate") else None
    form = _form(obj=original)
    if original is not None and request.method == "GET":
        form.key.data, form.title.data = "", f"{name_of(original)} (copy)"
    elif request.method == "GET":  # the form sends every design field: it starts with the template's
        form.fill_design(templates.starting_design(request.args.get("template"), for_request()))
    if _template_applied(form):
        return _form_page(form=form, qr=None, existing=None, original=original)
    existing = None
    if _checked(form):
        body = form.payload()
        try:
            data = app_state().schemas.create.model_validate(body)
            # Another code for the same website is likely a mistake; two for one text are not.
            existing = qrcodes.oldest_with_url(data.url, for_request(), data.domain) if data.type == "url" and data.url else None
            if existing is None or original is not None or request.form.get("create_anyway"):
                qr = writes.create(data, ctx=for_request())
                flash("QR Code created.", "success")
                return redirect(url_for("web.qrcode_detail", qr_id=qr.id))
        except ValidationError:
            _show_every_problem(form)
        except CodeQRError as error:
            form.show_error(error)
    return _form_page(form=form, qr=None, existing=existing, original=original)


@bp.route("/qrcodes/<qr_id>/edit", methods=["GET", "POST"])
@requires(Permission.WRITE_QRCODES)
def qrcode_edit(qr_id: str):
    qr = _get(qr_id, to_change=True)
    form = _form(obj=qr)
    link_change = None
    if _template_applied(form):
        return _form_page(form=form, qr=qr, existing=None, link_change=None, original=None)
    if _checked(form, editing=qr_id, update=True):
        try:
            body = form.payload(editing=True)
            if request.form.get("keep_link"):  # everything else saved, the short link left as it is
                body = {name: value for name, value in body.items() if name not in ("key", "domain")}
            if request.form.get("keep_old_link"):  # the new short link, and the old one kept working (an alias)
                body["keepOldLink"] = True
            change = app_state().schemas.update.model_validate(body)
            link_change = _link_change(qr, change)
            if link_change is None or request.form.get("change_link") or request.form.get("keep_old_link"):
                saved = writes.update(qr_id, change, ctx=for_request())
                if qr.static and saved.encoded() != qr.encoded():
                    flash("QR Code saved. It is static: printed copies keep the old content, so print the new "
                          "image to replace them.", "warning")
                else:
                    flash("QR Code saved.", "success")
                return redirect(url_for("web.qrcode_detail", qr_id=qr_id))
        except ValidationError:
            _show_every_problem(form, editing=qr_id, update=True)
        except CodeQRError as error:
            form.show_error(error)
    return _form_page(form=form, qr=qr, existing=None, link_change=link_change, original=None)


def _template_applied(form) -> bool:
    """Whether the form was posted by the template picker: then the design of the template
    picked replaces the form's, the rest stays as typed, and nothing is saved yet."""
    picked = request.form.get("apply_template") if request.method == "POST" else None
    if not picked or (not form.validate_on_submit() and "csrf_token" in form.errors):
        return False
    if templates.problems(picked, for_request()):
        flash("That template is no longer there: pick another one.", "warning")
    else:
        form.fill_design(templates.starting_design(picked, for_request()))
    for field in form:
        field.errors = []  # the form is not being saved: no complaint yet
    return True


def _form_page(**values) -> str:
    design = design_panel.template_context(values["form"], app_state().schemas.design_fields)
    renderers = app_state().images.renderers
    choices, _ = templates.for_picker(for_request(), "svg" if "svg" in renderers else None)
    return render_template("qrcodes/form.html", content=content_fields.template_context(reader_zone()), design=design,
                           template_choices=choices, tag_choices=organise.tag_choices(), **values)


@bp.get("/qrcodes/swatches/<field>/<value>")
def qrcode_swatch(field: str, value: str):
    """A swatch of the design panel: a choice of a design field drawn by the real geometry.
    Its address carries its digest (``v``), so a browser keeps it until the picture changes."""
    if value not in design_panel.swatch_choices().get(field, ()):
        abort(404)
    response = Response(design_panel.swatch(field, value), mimetype="image/svg+xml")
    lasting = request.args.get("v") == design_panel.swatch_version(field, value)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable" if lasting else "private, no-cache"
    response.set_etag(design_panel.swatch_version(field, value))
    return response.make_conditional(request)


def _link_change(qr, change: QRCodeUpdate) -> str | None:
    """The new short link, if ``change`` moves the short link of a QR Code that has been
    scanned (printed copies of the old one would lead nowhere)."""
    domain, key = change.domain or qr.domain, change.key or qr.key
    if not qr.scans or (domain.lower(), key) == (qr.domain, qr.key):
        return None
    return short_link(current_app.config, domain.lower(), key)


@bp.get("/qrcodes/<qr_id>")
def qrcode_detail(qr_id: str):
    qr = _get(qr_id)
    renderers = app_state().images.renderers
    return render_template("qrcodes/detail.html", qr=qr, formats=_formats(), sizes=sorted({*DOWNLOAD_SIZES, qr.size}),
                           vector={fmt for fmt, renderer in renderers.items() if renderer.vector},
                           form=ConfirmForm(), analytics=panel(qrcode_id=qr.id), bot_scans=bot_scans(qr),
                           print_sizes=sorted(PRINT_SIZES_CM), print_size=PRINT_SIZES_CM[0],
                           content=content_lines(qr, reader_zone()), type_label=TYPES[qr.type].label,
                           folder_name=folders.names_of([qr.folder_id]).get(qr.folder_id or ""),
                           made_by=organise.maker_email(qr.user_id),
                           changeable=folders.may_write(qr.folder_id, for_request().actor),
                           destinations=destination_health(qr), **test_scan.detail_context(qr.id))


@bp.route("/qrcodes/<qr_id>/delete", methods=["GET", "POST"])
@requires(Permission.WRITE_QRCODES)
def qrcode_delete(qr_id: str):
    qr = _get(qr_id, to_change=True)
    form = ConfirmForm()
    if form.validate_on_submit():
        deletes.delete_one(qr_id, ctx=for_request())
        flash(f"QR Code {qr.short_link} deleted.", "success")
        return redirect(url_for("web.qrcode_list"))
    return render_template("confirm.html", form=form, question=f"Delete {name_of(qr)}?", qr=qr,
                           lines=["Printed copies will lead to a “not found” page. This cannot be undone."],
                           yes="Delete it", no="Keep it", back=url_for("web.qrcode_detail", qr_id=qr.id))


@bp.post("/qrcodes/<qr_id>/aliases/<key>/remove")
@requires(Permission.WRITE_QRCODES)
def qrcode_alias_remove(qr_id: str, key: str):
    """Stop an old short link of the QR Code (kept working by an edit) from leading to it."""
    form = ConfirmForm()
    if form.validate_on_submit():
        removed = deletes.remove_alias(qr_id, key, request.form.get("domain") or None, ctx=for_request())
        flash(f"The old link {short_link(current_app.config, (request.form.get('domain') or removed.domain).lower(), key)}"
              " no longer leads to this QR Code.", "success")
    return redirect(url_for("web.qrcode_detail", qr_id=qr_id))


#: How many QR Codes the bulk delete's confirmation names; the rest are counted.
NAMED_IN_CONFIRMATION = 10


@bp.post("/qrcodes/delete")
@requires(Permission.WRITE_QRCODES)
def qrcode_bulk_delete():
    """Delete the QR Codes ticked on the list (``ids``), or every one matching its search
    (``all``), once people have confirmed: the first post asks, the second (``confirmed``)
    deletes them all in one transaction."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, "the form expired; reload the page")
    matching = bool(request.form.get("all"))
    given = list_organise.given_filters(request.form, posted=True)
    filters = list_organise.filters_of(given, Filters)
    doomed = qrcodes.all_matching(filters, for_request()) if matching else qrcodes.by_ids(request.form.getlist("ids"),
                                                                                         for_request())
    back = url_for("web.qrcode_list", **given)
    if not doomed:
        flash("Select at least one QR Code to delete.", "error")
        return redirect(back)
    # Codes may have been made or deleted since the question: what is deleted is what was counted.
    asked = request.form.get("confirmed", type=int)
    if asked is not None and asked == len(doomed):
        deleted = deletes.delete_many([qr.id for qr in doomed], ctx=for_request())
        flash(f"{deleted} QR Code{'s' if deleted != 1 else ''} deleted.", "success")
        return redirect(back)
    changed = asked is not None  # the count moved under the question: ask again with the new one
    return render_template("qrcodes/bulk_delete.html", form=form, doomed=doomed[:NAMED_IN_CONFIRMATION],
                           count=len(doomed), matching=matching, search=filters.search, changed=changed, back=back,
                           template_filter=_shown(filters.use_as_template), given=given,
                           ids=[] if matching else [qr.id for qr in doomed])


@bp.post("/qrcodes/preview")
def qrcode_preview():
    """Check the form as a save would and answer every problem found and, when the fields
    make a design at all, the image it gives (nothing stored): a design a save would refuse
    is shown beside the reason."""
    form = _form()
    editing = qrcodes.find(request.form["qr_id"], for_request()) if request.form.get("qr_id") else None
    if not _checked(form, editing=editing.id if editing else None):
        return _refused(form)
    try:
        data = app_state().schemas.create.model_validate(form.payload())
        picture, shown_key, problems = field_checks.preview_picture(data, for_request(),
                                                                    key=editing.key if editing else None,
                                                                    editing=editing.id if editing else None)
    except ValidationError:
        _show_every_problem(form, editing=editing.id if editing else None)
        return _refused(form)
    if problems:
        form.show_error(InvalidInputs(problems))
    images, fmt = app_state().images, display_format()
    drawn = images.render(picture.resized(min(picture.design.size, PREVIEW_MAX_SIZE)), fmt)
    media_type = images.renderers[fmt].media_type
    # A new QR Code without a key of its own gets a random one when it is created: until
    # then the preview shows its look, not a link anyone can scan.
    static = fields_of(data, for_request())["static"]
    link = picture.text if shown_key != PREVIEW_KEY and not static else None
    image = f"data:{media_type};base64," + base64.b64encode(drawn).decode()
    scan = _scan_verdict(problems)
    if problems:
        return _refused(form, image=image, level=picture.design.level, scan=scan,
                        unscannable=any(problem.field in _design_api_names() or isinstance(problem, Unscannable)
                                        for problem in problems))
    return jsonify(ok=True, image=image, level=picture.design.level, link=link, static=static, scan=scan,
                   verdicts=design_panel.verdicts(design_panel.posted_values(form)))


def _scan_verdict(problems: list) -> dict | None:
    """Whether the design decodes, as a save would check it: ``{"decodes", "sentence"}``; None
    when other problems stopped the check."""
    failed = next((problem for problem in problems if isinstance(problem, Unscannable)), None)
    if failed is not None:
        return {"decodes": False, "sentence": failed.sentence, "field": failed.field}
    if problems:
        return None
    return {"decodes": True, "sentence": "It scans: decoded at its size and printed 2 cm wide."}


@bp.get("/qrcodes/<qr_id>/download.<fmt>")
def qrcode_download(qr_id: str, fmt: str):
    """The image as an attachment, in any format; at another size than the stored
    one it is rendered for the download, not stored."""
    qr = _get(qr_id)
    images = app_state().images
    if fmt not in images.renderers:
        abort(404)
    picture = qr.picture()
    size = request.args.get("size", type=int)
    if size and size != qr.size:
        if size not in DOWNLOAD_SIZES:
            abort(400, f"size must be one of {', '.join(map(str, DOWNLOAD_SIZES))}")
        data = images.render(picture.resized(size), fmt)
    else:
        data = images.get(picture, fmt, images.etag(picture, fmt))
    name = f"{_safe_name(qr.title or qr.key)}-{size or qr.size}{images.renderers[fmt].file_suffix}"
    return Response(data, mimetype=images.renderers[fmt].media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/export")
def export():
    """Start a ZIP export of the selected QR Codes (``ids``) or of all matching the
    search (``all``), in the formats ticked and, with ``sheet``, on a print sheet laid out
    as its ``sheet_*`` fields say (a bad option: 422 with the reason); its page shows the
    progress."""
    if not ConfirmForm().validate_on_submit():
        abort(400, "the form expired; reload the page")
    formats = [fmt for fmt in request.form.getlist("format") if fmt in app_state().images.renderers]
    sheet = None
    if request.form.get("sheet"):
        chosen = {name: request.form[f"sheet_{name}"] for name in SheetOptions.model_fields
                  if request.form.get(f"sheet_{name}")}
        try:
            sheet = print_sheet.options(chosen)
        except InvalidInput as error:
            said = " ".join(problem.sentence for problem in getattr(error, "problems", [error]))
            return render_template("error.html", status=422, message=f"The print sheet cannot be made: {said}"), 422
    elif not formats:
        formats = [current_app.config["CODEQR_DEFAULT_FORMAT"]]
    if request.form.get("all"):
        items = qrcodes.all_matching(_posted_filters(), for_request())
    else:
        items = qrcodes.by_ids(request.form.getlist("ids")[:exports.MAX_ITEMS], for_request())
    if not items:
        flash("Select at least one QR Code to export.", "error")
        return redirect(url_for("web.qrcode_list"))
    try:
        job = exports.start(items, formats, for_request(), sheet)
    except CodeQRError as error:
        flash(error.sentence, "error")
        return redirect(url_for("web.qrcode_list"))
    app_state().jobs.wake()
    return redirect(url_for("web.export_progress", job_id=job.id))


@bp.get("/exports/<job_id>")
def export_progress(job_id: str):
    return render_template("export_progress.html", job=exports.progress(exports.get(job_id, for_request())))


@bp.get("/exports/<job_id>.json")
def export_status(job_id: str):
    return jsonify(exports.progress(exports.get(job_id, for_request())))


@bp.get("/exports/<job_id>.zip")
def export_download(job_id: str):
    """The finished file, from the storage: its URL when it has one (S3), else the bytes
    with their length and in ranges."""
    job = exports.get(job_id, for_request())
    if job.status != JobStatus.DONE:
        abort(404, "this export has no file (not finished, failed or expired)")
    storage = app_state().images.storage
    name = exports.file_name(job_id)
    location = storage.url(name)
    if location:
        return redirect(location)
    handle = storage.open(name) or abort(404, "the export's file is gone")
    size = handle.seek(0, os.SEEK_END)
    handle.seek(0)
    response = send_file(handle, mimetype="application/zip", as_attachment=True,
                         download_name=f"qrcodes-{job.created_at:%Y%m%d-%H%M}.zip", conditional=False)
    response.content_length = size  # a download cut short is seen as such, and can be resumed
    return response.make_conditional(request.environ, accept_ranges=True, complete_length=size)


#: Image types browsers show in an <img>, best first: a vector stays sharp at any size.
_SHOWN_BY_BROWSERS = ("image/svg+xml", "image/png", "image/webp", "image/jpeg", "image/gif")


def display_format() -> str:
    """The format pages show images in: the sharpest registered one that browsers
    display (the default format among equals, then the one named as its type). In
    templates: ``display_format``."""
    renderers = app_state().images.renderers
    default = current_app.config["CODEQR_DEFAULT_FORMAT"]

    def rank(fmt: str) -> tuple[int, bool, bool]:
        media_type = renderers[fmt].media_type
        shown = _SHOWN_BY_BROWSERS.index(media_type) if media_type in _SHOWN_BY_BROWSERS else len(_SHOWN_BY_BROWSERS)
        # Among equals, the format named as its type (svg, not a plugin's styled-svg): it draws the design.
        return shown, fmt != default, renderers[fmt].file_suffix != f".{fmt}"

    return min(renderers, key=rank)


def format_label(fmt: str) -> str:
    """A format as people name it: its renderer's ``label``, else its file type, and what
    sets it apart if its name says more ("styled-png" -> "PNG (styled)"). In templates:
    ``fmt|format_label``."""
    renderer = app_state().images.renderers[fmt]
    if renderer.label:
        return renderer.label
    extension = renderer.file_suffix.rsplit(".", 1)[-1]
    rest = fmt.removesuffix(extension).strip("-_. ").replace("-", " ")
    return f"{extension.upper()} ({rest})" if rest else extension.upper()


@bp.context_processor
def _display_format() -> dict:
    return {"display_format": display_format()}


bp.add_app_template_filter(format_label)


def _formats() -> list[str]:
    """Every image format of the instance, its default first."""
    default = current_app.config["CODEQR_DEFAULT_FORMAT"]
    return [default, *sorted(fmt for fmt in app_state().images.renderers if fmt != default)]


def _refused(form, **more) -> Response:
    """The preview's answer to a form with errors: each field's first, its label (to name
    what to fix), and ``more`` (the image of a design a save would refuse)."""
    refused = {name: field for name, field in form._fields.items() if field.errors}
    return jsonify(ok=False, errors={name: field.errors[0] for name, field in refused.items()},
                   labels={name: field.label.text for name, field in refused.items()},
                   verdicts=design_panel.verdicts(design_panel.posted_values(form)), **more)


def _design_api_names() -> set[str]:
    """The API names of the app's design fields (a problem of one: the design may not scan)."""
    schemas = app_state().schemas
    return {schemas.api_names[name] for name in schemas.design_fields}


def _checked(form: QRCodeForm, editing: str | None = None, update: bool = False) -> bool:
    """Whether the form was posted and its fields passed their own checks. When they did
    not, every other problem of the form is put beside its field too, so all are said at once."""
    if not form.is_submitted():
        return False
    if form.validate():
        return True
    if not form.csrf_token.errors:
        _show_every_problem(form, editing=editing, update=update)
    return False


def _show_every_problem(form: QRCodeForm, editing: str | None = None, update: bool = False) -> None:
    """Put every problem of the form's fields beside its field, the schema's and the service's
    at once (of the QR Code ``editing``; ``update``: the edit form's partial body). A field
    with an error of its own keeps that one."""
    api_names = form.SCHEMAS.api_names
    said = {api_names[name] for name, field in form._fields.items() if field.errors and name in api_names}
    body = {name: value for name, value in form.payload(editing=update).items() if name not in said}
    problems = every_problem(body, for_request(), editing=editing, update=update)
    form.show_error(InvalidInputs([problem for problem in problems if problem.field not in said]))


def _get(qr_id: str, to_change: bool = False):
    """The QR Code the signed-in person sees (404 otherwise); ``to_change``: one they may change (403 otherwise)."""
    ctx = for_request()
    qr = qrcodes.find(qr_id, ctx)
    if qr is None:
        abort(404)
    if to_change:
        qrcodes.refuse_unless_changeable(qrcodes.row_or_not_found(qr.id, ctx.actor), ctx.actor)
    return qr


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or "qrcode"
