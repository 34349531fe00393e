"""Ofsted ILACS Annex A lists as CSV files or one XLSX workbook (a sheet per list).

Cells are already the template's labelled codes and dd/mm/yyyy dates (:mod:`timescales.returns`).
Files are written under temporary names and renamed, so a failure leaves nothing partial.
"""

from __future__ import annotations

import csv
from pathlib import Path

from timescales.returns import AnnexA

TITLES = {
    "list_1_contacts": "List 1 Contacts",
    "list_3_referrals": "List 3 Referrals",
    "list_4_assessments": "List 4 Assessments",
    "list_5_s47": "List 5 Section 47s and ICPCs",
}

# Counts and ages are numbers in the workbook; dates stay dd/mm/yyyy text as the template has.
NUMERIC = frozenset(
    [
        "Age of Child (Years)",
        "Number of Referrals in Last 12 Months",
        "Number of Section 47 Enquiries in the last 12 months",
        "Number of ICPCs in the last 12 months",
    ]
)


def write_annex_a(annex: AnnexA, out_dir: Path, fmt: str = "csv") -> list[Path]:
    """Write the lists into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        done: list[tuple[Path, Path]] = []
        for name, rows in annex.lists.items():
            final = out_dir / f"{name}.csv"
            tmp = final.with_name(final.name + ".part")
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(annex.columns(name))
                w.writerows(rows)
            done.append((tmp, final))
        for tmp, final in done:
            tmp.replace(final)
        return [final for _, final in done]
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for name, rows in annex.lists.items():
            ws = wb.create_sheet(TITLES[name][:31])
            ws.append(list(annex.columns(name)))
            numeric = [c in NUMERIC for c in annex.columns(name)]
            for row in rows:
                ws.append([int(v) if n and v else v for v, n in zip(row, numeric, strict=True)])
        final = out_dir / f"annex-a-{annex.as_of.isoformat()}.xlsx"
        tmp = final.with_name(final.name + ".part")
        wb.save(tmp)
        tmp.replace(final)
        return [final]
    raise ValueError(f"unknown format {fmt!r} (csv or xlsx)")
