"""The hooks CodeQR calls, in the order of the plugin guide (docs/plugins.md).

Plugins implement them with ``@codeqr.hookimpl``; a hook function may take any
subset of the arguments. Registration hooks return classes carrying a ``name``;
the core collects them into name-keyed registries and picks implementations by
configuration. Hooks that run per event receive the ``app`` they run in.
"""

import pluggy

hookspec = pluggy.HookspecMarker("codeqr")


@hookspec
def codeqr_config_defaults():
    """Return a dict of default settings for this plugin (``CODEQR_*`` keys).

    Called once in ``create_app`` before the instance config and environment are
    applied, so users override these like any core setting. Not firstresult: every
    plugin's dict is merged; two plugins defining one key stop the app. A default's type
    is the setting's: a value of another type, from config.py or the environment, stops
    the app in one line (``2.0`` takes any number, ``2`` whole numbers only; None: text).
    """


@hookspec
def codeqr_register_renderers():
    """Return a list of :class:`codeqr.Renderer` subclasses (one per image format).

    Called once in ``create_app``; each class's ``name`` is the format and file
    extension served at ``/qr/{id}.{name}``. A name registered twice, a class that
    is not a ``Renderer`` or leaves an abstract method unwritten stops the app.
    """


@hookspec
def codeqr_register_storages():
    """Return a list of :class:`codeqr.Storage` subclasses.

    Called once in ``create_app``; ``CODEQR_STORAGE`` names the one used, built
    as ``cls(config)``. An unknown name stops the app with the names available.
    """


@hookspec
def codeqr_register_overlays():
    """Return a list of :class:`codeqr.Overlay` subclasses (drawn when ``showLogo``).

    Called once in ``create_app``; ``CODEQR_OVERLAY`` names the one used, built
    as ``cls(config)``.
    """


@hookspec
def codeqr_migration_locations():
    """Return a list of folders holding this plugin's Alembic revisions.

    Called once in ``create_app``. A plugin's revisions form their own branch
    (label it after the plugin); ``codeqr db upgrade`` runs every branch.
    """


@hookspec
def codeqr_template_folders():
    """Return a list of folders of Jinja templates.

    Called once in ``create_app``. These folders are searched before CodeQR's own,
    so a plugin may add pages and override any core template by its name.
    """


@hookspec
def codeqr_blueprints():
    """Return a list of Flask blueprints to register (extra pages or API routes).

    Called once in ``create_app``, before the reserved keys are computed, so the
    first path segment of each route can no longer be taken by a short-link key.
    Forms posted to them get CSRF protection like the core's.
    """


@hookspec
def codeqr_cli_commands():
    """Return a list of click commands to add to the ``codeqr`` command.

    Called once in ``create_app``; the commands run inside an app context.
    """


@hookspec
def codeqr_register_job_kinds():
    """Return a list of kinds of job: ``(model, run)`` or ``(model, run, tidy)`` tuples.

    Called once in ``create_app``. ``model`` is the job's table, with the columns
    ``id``, ``user_id`` (who started it; null: the operator), ``status`` (``queued`` to be
    run), ``created_at``, ``finished_at``, ``message``, ``lease_owner``, ``lease_until`` and
    ``attempts``; the job runner of each process claims its rows with a lease and calls
    ``run(job_id, lease, ctx)`` (``ctx``: a ``Context`` acting as the job's owner, with their rights), which does the job's
    steps through ``lease.advance(**values)`` and ends it with ``lease.finish(status)``.
    ``tidy(ctx)`` (as the operator), if given, is called when the runner is idle, at most every minute. A
    table registered twice, or lacking one of those columns, stops the app.
    """


