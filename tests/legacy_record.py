"""The fictional record of ``tests/data/legacy-continuation.pdf``: a form filled by the
version before continuation pages were packed (one page per field that goes on)."""

from __future__ import annotations

import json

from .conftest import ROOT

GOAL = (
    "Aan het eind van periode 2 leest Noor zelfstandig een tekst van drie pagina's en vat die samen. "
    "Zij plant haar huiswerk in de agenda en bespreekt die elke maandag met haar mentor.\n"
)
ACTION = "Noor meldt zich bij de mentor als het plannen niet lukt; samen maken zij een nieuw weekplan. "


def legacy_record() -> dict[str, str]:
    record = dict(json.loads((ROOT / "samples" / "opp-leerlingen.json").read_text(encoding="utf-8"))[0])
    record["leerling.naam"] = "Noor de Wit"
    record["doelen.school"] = (GOAL * 14).strip()
    record["acties.leerling.acties"] = (ACTION * 7).strip()
    record["acties.school.nodig"] = "Een rustige werkplek.\n\nEen laptop met voorleessoftware. " * 4
    record["wijzer.suggestie.2"] = (GOAL * 3).strip()
    return record
