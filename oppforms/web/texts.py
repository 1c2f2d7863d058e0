"""The Dutch words of the web app for what the library says in English: file statuses,
fill statuses, job states, review reasons, SMART warnings.

Statuses and reasons come from the message catalogue (:func:`oppforms.i18n.translate`,
:func:`oppforms.i18n.status_label`); the small tables below say in Dutch what the
catalogue does not know (yet), and a reason nobody translated is shown as the library
gives it, never dropped.
"""

from __future__ import annotations

import re

from ..smart import SmartWarning

FILE_STATUS = {
    "ok": "gelezen",
    "ok with warnings": "gelezen, met opmerkingen",
    "needs review": "controleren",
    "not this form": "niet dit formulier",
    "encrypted": "beveiligd met wachtwoord",
    "malformed": "onleesbaar",
    "needs OCR": "scan, kan niet gelezen worden",
}
FILL_STATUS = {"ok": "ingevuld", "skipped": "al ingevuld", "failed": "niet ingevuld"}
ARCHIVE_STATUS = {"added": "gearchiveerd", "new version": "nieuwe versie", "duplicate": "stond er al", "failed": "mislukt",
                  "purged": "eerder verwijderd", "part of": "hoort bij een ander formulier"}
JOB_KIND = {"fill": "Invullen", "read": "Teruggekomen formulieren lezen", "archive": "Archiveren"}
JOB_PAGE = {"fill": "invullen", "read": "terug", "archive": "archief"}
JOB_STATE = {"waiting": "wacht", "running": "bezig", "done": "klaar", "stopped": "gestopt", "failed": "mislukt"}
SMART_MISSING = {
    "measure": "geen meetbaar criterium (een getal, cijfer, percentage of aantal)",
    "time": "geen termijn (een datum, periode of week, zoals 'na 6 weken' of 'eind periode 2')",
    "frequency": "bij de actie staat niet hoe vaak of wanneer (zoals 'wekelijks' of 'op maandag')",
}

#: Review reasons and file reasons, by how they start; ``{0}``, ``{1}`` are the groups.
_REASONS: tuple[tuple[str, str], ...] = (
    (r"(.+?): not UTF-8; read as Windows-1252", "{0}: gelezen als Windows-1252, zoals Excel een CSV-bestand opslaat"),
    (r"page (\d+) of (\d+) is missing from the scan", "pagina {0} van {1} ontbreekt in de scan"),
    (r"page (\d+) of the form is missing", "pagina {0} van het formulier ontbreekt"),
    (r"page (\d+) has no text layer", "pagina {0} heeft geen tekstlaag (een scan?); lees de velden zelf"),
    (r"this page could not be matched to a form", "deze pagina hoort bij geen formulier: de waarden staan los"),
    (r"no readable page code", "geen leesbare paginacode: de pagina is herkend aan de opmaak; controleer de pagina"),
    (r"the scan reads differently", "de scan leest iets anders dan wat is uitgegeven"),
    (r"handwriting or marks added on paper", "handschrift of tekens op papier toegevoegd"),
    (r"the box is empty", "het vak is leeg"),
    (r"signature", "handtekening: niet zeker of er getekend is"),
    (r"not a date", "geen geldige datum"),
    (r"the lines read", "de regels zijn niet zeker gelezen"),
    (r"the two places", "de twee plaatsen van dit veld verschillen"),
    (r"read with low confidence", "gelezen met weinig zekerheid"),
    (r"a sentence ends where a line ends", "een zin eindigt aan het eind van een regel: is daar op Enter gedrukt?"),
    (r"continues on page (\d+)", "gaat verder op pagina {0}, die niet gevonden is"),
    (r"reading the page took longer", "het lezen van de pagina duurde te lang; de rest is niet gelezen"),
    (r"typed text in the signature box", "getypte tekst in het handtekeningvak: dat is geen handtekening"),
    (r"continued on added pages", "loopt door op een vervolgpagina"),
    (r"already filled by an earlier run", "al ingevuld bij een eerdere keer"),
    (r"already filled by another run", "al ingevuld door een andere keer"),
    (r"the file exists already", "er is al een formulier met andere gegevens; kies 'vervangen' om het te vervangen"),
    (r"an impossible date", "deze datum bestaat niet (zo'n dag heeft die maand niet)"),
    (r"not a date in a known format", "geen datum die oppforms kent (schrijf DD-MM-JJJJ, bijvoorbeeld 15-01-2027)"),
    (r"a date with a two-digit year", "het jaar heeft twee cijfers; schrijf het hele jaar (DD-MM-JJJJ)"),
    (r"a date outside the years (\S+)", "een datum buiten de jaren {0}"),
    (r"a line break in a one-line field", "een nieuwe regel in een veld van één regel"),
    (r"(\d+) characters, at most (\d+) fit this field", "{0} tekens; in dit veld passen er hoogstens {1}"),
    (r"the form's font cannot draw the (\S+) (.*)", "dit teken kan het formulier niet tonen: {1}"),
    (r"a date or time cell in a text field", "een datumcel in een tekstveld (maak van de cel tekst)"),
    (r"a signature cannot be filled in from data", "een handtekening kan niet uit gegevens worden ingevuld; laat dit leeg"),
    (r"(.+?): unknown column\(s\) (.*?) \(map them", "{0}: deze kolommen horen bij geen veld van het formulier: {1}"),
    (r"this document is archived already, unchanged", "dit formulier staat al ongewijzigd in het archief"),
    (r"no leerlingnummer: give its leaving date with `archive left --document (\S+)`",
     "geen leerlingnummer: de vertrekdatum kan alleen met de opdrachtregel worden gegeven "
     "(oppforms archive left --document {0}), niet op leerlingnummer"),
    (r"(?:.*: )?document (\S+) was deleted on (\S+) when its retention ended",
     "document {0} is op {1} verwijderd toen de bewaartermijn afliep; het wordt niet opnieuw gearchiveerd"),
    (r"file not found", "bestand niet gevonden"),
    (r"not a PDF or an image", "geen PDF en geen afbeelding"),
    (r"not the OPP korte versie", "niet het OPP korte versie"),
    (r"no form found on the scanned pages", "geen formulier gevonden op de gescande pagina's"),
    (r"took too long to read", "het lezen duurde te lang (gestopt)"),
    (r"not a readable PDF", "geen leesbare PDF"),
    (r"an image file; reading scanned forms is not installed", "een afbeelding; het lezen van scans is niet geïnstalleerd"),
    (r"the same file came back before as (.+) \((\S+)\); not read again$",
     "precies hetzelfde bestand kwam al eerder terug als {0} (op {1}); het is niet opnieuw gelezen, "
     "en wat al is gecontroleerd blijft staan"),
)
#: A moment as the workspace stores it (ISO 8601 with a time), in a reason.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")
_COMPILED = tuple((re.compile(p), nl) for p, nl in _REASONS)

