"""CSV and XLSX exports (/coordinator/exports/<kind>.<fmt>): Excel-readable BOM, formulas neutralised, streamed."""
from __future__ import annotations

import csv
import io
import threading
import types

import openpyxl
import pytest
from sqlalchemy import event

from tests.web import exports_world
from tests.web.exports_world import FORMULA, REPORT_SUMMARY, login
from web.extensions import db
from web.services.progress import exports, rows
from web.services.progress.scope import parse_filters

ex, frozen, request_ctx, world = (exports_world.ex, exports_world.frozen, exports_world.request_ctx,
                                  exports_world.world)  # fixtures, by name
KINDS = ("issues", "requests", "engagements", "visits", "reports", "caps", "experts")


def download(client, user, url):
    login(client, user)
    return client.get(url)


def parse_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def workbook(response):
    """The XLSX of a response (closed after reading: it streams a temporary file)."""
    data = response.get_data()
    response.close()
    return openpyxl.load_workbook(io.BytesIO(data))


def test_the_csv_starts_with_a_bom_and_the_japanese_headings(client, ex):
    response = download(client, ex.coordinator, "/coordinator/exports/visits.csv?fiscal_year=2026")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.get_data().startswith(b"\xef\xbb\xbf")  # what Japanese Excel needs to read UTF-8
    assert "attachment" in response.headers["Content-Disposition"]
    assert parse_csv(response)[0] == list(rows.headings("visits"))


def test_a_formula_cell_comes_out_neutralised_in_the_csv(client, ex):
    visits = parse_csv(download(client, ex.coordinator, "/coordinator/exports/visits.csv?fiscal_year=2026"))
    reports = parse_csv(client.get("/coordinator/exports/reports.csv?fiscal_year=2026"))
    assert [row[2] for row in visits[1:]] == ["'" + FORMULA] * 3
    assert reports[1][7] == "'" + REPORT_SUMMARY


@pytest.mark.parametrize("kind", KINDS)
def test_no_exported_cell_starts_like_a_formula(client, ex, kind):
    table = parse_csv(download(client, ex.coordinator, f"/coordinator/exports/{kind}.csv?fiscal_year=2026"))
    assert len(table) >= 2
    assert not [cell for row in table for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_negative_numbers_stay_numbers():
    assert list(exports.csv_lines(["a", "b"], [(-3, "-3")]))[1] == "-3,'-3\r\n"


def test_the_csv_is_streamed_from_a_generator(app, client, ex):
    sent = []
    app.after_request(lambda response: sent.append(response) or response)
    response = download(client, ex.coordinator, "/coordinator/exports/visits.csv?fiscal_year=2026")
    assert response.is_streamed and "Content-Length" not in response.headers
    assert isinstance(sent[-1].response, types.GeneratorType)  # what the view returned: lines made as read
    assert len(parse_csv(response)) == 1 + 3


def test_a_download_longer_than_one_batch_is_read_to_the_end(app, client, ex, monkeypatch):
    # As a server runs it: no application context outside the request (the tests' own one would keep the request's
    # session open), so the response is read after Flask has torn the request's session down. More rows than one
    # batch make the stream fetch again (on PostgreSQL from a server-side cursor, which must still exist).
    monkeypatch.setattr(rows, "STREAM_BATCH", 1)
    login(client, ex.coordinator)
    read: dict[str, object] = {}

    def outside_the_tests_context() -> None:
        try:
            read["rows"] = parse_csv(client.get("/coordinator/exports/visits.csv?fiscal_year=2026"))
        except Exception as error:  # the assertion below shows it
            read["error"] = error

    worker = threading.Thread(target=outside_the_tests_context)
    worker.start()
    worker.join()
    assert "error" not in read, read.get("error")
    assert len(read["rows"]) == 1 + 3


def test_the_rows_are_fetched_in_batches_not_all_at_once(ex, app_ctx):
    seen = []
    listener = lambda conn, cursor, statement, params, context, many: seen.append(
        context.execution_options.get("yield_per"))
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        filters = parse_filters(ex.coordinator, {"fiscal_year": "2026"})
        streamed = rows.iter_rows("visits", ex.coordinator, filters, rows.Narrowing())
        assert isinstance(streamed, types.GeneratorType)
        assert len(list(streamed)) == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert seen[-1] == rows.STREAM_BATCH


def test_the_xlsx_keeps_a_formula_as_a_string_and_has_no_formula_cell(client, ex):
    response = download(client, ex.coordinator, "/coordinator/exports/reports.xlsx?fiscal_year=2026")
    assert response.status_code == 200 and response.mimetype == exports.XLSX_MIMETYPE
    sheet = workbook(response).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert [c.value for c in sheet[1]] == list(rows.headings("reports"))
    summary = sheet.cell(row=2, column=8)
    assert (summary.value, summary.data_type) == (REPORT_SUMMARY, "s")
    title = sheet.cell(row=2, column=3)
    assert (title.value, title.data_type) == (FORMULA, "s")
    assert not [c for c in cells if c.data_type == "f"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_list_exports_as_xlsx(client, ex, kind):
    response = download(client, ex.coordinator, f"/coordinator/exports/{kind}.xlsx?fiscal_year=2026")
    sheet = workbook(response).active
    assert sheet.max_row >= 2 and [c.value for c in sheet[1]] == list(rows.headings(kind))


@pytest.mark.parametrize("url", ["/coordinator/exports/users.csv", "/coordinator/exports/opendata.xlsx",
                                 "/coordinator/exports/visits.pdf"])
def test_unknown_kinds_and_formats_are_404(client, ex, url):
    assert download(client, ex.coordinator, url).status_code == 404


def test_exports_keep_to_the_scope_and_refuse_bad_args_in_japanese(client, ex):
    assert download(client, ex.other_coordinator, "/coordinator/exports/visits.csv?prefecture_code=01").status_code == 404
    response = client.get("/coordinator/exports/visits.csv?overdue=yes")
    assert response.status_code == 400 and "期限超過（overdue）は次のいずれか" in response.get_data(as_text=True)
    client.post("/auth/logout")
    assert download(client, ex.neighbour_officer, "/coordinator/exports/visits.csv").status_code == 403