@hookspec
def codeqr_design_fields():
    """Return a dict of design fields this plugin adds: ``{name: (type, default)}``.

    Called once in ``create_app``. ``name`` is a Python name in snake_case; the API, the
    CSV columns and the export manifest spell it in camelCase (``sticker_text`` ->
    ``stickerText``). ``type`` is a pydantic type, ``Annotated`` with ``Field(...)`` for
    bounds and a description and with ``codeqr.UI("Label", ...)`` to show it in the web
    form's design group; ``default`` is required, and is what QR Codes stored before the
    plugin came read. Each field joins create, update, upsert, bulk and import bodies, every
    answer, the stored ``Design`` (the ``design`` JSON column: no migration) and the image
    hash; renderers read it as ``spec.design.<name>``. A value at its default leaves the
    hash as it was, so adding a field renders no stored image anew. A name the core or
    another plugin uses, or a default its own type refuses, stops the app. The values of a
    plugin disabled later stay stored, unread, until it comes back.
    """


@hookspec
def codeqr_validate_qrcode(app, qrcode):
    """Check a QR Code before it is saved; raise ``codeqr.InvalidInput`` to refuse it.

    ``qrcode`` is the API representation (camelCase dict, JSON values) of the settable
    fields as they would be stored, on create, update, upsert, bulk and import; ``url``
    is null for a QR Code of another ``type``, whose content is in the field named after
    it (``qrcode["vcard"]["emails"]``). Called
    inside the operation, before the commit; a refusal stores nothing and answers
    422. The return value is ignored.
    """


@hookspec(firstresult=True)
def codeqr_redirect(app, id, domain, key, url, visit):
    """Decide where a scan of a known key goes; the first non-None answer wins.

    Called on every ``GET``/``HEAD /{key}`` of an existing dynamic QR Code answered by
    a redirect (not one answered by a landing page: a contact, a text…) *before* the
    scan is counted, so that a refusal counts nothing and a URL returned is the one its
    event records. Receives the code's id, domain, key and ``url`` (its stored
    destination, or the link of its content: ``https://wa.me/…``, ``tel:…``; once link
    rules exist, the one they chose, as they run first) and
    ``visit``, a frozen ``codeqr.Visit`` (device, os, country, language) read from
    the request. Return None to send the visitor to ``url``, another absolute URL to
    send them there (counted, the event records it), or an HTTP status code (e.g.
    410 for an expired QR Code) to refuse: that error page, no count, no event.
    Skipped, ``visit`` included, when no plugin implements it.
    """


@hookspec
def codeqr_qrcode_created(app, qrcode):
    """Called after a QR Code was created and committed; ``qrcode`` is its API dict."""


@hookspec
def codeqr_qrcode_updated(app, qrcode, changes):
    """Called after an update changed something and was committed.

    ``qrcode`` is the new API dict; ``changes`` maps each changed API field to
    ``[old, new]``. Not called when an update or upsert changed nothing.
    """


@hookspec
def codeqr_qrcode_deleted(app, qrcode):
    """Called after a QR Code was deleted and committed; ``qrcode`` is its last API dict."""


@hookspec
def codeqr_qrcode_scanned(app, event):
    """Called after a scan was counted and its event stored, with the event (the
    API's dict: timestamp, qrcodeId, domain, key, url, device, browser, os, bot,
    country, …). Runs after the enrichment's commit, in its background thread,
    once per event; with ``CODEQR_ANALYTICS=off`` no event is stored and it runs
    on the redirect with timestamp, qrcodeId, domain, key and url only. The core
    skips the call entirely when no plugin implements it.
    """


@hookspec
def codeqr_destination_broken(app, qrcode, url, status, since):
    """Called once when a destination of a QR Code breaks (``links.health``): two checks
    in a row found no answer, or one of 400 or more.

    ``qrcode`` is the QR Code's API dict, ``url`` the destination (its ``url``, or one of its
    link options'), ``status`` the last HTTP status (``404``) or, when none came, why:
    ``dns``, ``private`` (a private network), ``timeout``, ``tls``, ``connection``,
    ``redirects`` or ``invalid``; ``since`` when the first failed check was (ISO 8601, UTC).
    A URL many QR Codes share calls it once for each of them. Called by the job runner after
    the check's commit; not again until the destination has worked once more.
    """


@hookspec
def codeqr_destination_fixed(app, qrcode, url, status):
    """Called once when a destination told broken (``codeqr_destination_broken``) works
    again: ``status`` is the HTTP status its check found (below 400), the other arguments
    as there. A QR Code that stopped using the broken URL is not told."""