#: What the command line's messages advise, as the web app offers it (its options are
#: buttons and boxes, not ``--options``); applied to the Dutch text.
_WEB_ADVICE: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), nl) for p, nl in (
    (r"gebruik --overwrite om het te vervangen", "vink 'Formulieren die al bestaan maar andere gegevens hebben "
     "vervangen' aan om het te vervangen"),
    (r" \(zie --on-duplicate\)", ": geef elke leerling één rij"),
    (r" \(dubbel; zie --on-duplicate\)", " (dubbel: geef elke leerling één rij)"),
    (r" \(--on-duplicate (\w+)\)", ""),
    (r"koppel ze aan velden met --map BESTAND, of laat ze weg met --ignore-unknown",
     "kies 'sla die kolommen over', of geef de kolommen de naam van een veld"),
    (r" \(geef het op met --password\)", ": de webapp opent geen formulieren met een wachtwoord; lees het met "
     "'oppforms extract --password', of vraag een versie zonder wachtwoord"),
    (r", of een andere naam met --name", " in het bestand"),
))


def _web_advice(text: str) -> str:
    for pattern, nl in _WEB_ADVICE:
        text = pattern.sub(nl, text)
    return text


def status(text: str) -> str:
    """A file status in Dutch, from the message catalogue."""
    from ..i18n import status_label

    said = status_label(text, "nl")
    return said if said != text else FILE_STATUS.get(text, text)


def fill_status(text: str) -> str:
    """A fill status (ok, skipped, failed) in Dutch, from the message catalogue."""
    from ..i18n import status_label

    said = status_label(text, "nl", of="fill")
    return said if said != text else FILL_STATUS.get(text, text)


def reason(text: str, field: str | None = None) -> str:
    """A review or file reason in Dutch, without the field name in front (the page shows
    the field's label beside it): the message catalogue's translation, else the table
    above, else the text as the library gave it (never dropped)."""
    from ..i18n import translate

    if field and text.startswith(field + ": "):
        text = text[len(field) + 2 :]
    said = translate(text, "nl")
    if said != text:
        return _web_advice(said)
    for pattern, nl in _COMPILED:
        m = pattern.match(text)
        if m:
            said = nl.format(*(_local(g) for g in m.groups()))
            return said.replace("(column ", "(kolom ").replace(') and "', ') en "')
    return text


def _local(group: str | None) -> str | None:
    """A stored moment as this computer's local time, the Dutch way; other text as it is."""
    if group is None or not _MOMENT.fullmatch(group):
        return group
    from .base import local_time  # base imports this module

    return local_time(group)


def smart(warning: SmartWarning, label: str) -> str:
    """One SMART warning in Dutch, naming the field's label and the goal's number."""
    where = f"{label}, doel {warning.goal}" if warning.goal else label
    return f"{where}: {SMART_MISSING[warning.missing]}"
