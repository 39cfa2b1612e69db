"""Uppladdning (issue 8 "Pages: Upload"): a CSV file of agreements and services in the documented template,
a preview that checks every row (codes, dates, HSA-ids, duplicates) and shows row-level errors, and a
confirmation that stores the whole file in one transaction or nothing. Nothing is kept on the server between
the two steps: the preview page carries the file back (hidden field), and it is checked again on confirm."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from fastapi.responses import Response

import terminology as t
from mappings import care

from .common import check_csrf, directory, page, uploaded, user

router = APIRouter()
MAX_BYTES = 5 * 1024 * 1024


def _writer(who: t.Principal) -> None:
    t.require(who, "avtalsadmin", "admin", action="ladda upp avtal")


@router.get("/uppladdning")
def upload_form(request: Request):
    who = user(request)
    _writer(who)
    return page(request, "uppladdning.html", preview=None, columns=care.agreements.TEMPLATE_COLUMNS)


@router.get("/uppladdning/mall.csv")
def template(request: Request):
    user(request)
    return Response("\ufeff" + care.agreements.template_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="avtalsmall.csv"'})


@router.post("/uppladdning")
async def upload(request: Request):
    who = user(request)
    _writer(who)
    form = await check_csrf(request)
    data, name = await uploaded(form, max_bytes=MAX_BYTES)
    d = directory(request)
    if form.get("confirm") == "1":
        done = care.agreements.commit(d, data, name, by=who)
        stored = [w.stored.record for w in done if isinstance(w.stored.record, care.Agreement)]
        return page(request, "uppladdning.html", preview=None, columns=care.agreements.TEMPLATE_COLUMNS,
                    stored=stored, count=len(done))
    checked = care.agreements.preview(d, data, name, by=who)
    return page(request, "uppladdning.html", status=200 if checked.ok else 400, preview=checked,
                columns=care.agreements.TEMPLATE_COLUMNS, payload=base64.b64encode(data).decode(), filename=name)
