"""File imports of waiting times (CSV like the national reports) and capacity (CSV, JSON): all or nothing,
errors naming the file, the line and the problem."""

from __future__ import annotations

import pytest

from mappings.care import CareSearchRequest
from mappings.care.imports import import_capacity, import_waits
from terminology import COMMAND_LINE, ROLES, LoadError, Principal

from .. import care_fixture as f

ANNA = Principal("anna", frozenset(ROLES), None, "cli")
HSA_ENDO = "SE" + f.orgnr("559000003").replace("-", "") + "-U002"
HSA_GYN = "SE" + f.orgnr("559000006").replace("-", "") + "-U007"


def test_waiting_times_csv(directory, tmp_path):
    path = tmp_path / "vantetider.csv"
    path.write_text("\ufeffEnhetens HSA-id;MVO;Aktivitet;KVÅ-kod;Period;Rapporterad;Väntetid (dagar);"
                    "Andel inom 90 dagar;Antal väntande\n"
                    f"{HSA_ENDO};511;Operation/åtgärd;UJF32;2025-12;2025-12-31;12;95,5;40\n", encoding="utf-8")
    done = import_waits(directory, path, by=ANNA, source="Väntetider i vården")
    assert len(done) == 3 and {w.stored.record.measure for w in done} == {
        "current-estimate", "share-within-90", "number-waiting"}
    assert done[0].stored.record.source == "Väntetider i vården; MVO 511; Operation/åtgärd"
    hit = directory.search(CareSearchRequest(region="05", code="UJF32", system="urn:oid:1.2.752.116.1.3.2.1.4",
                                             date="2026-01-05"), by=COMMAND_LINE).hits[0]
    assert hit.wait.days == 12 and dict(hit.wait.others)["share-within-90"] == 95.5
    again = import_waits(directory, path, by=ANNA)
    assert [w.created for w in again] == [False, False, False]
    assert directory.history(by=COMMAND_LINE, limit=1)[0].channel == "file"


@pytest.mark.parametrize("row, problem", [
    ("SE123;UJF32;2025-09;12", "line 3: 'SE123' is not an HSA-id"),
    (f"{HSA_GYN[:-5]}-ZZZZ;UJF32;2025-09;12", "line 3: no unit with HSA-id"),
    (f"{HSA_ENDO};UJF32;2025-13;12", "line 3: period '2025-13' is not a month"),
    (f"{HSA_ENDO};UJF32;2025-09;tolv", "line 3: current-estimate 'tolv' is not a number"),
    (f"{HSA_ENDO};XXX99;2025-09;12", "line 3: "),
])
def test_waiting_time_errors_name_line_and_problem(directory, tmp_path, row, problem):
    path = tmp_path / "waits.csv"
    path.write_text(f"hsa_id;kva;period;vantetid_dagar\n{HSA_ENDO};UJF32;2025-08;30\n{row}\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        import_waits(directory, path, by=ANNA)
    text = str(err.value)
    assert text.startswith("waits.csv") and problem in text, text
    assert "Nothing was stored" in text


def test_unknown_column_is_refused(directory, tmp_path):
    path = tmp_path / "waits.csv"
    path.write_text("hsa_id;kva;period;colour\n", encoding="utf-8")
    with pytest.raises(LoadError, match="unknown column"):
        import_waits(directory, path, by=ANNA)


def test_capacity_json_and_csv(directory, tmp_path):
    hsa_mri = "SE" + f.orgnr("559000007").replace("-", "") + "-U008"
    path = tmp_path / "kapacitet.json"
    path.write_text('{"reports": [{"hsa_id": "%s", "tjanst": "s-mri-later", "from": "2026-03-02", "to": "2026-03-03",'
                    ' "volume": 3, "conditions": "Endast vardagar"}]}' % hsa_mri, encoding="utf-8")
    done = import_capacity(directory, path, by=ANNA)
    assert done[0].stored.record.volume == 3 and done[0].stored.record.service == "s-mri-later"
    bad = tmp_path / "kapacitet.csv"
    bad.write_text(f"hsa_id,tjanst,fran,till,antal\n{hsa_mri},s-mri-later,2026-03-05,2026-03-01,2\n", encoding="utf-8")
    with pytest.raises(LoadError, match="kapacitet.csv, line 2: the period ends"):
        import_capacity(directory, bad, by=ANNA)
